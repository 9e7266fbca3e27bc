"""Acceptor and Initiator lifecycle around quickfix's socket engines, with file stores for recovery.

TLS: a session with ``SocketUseSSL=Y`` runs in a second engine of the same kind, quickfix's own
``SSLSocketAcceptor`` / ``SSLSocketInitiator`` (OpenSSL; our wheel is built with it, patches/README.md). quickfix
reads the TLS settings (certificate, key, protocols, CA, verify level) from the engine's [DEFAULT] section, so
they are lifted there from the TLS sessions, which must agree on them. Plain and TLS sessions cannot share a port.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import quickfix

from domain.ids import SessionKey
from fixgw.errors import ConfigError
from fixgw.session.application import FixApplication
from fixgw.session.auth import Authenticator
from fixgw.session.settings import SessionConfig, SessionsFile

log = logging.getLogger("fixgw.session")

Kind = Literal["acceptor", "initiator"]

USE_SSL = "SocketUseSSL"
TLS_KEYS = (
    "SSLProtocol",
    "SSLCipherSuite",
    "ServerCertificateFile",
    "ServerCertificateKeyFile",
    "ClientCertificateFile",
    "ClientCertificateKeyFile",
    "CertificationAuthoritiesFile",
    "CertificationAuthoritiesDirectory",
    "CertificateRevocationListFile",
    "CertificateRevocationListDirectory",
    "CertificateVerifyLevel",
)
# OpenSSL's defaults allow TLS 1.0 and 1.1; nothing we talk to needs them.
DEFAULT_SSL_PROTOCOL = "TLSv1_2 +TLSv1_3"
_ENGINES: dict[tuple[Kind, bool], Any] = {
    ("acceptor", False): quickfix.SocketAcceptor,
    ("acceptor", True): quickfix.SSLSocketAcceptor,
    ("initiator", False): quickfix.SocketInitiator,
    ("initiator", True): quickfix.SSLSocketInitiator,
}


class _Engine:
    """One quickfix engine and the factories it points to (quickfix keeps raw pointers: hold them)."""

    def __init__(
        self, app: FixApplication, sessions: SessionsFile, kind: Kind, tls: bool, work_dir: Path, ephemeral: bool
    ) -> None:
        self.settings = sessions.to_quickfix(work_dir)
        self.store_factory: Any
        self.log_factory: Any
        if ephemeral:  # sequence numbers in memory, nothing logged: see Connector
            self.store_factory, self.log_factory = quickfix.NullStoreFactory(), None
        else:
            self.store_factory = quickfix.FileStoreFactory(self.settings)
            self.log_factory = quickfix.FileLogFactory(self.settings)
        name = f"{'TLS ' if tls else ''}{kind}"
        factories = (self.store_factory, self.settings) + ((self.log_factory,) if self.log_factory else ())
        try:
            self.engine: Any = _ENGINES[kind, tls](app, *factories)
        except quickfix.ConfigError as exc:
            raise ConfigError(f"{name} configuration refused by quickfix: {exc}") from None
        self.name = name


class Connector:
    """Run the sessions of one kind from a sessions file for one ``FixApplication``.

    With no session of that kind the connector is empty: ``start`` and ``stop`` do nothing. ``ephemeral``: keep no
    messages for resend (a resend request is answered with a gap fill) and log nothing. For market data sessions:
    quotes are not part of the audit trail, and after a reconnect they start afresh (ResetOnLogon=Y) rather than
    resend stale quotes.
    """

    def __init__(
        self, app: FixApplication, sessions: SessionsFile, kind: Kind, work_dir: Path, *, ephemeral: bool = False
    ) -> None:
        picked = sessions.only(kind)
        self._picked = picked
        self.app = app
        self.kind = kind
        app.authenticator = Authenticator.from_sessions(picked)
        plain, tls = _split_tls(picked)
        self._engines: list[_Engine] = []
        if plain.sessions:
            self._engines.append(_Engine(app, plain, kind, False, work_dir / kind, ephemeral))
        if tls.sessions:
            self._engines.append(_Engine(app, tls, kind, True, work_dir / kind / "tls", ephemeral))
        self._running = False

    def stores_created(self) -> dict[SessionKey, int]:
        """When each session's message store began its current sequence (ns; 0 when unknown): an inbound
        MsgSeqNum recorded before then belongs to an earlier sequence, e.g. yesterday's."""
        configs = {c.key: c for c in self._picked.resolved().configs()}
        return {key: _store_created_ns(configs[key]) for key in self.app.session_ids() if key in configs}

    def resume(self, committed: Mapping[SessionKey, int]) -> dict[SessionKey, tuple[int, int]]:
        """Rewind each session's next expected MsgSeqNum to just after the last one whose processing is committed.

        ``committed``: per session, that MsgSeqNum (none: nothing of this sequence is committed). The counterparty
        then resends everything after it (PossDup), and exactly-once handling drops what was applied. Returns
        {session: (next expected before, after)} for the sessions that were rewound.
        """
        rewound: dict[SessionKey, tuple[int, int]] = {}
        for key, session_id in self.app.session_ids().items():
            session = quickfix.Session.lookupSession(session_id)
            if session is None:
                continue
            resume = committed.get(key, 0) + 1
            expected = int(session.getExpectedTargetNum())
            if resume < expected:
                session.setNextTargetMsgSeqNum(resume)
                rewound[key] = (expected, resume)
        return rewound

    def start(self) -> None:
        """Open the listening sockets (acceptor) or start connecting (initiator)."""
        for engine in self._engines:
            try:
                engine.engine.start()
            except quickfix.RuntimeError as exc:
                raise ConfigError(f"cannot start {engine.name} of {self.app.name}: {exc}") from None
            self._running = True

    def stop(self, timeout: float = 5.0) -> None:
        """Log out every session (waiting for the counterparty's Logout), close the sockets, free the engines.

        quickfix's own graceful stop polls once a second for up to ten seconds; we wait for the logouts
        ourselves, on the application's condition, then stop the engines at once.
        Freeing matters: quickfix keeps every session in a process-wide registry until its engine is
        destroyed, and a later engine with the same SessionID (a restart in the same process) would clash.
        """
        if self._running:
            self.app.logout_all(timeout)
            for engine in self._engines:
                engine.engine.stop(True)
            self._running = False
        for engine in self._engines:
            engine.engine = None  # the engine goes before the factories it points to
        self._engines = []


