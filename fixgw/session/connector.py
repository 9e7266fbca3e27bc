"""Acceptor and Initiator lifecycle around quickfix's socket engines, with file stores for recovery."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Literal

import quickfix

from fixgw.errors import ConfigError
from fixgw.session.application import FixApplication
from fixgw.session.settings import SessionsFile

log = logging.getLogger("fixgw.session")

Kind = Literal["acceptor", "initiator"]


class Connector:
    """Run the sessions of one kind from a sessions file for one ``FixApplication``."""

    def __init__(self, app: FixApplication, sessions: SessionsFile, kind: Kind, work_dir: Path) -> None:
        picked = sessions.only(kind)
        if not picked.sessions:
            raise ConfigError(f"no {kind} session in the configuration")
        self.app = app
        self.kind = kind
        self.settings = picked.to_quickfix(work_dir / kind)
        # quickfix keeps raw pointers to these: hold them as long as the engine lives.
        self._store_factory = quickfix.FileStoreFactory(self.settings)
        self._log_factory = quickfix.FileLogFactory(self.settings)
        engine_type = quickfix.SocketAcceptor if kind == "acceptor" else quickfix.SocketInitiator
        try:
            self._engine = engine_type(app, self._store_factory, self.settings, self._log_factory)
        except quickfix.ConfigError as exc:
            raise ConfigError(f"{kind} configuration refused by quickfix: {exc}") from None
        self._running = False

    def start(self) -> None:
        """Open the listening sockets (acceptor) or start connecting (initiator)."""
        try:
            self._engine.start()
        except quickfix.RuntimeError as exc:
            raise ConfigError(f"cannot start {self.kind} of {self.app.name}: {exc}") from None
        self._running = True

    def stop(self, timeout: float = 5.0) -> None:
        """Log out every session (waiting for the counterparty's Logout), close the sockets, free the engine.

        quickfix's own graceful stop polls once a second for up to ten seconds; we wait for the logouts
        ourselves, on the application's condition, then stop the engine at once.
        Freeing matters: quickfix keeps every session in a process-wide registry until its engine is
        destroyed, and a later engine with the same SessionID (a restart in the same process) would clash.
        """
        if self._running:
            self.app.logout_all(timeout)
            self._engine.stop(True)
            self._running = False
        engine, self._engine = self._engine, None
        del engine  # the engine goes before the factories it points to
