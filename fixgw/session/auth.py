"""Who may log on: per-session Username (553) / Password (554) checked against a salted scrypt hash.

Theory of operation: quickfix itself refuses a Logon for a session that is not in the sessions file (it closes
the connection before any session sees the message). For a configured session, our patched quickfix hands the
Logon to ``Application.fromAdmin`` *before* it acts on ResetSeqNumFlag (141) or ResetOnLogon
(patches/README.md); ``FixApplication`` asks the ``Authenticator`` here and raises ``RejectLogon`` on a
mismatch, and quickfix then drops the connection without sending anything or changing any stored state.

A session asks for credentials with two keys of its [SESSION] section (or [DEFAULT]):

    Username=desk7                    optional; when set, Username (553) must match it
    PasswordHash=scrypt:16384:8:1:<salt hex>:<key hex>     made by ``fixgw hash-password``

A plaintext ``Password`` key is refused at start: the configuration never holds a secret.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from domain.ids import SessionKey
from fixgw.errors import ConfigError
from fixgw.session.settings import SessionsFile

log = logging.getLogger("fixgw.session.auth")

SCHEME = "scrypt"
# scrypt with N=2^14, r=8, p=1 (16 MiB, ~50 ms): the interactive-login parameters of the scrypt paper and of
# Python's own docs. A Logon is rare; brute force against a stolen hash is what the cost is for.
_N, _R, _P = 16384, 8, 1
_SALT_BYTES = 16
_KEY_BYTES = 32
_MAXMEM = 64 * 1024 * 1024
_PLAINTEXT_KEYS = ("Password", "SocketPassword", "LogonPassword")


@dataclass(frozen=True)
class PasswordHash:
    """A salted scrypt hash in the form ``scrypt:N:r:p:<salt hex>:<key hex>``."""

    n: int
    r: int
    p: int
    salt: bytes
    key: bytes

    @classmethod
    def parse(cls, text: str) -> PasswordHash:
        """Parse the encoded form; raise ValueError naming what is wrong."""
        parts = text.strip().split(":")
        if len(parts) != 6 or parts[0] != SCHEME:
            raise ValueError(f"expected {SCHEME}:N:r:p:<salt hex>:<key hex> (made by `fixgw hash-password`)")
        try:
            n, r, p = int(parts[1]), int(parts[2]), int(parts[3])
            salt, key = bytes.fromhex(parts[4]), bytes.fromhex(parts[5])
        except ValueError:
            raise ValueError("N, r, p must be integers and salt and key hex digits") from None
        if n < 2 or n & (n - 1) or r < 1 or p < 1 or len(salt) < 8 or len(key) < 16:
            raise ValueError("N must be a power of two > 1, r and p >= 1, salt >= 8 bytes and key >= 16 bytes")
        return cls(n, r, p, salt, key)

    def encode(self) -> str:
        """Return the form ``parse`` reads."""
        return f"{SCHEME}:{self.n}:{self.r}:{self.p}:{self.salt.hex()}:{self.key.hex()}"

    def matches(self, password: str) -> bool:
        """Return True when ``password`` hashes to this key (constant-time comparison)."""
        candidate = _scrypt(password, self.salt, self.n, self.r, self.p, len(self.key))
        return hmac.compare_digest(candidate, self.key)


def hash_password(password: str, *, n: int = _N, r: int = _R, p: int = _P) -> str:
    """Hash ``password`` with a fresh random salt; return the encoded form for ``PasswordHash=``."""
    if not password:
        raise ValueError("the password must not be empty")
    salt = secrets.token_bytes(_SALT_BYTES)
    return PasswordHash(n, r, p, salt, _scrypt(password, salt, n, r, p, _KEY_BYTES)).encode()


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, length: int) -> bytes:
    return hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, maxmem=_MAXMEM, dklen=length)


@dataclass(frozen=True)
class Credentials:
    """What one session's Logon must carry."""

    username: str | None
    password_hash: PasswordHash

    def check(self, username: str | None, password: str | None) -> str | None:
        """Return why the Logon is refused, or None when it is authenticated."""
        if password is None:
            return "Password (554) required"
        # Compare both before answering, so the answer's timing does not tell which one was wrong.
        user_ok = self.username is None or hmac.compare_digest((username or "").encode(), self.username.encode())
        password_ok = self.password_hash.matches(password)
        return None if user_ok and password_ok else "Invalid Username (553) or Password (554)"


class Authenticator:
    """Check Logons of the sessions that have credentials; sessions without them log on as quickfix allows."""

    def __init__(self, credentials: Mapping[SessionKey, Credentials]) -> None:
        self._credentials = dict(credentials)

    @classmethod
    def from_sessions(cls, sessions: SessionsFile) -> Authenticator:
        """Read ``Username``/``PasswordHash`` of every session; raise ConfigError on a bad or plaintext secret."""
        credentials: dict[SessionKey, Credentials] = {}
        for config in sessions.configs():
            plaintext = [k for k in _PLAINTEXT_KEYS if config.get(k) is not None]
            if plaintext:
                raise ConfigError(
                    f"session {config.describe()}: {plaintext[0]}= would keep a secret in the configuration; "
                    "use PasswordHash= (make one with `fixgw hash-password`)"
                )
            encoded = config.get("PasswordHash")
            username = config.get("Username")
            if encoded is None:
                if username is not None:
                    raise ConfigError(f"session {config.describe()}: Username= needs PasswordHash= too")
                continue
            try:
                password_hash = PasswordHash.parse(encoded)
            except ValueError as exc:
                raise ConfigError(f"session {config.describe()}: PasswordHash: {exc}") from None
            credentials[config.key] = Credentials(username, password_hash)
        return cls(credentials)

    def requires_credentials(self, session: SessionKey) -> bool:
        """Return True when ``session`` has credentials configured."""
        return session in self._credentials

    def check_logon(self, session: SessionKey, username: str | None, password: str | None) -> str | None:
        """Return why a Logon for ``session`` is refused, or None when it may go on."""
        credentials = self._credentials.get(session)
        if credentials is None:
            return None
        return credentials.check(username, password)