def stop_all(connectors: Iterable[Connector], timeout: float = 5.0) -> None:
    """Stop several connectors at once, each on a thread of its own.

    Why: a quickfix engine's stop waits for its thread, which notices the stop only at the end of its 1 s poll; one
    after the other, a gateway's acceptor and initiators took a second each.
    """
    threads = [threading.Thread(target=c.stop, args=(timeout,), name=f"stop-{c.app.name}") for c in connectors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _split_tls(sessions: SessionsFile) -> tuple[SessionsFile, SessionsFile]:
    """Split into plain sessions and TLS sessions, the TLS settings lifted into the TLS file's defaults."""
    plain: list[dict[str, str]] = []
    tls: list[dict[str, str]] = []
    for own in sessions.sessions:
        config = SessionConfig(own, sessions.defaults)
        (tls if _is_yes(config.get(USE_SSL)) else plain).append(dict(own))
    defaults = {k: v for k, v in sessions.defaults.items() if k not in TLS_KEYS and k != USE_SSL}
    plain_file = SessionsFile(dict(defaults), [_without_tls(s) for s in plain], sessions.base_dir)
    if not tls:
        return plain_file, SessionsFile(dict(defaults), [], sessions.base_dir)
    lifted = {k: v for k, v in sessions.defaults.items() if k in TLS_KEYS}
    for own in tls:
        for key in TLS_KEYS:
            if key in own and lifted.setdefault(key, own[key]) != own[key]:
                raise ConfigError(f"TLS sessions disagree on {key}: quickfix takes one value for all of them")
    lifted.setdefault("SSLProtocol", DEFAULT_SSL_PROTOCOL)
    for required in ("ServerCertificateFile", "ServerCertificateKeyFile") if _any_acceptor(sessions, tls) else ():
        if required not in lifted:
            raise ConfigError(f"a TLS acceptor session (SocketUseSSL=Y) needs {required}=")
    return plain_file, SessionsFile(defaults | lifted, [_without_tls(s) for s in tls], sessions.base_dir)


def _without_tls(own: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in own.items() if k not in TLS_KEYS and k != USE_SSL}


def _any_acceptor(sessions: SessionsFile, picked: list[dict[str, str]]) -> bool:
    return any(SessionConfig(own, sessions.defaults).connection_type == "acceptor" for own in picked)


def _is_yes(value: str | None) -> bool:
    return (value or "N").strip().upper() in ("Y", "YES", "TRUE", "1")


def _store_created_ns(config: SessionConfig) -> int:
    """When quickfix's FileStore of the session began its current sequence (0 when unknown)."""
    qualifier = config.get("SessionQualifier")
    name = f"{config['BeginString']}-{config['SenderCompID']}-{config['TargetCompID']}"
    path = Path(config["FileStorePath"]) / f"{name}{'-' + qualifier if qualifier else ''}.session"
    try:
        created = datetime.strptime(path.read_text().strip(), "%Y%m%d-%H:%M:%S").replace(tzinfo=UTC)
    except (OSError, ValueError):
        return 0
    return int(created.timestamp()) * 1_000_000_000
