"""Logins to the dashboard: the operator's admin token, exchanged for a random session id held in a cookie.

The page is as powerful as the CLI (it can flip the kill switch), so it asks for the same credential: the token the
gateway wrote to its token file, readable by the operator's account only. The token itself never leaves the login
request; the cookie holds a random id (``secrets.token_urlsafe``) that this process maps to the login, HttpOnly
(no script reads it) and SameSite=Strict (no other site's page sends it). A login lives ``SESSION_TTL_S`` at most,
and only while the gateway's token is the one it was granted for: a restarted gateway (a new token) logs
everyone out.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Final

SESSION_COOKIE: Final = "fixgw_dashboard"
SESSION_TTL_S: Final = 12 * 3600
"""A login lasts one working day at most."""


class TokenFile:
    """The gateway's admin token, read from its token file at each use (a restarted gateway writes a new one)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self) -> str | None:
        """The token, or None while there is no readable token file (no gateway has run)."""
        try:
            parts = self.path.read_text().split()
        except OSError:
            return None
        return parts[1] if len(parts) == 2 else None


class Logins:
    """The dashboard's sessions: a random id per login, tied to the token it was granted for, until it expires."""

    def __init__(
        self,
        token: Callable[[], str | None],
        ttl_s: float = SESSION_TTL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``token``: the gateway's admin token now (None when there is none)."""
        self._token = token
        self._ttl_s = ttl_s
        self._clock = clock
        self._lock = threading.Lock()
        self._sessions: dict[str, tuple[bytes, float]] = {}
        """Session id -> (the token's digest, when the login expires)."""

    def login(self, given: str) -> str | None:
        """A new session id when ``given`` is the gateway's token, else None."""
        token = self._token()
        if token is None or not hmac.compare_digest(given.strip().encode(), token.encode()):
            return None
        session = secrets.token_urlsafe(32)
        now = self._clock()
        with self._lock:
            self._sessions = {s: entry for s, entry in self._sessions.items() if entry[1] > now}
            self._sessions[session] = (_digest(token), now + self._ttl_s)
        return session

    def valid(self, session: str | None) -> bool:
        """Whether ``session`` is a live login for the gateway's current token."""
        if not session:
            return False
        with self._lock:
            entry = self._sessions.get(session)
        if entry is None:
            return False
        digest, expires = entry
        token = self._token()
        if self._clock() >= expires or (token is not None and not hmac.compare_digest(digest, _digest(token))):
            self.logout(session)
            return False
        return token is not None

    def logout(self, session: str | None) -> None:
        """End ``session`` (nothing when it is not one)."""
        with self._lock:
            self._sessions.pop(session or "", None)


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()
