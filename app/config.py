"""The gateway's own settings file (fixgw.toml), validated with pydantic; sessions live in sessions.cfg."""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, PositiveInt, ValidationError

from fixgw.errors import ConfigError
from risk.limits import Instrument, RiskLimits

REPO_ROOT = Path(__file__).resolve().parent.parent


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DatabaseConfig(_Strict):
    """Where the book of record lives."""

    url: str = "sqlite:///var/fixgw.db"
    """SQLAlchemy URL; a relative SQLite path is relative to the settings file."""


class ClientConfig(_Strict):
    """A client, keyed by its CompID."""

    accounts: list[str] = []
    default_account: str | None = None
    """Account (1) for orders that carry none; defaults to the first of ``accounts``."""
    cancel_on_disconnect: bool = False
    """Cancel the client's working orders when its session drops or logs out (CME-style COD/COC)."""

    @property
    def effective_default_account(self) -> str:
        """The account an order without tag 1 is booked to."""
        return self.default_account or (self.accounts[0] if self.accounts else "")


class VenueConfig(_Strict):
    """A venue and the initiator session that reaches it."""

    session: str
    """e.g. ``FIX.4.4:FIXGW->VENUE``."""


class RoutingConfig(_Strict):
    """Symbol -> venue rules, and a default venue."""

    default: str | None = None
    symbols: dict[str, str] = {}


class SimulatorConfig(_Strict):
    """Seeded liquidity of the venue simulator."""

    tick: Decimal = Field(default=Decimal("0.01"), gt=0)
    depth: PositiveInt = 5
    level_qty: Decimal = Field(default=Decimal("500"), gt=0)
    symbols: dict[str, Decimal] = {}
    """Symbol -> reference price the book is seeded around."""


class AdminConfig(_Strict):
    """The gateway's admin API, used by the CLI (and the dashboard)."""

    listen: str = "127.0.0.1:9880"
    """host:port; port 0 picks a free one (written next to the token for the CLI)."""
    token_file: str = "var/admin.token"
    """Created at start with a fresh random token, readable by the owner only; relative to the settings file."""


class GatewayConfig(_Strict):
    """Everything in fixgw.toml."""

    database: DatabaseConfig = DatabaseConfig()
    instruments: dict[str, Instrument] = {}
    risk: RiskLimits = RiskLimits()
    clients: dict[str, ClientConfig] = {}
    venues: dict[str, VenueConfig] = {}
    routing: RoutingConfig = RoutingConfig()
    simulator: SimulatorConfig = SimulatorConfig()
    admin: AdminConfig = AdminConfig()
    base_dir: Path = Field(default=REPO_ROOT, exclude=True)

    def admin_token_path(self) -> Path:
        """Where the admin token lives."""
        return (self.base_dir / self.admin.token_file).resolve()

    def database_url(self) -> str:
        """The database URL with a relative SQLite path made absolute against the settings file."""
        url = self.database.url
        prefix = "sqlite:///"
        if url.startswith(prefix) and not url[len(prefix) :].startswith("/") and url != "sqlite:///:memory:":
            return prefix + str((self.base_dir / url[len(prefix) :]).resolve())
        return url

    def check(self) -> None:
        """Refuse routing rules that name a venue that is not configured."""
        named = set(self.routing.symbols.values()) | ({self.routing.default} if self.routing.default else set())
        unknown = named - set(self.venues)
        if unknown:
            raise ConfigError(f"routing names venue(s) {sorted(unknown)} not defined under [venues]")


def load_config(path: Path) -> GatewayConfig:
    """Read and validate ``path``; a problem raises ConfigError naming the field."""
    try:
        data = tomllib.loads(path.read_text())
    except OSError as exc:
        raise ConfigError(f"cannot read settings file {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    try:
        config = GatewayConfig(**data, base_dir=path.resolve().parent)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"{path}: {where}: {first['msg']} ({exc.error_count()} problem(s) in all)") from None
    config.check()
    return config
