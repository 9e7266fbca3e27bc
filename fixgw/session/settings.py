"""QuickFIX-format session files (sessions.cfg): read, adjust, write, hand to quickfix.

quickfix reads relative paths against the process's working directory; we resolve them against the file's
own directory so that ``fixgw run --config some/dir/sessions.cfg`` works from anywhere.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import quickfix

from domain.ids import SessionKey
from fixgw.errors import ConfigError

PATH_KEYS = (
    "DataDictionary",
    "TransportDataDictionary",
    "AppDataDictionary",
    "FileStorePath",
    "FileLogPath",
    "ServerCertificateFile",
    "ServerCertificateKeyFile",
    "ClientCertificateFile",
    "ClientCertificateKeyFile",
    "CertificationAuthoritiesFile",
    "CertificationAuthoritiesDirectory",
    "CertificateRevocationListFile",
    "CertificateRevocationListDirectory",
)
_SECTION = re.compile(r"^\[(DEFAULT|SESSION)\]$", re.IGNORECASE)


@dataclass
class SessionConfig:
    """One [SESSION] section with the [DEFAULT] values under it."""

    own: dict[str, str]
    defaults: dict[str, str] = field(repr=False)

    def get(self, key: str, default: str | None = None) -> str | None:
        """Return the session's value for ``key``, else the default section's."""
        return self.own.get(key, self.defaults.get(key, default))

    def __getitem__(self, key: str) -> str:
        value = self.get(key)
        if value is None:
            raise ConfigError(f"session {self.describe()}: {key} is not set")
        return value

    @property
    def key(self) -> SessionKey:
        """The session as quickfix's ``SessionID.toString()`` spells it."""
        qualifier = self.get("SessionQualifier")
        text = f"{self['BeginString']}:{self['SenderCompID']}->{self['TargetCompID']}"
        return SessionKey(f"{text}:{qualifier}" if qualifier else text)

    @property
    def connection_type(self) -> str:
        """``acceptor`` or ``initiator``."""
        return self["ConnectionType"].lower()

    def describe(self) -> str:
        """Name the session for an error message, even when it is incomplete."""
        return f"{self.get('SenderCompID', '?')}->{self.get('TargetCompID', '?')}"


@dataclass
class SessionsFile:
    """A whole sessions file: the [DEFAULT] section and every [SESSION]."""

    defaults: dict[str, str]
    sessions: list[dict[str, str]]
    base_dir: Path

    @classmethod
    def load(cls, path: Path) -> SessionsFile:
        """Parse ``path``; raise ConfigError naming the line when it is malformed."""
        try:
            text = path.read_text()
        except OSError as exc:
            raise ConfigError(f"cannot read session file {path}: {exc.strerror}") from None
        return cls.parse(text, base_dir=path.resolve().parent, origin=str(path))

    @classmethod
    def parse(cls, text: str, *, base_dir: Path, origin: str = "<text>") -> SessionsFile:
        """Parse QuickFIX session-file text."""
        defaults: dict[str, str] = {}
        sessions: list[dict[str, str]] = []
        current: dict[str, str] | None = None
        for number, raw in enumerate(text.splitlines(), start=1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            section = _SECTION.match(line)
            if section:
                current = defaults if section.group(1).upper() == "DEFAULT" else {}
                if current is not defaults:
                    sessions.append(current)
                continue
            key, sep, value = line.partition("=")
            if not sep or current is None:
                raise ConfigError(f"{origin}:{number}: expected KEY=VALUE inside a [DEFAULT] or [SESSION] section")
            current[key.strip()] = value.strip()
        return cls(defaults, sessions, base_dir)

    def configs(self) -> Iterator[SessionConfig]:
        """Yield every session with its defaults."""
        for own in self.sessions:
            yield SessionConfig(own, self.defaults)

    def of_type(self, connection_type: str) -> list[SessionConfig]:
        """Return the acceptor or initiator sessions."""
        return [c for c in self.configs() if c.connection_type == connection_type]

    def only(self, connection_type: str) -> SessionsFile:
        """Return a copy holding only the sessions of one connection type."""
        picked = [own for own in self.sessions if SessionConfig(own, self.defaults).connection_type == connection_type]
        return SessionsFile(dict(self.defaults), [dict(s) for s in picked], self.base_dir)

    def split(self, keys: set[SessionKey]) -> tuple[SessionsFile, SessionsFile]:
        """Return (the sessions named by ``keys``, the others), each with the same defaults."""
        picked = [dict(own) for own in self.sessions if SessionConfig(own, self.defaults).key in keys]
        rest = [dict(own) for own in self.sessions if SessionConfig(own, self.defaults).key not in keys]
        return SessionsFile(dict(self.defaults), picked, self.base_dir), SessionsFile(
            dict(self.defaults), rest, self.base_dir
        )

    def resolved(self) -> SessionsFile:
        """Return a copy whose relative paths are absolute against the file's directory."""

        def fix(section: dict[str, str]) -> dict[str, str]:
            out = dict(section)
            for key in PATH_KEYS:
                if key in out and not Path(out[key]).is_absolute():
                    out[key] = str((self.base_dir / out[key]).resolve())
            return out

        return SessionsFile(fix(self.defaults), [fix(s) for s in self.sessions], self.base_dir)

    def relocated(self, work_dir: Path) -> SessionsFile:
        """Return a resolved copy that keeps its stores, logs and generated files under ``work_dir``."""
        resolved = self.resolved()
        paths = {"FileStorePath": str(work_dir / "store"), "FileLogPath": str(work_dir / "log")}
        return SessionsFile(resolved.defaults | paths, resolved.sessions, work_dir)

    def with_port(self, connection_type: str, port: int) -> SessionsFile:
        """Return a copy whose sessions of one connection type listen on / connect to ``port``."""
        key = "SocketAcceptPort" if connection_type == "acceptor" else "SocketConnectPort"
        sessions = [
            own | {key: str(port)} if SessionConfig(own, self.defaults).connection_type == connection_type else own
            for own in self.sessions
        ]
        return SessionsFile(dict(self.defaults), sessions, self.base_dir)

    def dumps(self) -> str:
        """Render as QuickFIX session-file text."""
        lines = ["[DEFAULT]", *(f"{k}={v}" for k, v in self.defaults.items())]
        for own in self.sessions:
            lines += ["", "[SESSION]", *(f"{k}={v}" for k, v in own.items())]
        return "\n".join(lines) + "\n"

    def to_quickfix(self, work_dir: Path) -> quickfix.SessionSettings:
        """Write the resolved file into ``work_dir`` and load it as quickfix ``SessionSettings``."""
        work_dir.mkdir(parents=True, exist_ok=True)
        path = work_dir / "sessions.resolved.cfg"
        path.write_text(self.resolved().dumps())
        try:
            return quickfix.SessionSettings(str(path))
        except quickfix.ConfigError as exc:
            raise ConfigError(f"session configuration refused by quickfix: {exc}") from None
