"""The gateway's own settings file (fixgw.toml), validated with pydantic; sessions live in sessions.cfg."""

from __future__ import annotations

import re
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PositiveInt,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from app.adaptive_config import AdaptiveConfig
from app.services.settings import DeploymentConfig, NatsConfig
from fixgw.errors import ConfigError
from matching.behaviour import Behaviour
from risk.limits import Instrument, RiskLimits
from strategy.config import StrategyConfig

REPO_ROOT = Path(__file__).resolve().parent.parent
_STRATEGY_NAME = re.compile(r"[A-Za-z0-9_-]{1,32}")
"""A strategy's name goes into its session (``STRATEGY:<NAME>``) and every ClOrdID (11) it sends."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def check_listen(listen: str) -> str:
    """Accept "" or ``host:port`` with a port from 0 to 65535."""
    if not listen:
        return listen
    host, sep, port = listen.rpartition(":")
    if not sep or not host or not port.isdigit() or int(port) > 65535:
        raise ValueError(
            f'give host:port, e.g. "127.0.0.1:9881" (port 0: any free port), or "" for none; got {listen!r}'
        )
    return listen


class DatabaseConfig(_Strict):
    """Where the book of record lives."""

    url: str = "sqlite:///var/fixgw.db"
    """SQLAlchemy URL; a relative SQLite path is relative to the settings file."""
    commit: Literal["writer", "leader"] = "writer"
    """Who commits a message's change: ``writer``, the journal's writer thread (a hand-off per batch); ``leader``,
    the thread that received the message when nobody else is committing (leader/follower group commit,
    ``oms/store/commit_queue.py``). ``leader`` saves the writer's wake-up at window 1 but puts the commit on the FIX
    thread; measured on 2 shared cores it made no resolvable difference (README, Performance), so it is opt-in."""


class ClientConfig(_Strict):
    """A client, keyed by its CompID."""

    accounts: list[str] = []
    default_account: str | None = None
    """Account (1) for orders that carry none; defaults to the first of ``accounts``."""
    cancel_on_disconnect: bool = False
    """Cancel the client's working day orders (59=0 or absent) when its session drops or logs out (CME-style COD)."""
    market_data: list[str] | None = None
    """The symbols whose consolidated book the client may subscribe to (35=V); default every instrument."""

    @property
    def effective_default_account(self) -> str:
        """The account an order without tag 1 is booked to."""
        return self.default_account or (self.accounts[0] if self.accounts else "")


class BehaviourConfig(_Strict):
    """How a simulated venue differs from a clean one (``matching.behaviour``): ``[venues.NAME.behaviour]`` for an
    internal venue, ``[simulator.behaviour]`` for ``fixgw venue``. Present (even empty): the venue keeps its house
    liquidity whole around its fair value after every fill, and its behaviour can be changed while it runs."""

    fee_per_share: Decimal = Field(default=Decimal(0), ge=0, le=1000)
    """Money per share filled, sent as Commission (12) with CommType (13) 1."""
    fee_bps: Decimal = Field(default=Decimal(0), ge=0, le=10_000)
    """Basis points of each fill's value, sent as Commission (12) = bps / 100 with CommType (13) 2 (percent)."""
    latency_ms: int = Field(default=0, ge=0, le=60_000)
    """Added delay before the venue handles each request (acks and fills come that much later)."""
    reject_ratio: float = Field(default=0.0, ge=0, le=1, allow_inf_nan=False)
    """Fraction of valid new orders rejected (35=8 150=8 39=8 103=99), drawn from the seeded stream."""
    adverse_bps: Decimal = Field(default=Decimal(0), ge=0, le=1000)
    """After the members' fills, the fair value moves against them by this many bps (at least one tick)."""
    seed: int = 1
    """The venue's random stream (the reject draws): same seed and same orders, same rejects."""

    def behaviour(self) -> Behaviour:
        """The settings the venue applies (the seed is the stream's, not a setting that can change)."""
        return Behaviour(
            fee_per_share=self.fee_per_share,
            fee_bps=self.fee_bps,
            latency_ms=self.latency_ms,
            reject_ratio=self.reject_ratio,
            adverse_bps=self.adverse_bps,
        )


class VenueConfig(_Strict):
    """A venue: reached over a FIX initiator session (``kind = "fix"``), or run inside the gateway."""

    kind: Literal["fix", "internal"] = "fix"
    """``internal``: the simulator's matching engine in the gateway's process, seeded from ``[simulator]``."""
    session: str | None = Field(default=None, validate_default=True)
    """The initiator session of a FIX venue, e.g. ``FIX.4.4:FIXGW->VENUE``; none for an internal venue."""

    md_session: str | None = None
    """The venue's market data initiator session, e.g. ``FIX.4.4:FIXGW->VENUEMD``: the gateway subscribes to the
    books of every instrument there. None: no market data from this venue."""
    behaviour: BehaviourConfig | None = None
    """An internal venue's behaviour (a FIX venue's is its simulator's ``[simulator.behaviour]``)."""

    @model_validator(mode="after")
    def _behaviour_internal_only(self) -> VenueConfig:
        if self.behaviour is not None and self.kind == "fix":
            raise ValueError("a FIX venue's behaviour is set on its simulator ([simulator.behaviour]), not here")
        return self

    @field_validator("session")
    @classmethod
    def _session_for_kind(cls, session: str | None, info: ValidationInfo) -> str | None:
        kind = info.data.get("kind", "fix")
        if kind == "fix" and not session:
            raise ValueError('a FIX venue needs its initiator session, e.g. session = "FIX.4.4:FIXGW->VENUE"')
        if kind == "internal" and session is not None:
            raise ValueError("an internal venue runs inside the gateway and has no session; remove it")
        return session


class RoutingConfig(_Strict):
    """Which venue an order goes to: its account's rule, else its symbol's, else adaptively (``adaptive.symbols``),
    else the default venue."""

    default: str | None = None
    symbols: dict[str, str] = {}
    """Symbol -> venue."""
    accounts: dict[str, str] = {}
    """Account -> venue; wins over the symbol rule."""
    adaptive: AdaptiveConfig = AdaptiveConfig()


class FlowConfig(_Strict):
    """The venue simulator's own order flow (``simulator.flow``): a fair value per symbol that drifts as a random
    walk, which the house liquidity follows, and noise takers that cross the spread. Same seed, same flow."""

    enabled: bool = False
    """Off by default (the demo and the tests trade against a still book); ``fixgw venue --flow`` turns it on."""
    seed: int = 1
    step_ms: int = Field(default=100, gt=0, le=60_000)
    """The fair value moves, the house ladder follows and the takers of the interval arrive once a step."""
    vol_bps_per_sqrt_s: float = Field(default=2.0, ge=0, le=10_000, allow_inf_nan=False)
    """The fair value's volatility: the standard deviation of its relative change over one second, in basis points
    (it grows with the square root of time: 2 bps a second is ~15 bps a minute)."""
    taker_rate_per_s: float = Field(default=1.0, ge=0, le=10_000, allow_inf_nan=False)
    """Mean noise taker arrivals per second and symbol (Poisson); 0: none."""
    taker_min_qty: Decimal = Field(default=Decimal(100), gt=0)
    taker_max_qty: Decimal = Field(default=Decimal(300), gt=0)
    """A taker's size is uniform over the multiples of ``taker_lot`` from ``taker_min_qty`` to ``taker_max_qty``."""
    taker_lot: Decimal = Field(default=Decimal(100), gt=0)

    @model_validator(mode="after")
    def _sizes_on_the_lot(self) -> FlowConfig:
        if self.taker_min_qty > self.taker_max_qty:
            raise ValueError(f"taker_min_qty {self.taker_min_qty} is above taker_max_qty {self.taker_max_qty}")
        for name in ("taker_min_qty", "taker_max_qty"):
            if getattr(self, name) % self.taker_lot:
                raise ValueError(f"{name} {getattr(self, name)} is not a multiple of taker_lot {self.taker_lot}")
        return self


class SimulatorConfig(_Strict):
    """The venue simulator: its seeded liquidity, its market data and its own order flow."""

    tick: Decimal = Field(default=Decimal("0.01"), gt=0)
    depth: PositiveInt = 5
    level_qty: Decimal = Field(default=Decimal("500"), gt=0)
    symbols: dict[str, Decimal] = {}
    """Symbol -> reference price the book is seeded around."""
    md_refresh_ms: int = Field(default=1000, ge=0)
    """Send every market data subscriber a fresh snapshot (35=W) of each book this often, so that a quiet book is
    not taken for a stale feed; 0: never."""
    flow: FlowConfig = FlowConfig()
    behaviour: BehaviourConfig | None = None
    """How this simulator differs from a clean venue (fees, latency, rejects, adverse selection); see
    ``BehaviourConfig``."""
    admin_listen: str = ""
    """host:port of the simulator's own admin API (``fixgw venue-behaviour``: change its behaviour while it runs),
    authenticated by a token written to ``admin_token_file``; port 0 picks a free one; "" (the default): none."""
    admin_token_file: str = "var/venue-admin.token"
    """Relative to the settings file; give each simulator of one machine its own."""
    metrics_listen: str = ""
    """host:port of the simulator's Prometheus endpoint (``GET /metrics``, read-only, no authentication); port 0 picks
    a free one; "" (the default) serves none."""

    @field_validator("metrics_listen", "admin_listen")
    @classmethod
    def _metrics_address(cls, listen: str) -> str:
        return check_listen(listen)

    def with_flow(self, enabled: bool = True) -> SimulatorConfig:
        """The same settings with the order flow turned on (``fixgw venue --flow``) or off."""
        return self.model_copy(update={"flow": self.flow.model_copy(update={"enabled": enabled})})


class MarketDataConfig(_Strict):
    """The gateway's live books."""

    stale_after_ms: PositiveInt = 3000
    """A venue's book with no update for this long while its session is up is flagged stale and not used (the
    simulator refreshes every book each second, ``[simulator] md_refresh_ms``)."""
    mids_every_ms: int = Field(default=250, ge=0, le=60_000)
    """The mid series TCA's markouts read (``mids`` in the book): at most one row per symbol this often, when the
    consolidated mid changed; 0 records none."""
    mids_heartbeat_ms: int = Field(default=1000, gt=0, le=600_000)
    """An unchanged mid gets a row again this often, so the series says how long it held (a markout horizon past
    the last row is "not yet")."""
    mids_keep_days: int = Field(default=30, ge=0)
    """Rows of the mid series older than this are deleted (hourly); 0 keeps them all."""


class AdminConfig(_Strict):
    """The gateway's admin API, used by the CLI (and the dashboard)."""

    listen: str = "127.0.0.1:9880"
    """host:port; port 0 picks a free one (written next to the token for the CLI)."""
    token_file: str = "var/admin.token"
    """Created at start with a fresh random token, readable by the owner only; relative to the settings file."""


class MetricsConfig(_Strict):
    """The gateway's Prometheus endpoint (README "Monitoring")."""

    listen: str = ""
    """host:port serving ``GET /metrics`` in the Prometheus text format: read-only and unauthenticated, so keep it on
    loopback or a monitoring network; port 0 picks a free one; "" (the default) serves none."""

    @field_validator("listen")
    @classmethod
    def _address(cls, listen: str) -> str:
        return check_listen(listen)


class GatewayConfig(_Strict):
    """Everything in fixgw.toml."""

    database: DatabaseConfig = DatabaseConfig()
    instruments: dict[str, Instrument] = {}
    risk: RiskLimits = RiskLimits()
    clients: dict[str, ClientConfig] = {}
    venues: dict[str, VenueConfig] = {}
    routing: RoutingConfig = RoutingConfig()
    simulator: SimulatorConfig = SimulatorConfig()
    marketdata: MarketDataConfig = MarketDataConfig()
    admin: AdminConfig = AdminConfig()
    metrics: MetricsConfig = MetricsConfig()
    strategies: dict[str, StrategyConfig] = {}
    """The gateway's own strategies by name, each an internal client session ``STRATEGY:<NAME>``."""
    deployment: DeploymentConfig = DeploymentConfig()
    nats: NatsConfig = NatsConfig()
    """Where the services of ``[deployment] mode = "services"`` meet (``fixgw serve``)."""
    base_dir: Path = Field(default=REPO_ROOT, exclude=True)

    def admin_token_path(self) -> Path:
        """Where the admin token lives."""
        return (self.base_dir / self.admin.token_file).resolve()

    def venue_admin_token_path(self) -> Path:
        """Where the venue simulator's admin token lives (``[simulator] admin_token_file``)."""
        return (self.base_dir / self.simulator.admin_token_file).resolve()

    def database_url(self) -> str:
        """The database URL with a relative SQLite path made absolute against the settings file."""
        url = self.database.url
        prefix = "sqlite:///"
        if url.startswith(prefix) and not url[len(prefix) :].startswith("/") and url != "sqlite:///:memory:":
            return prefix + str((self.base_dir / url[len(prefix) :]).resolve())
        return url

    def check(self) -> None:
        """Refuse routing rules that name a venue that is not configured."""
        routing = self.routing
        named = {*routing.symbols.values(), *routing.accounts.values(), *([routing.default] if routing.default else [])}
        unknown = named - set(self.venues)
        if unknown:
            raise ConfigError(f"routing names venue(s) {sorted(unknown)} not defined under [venues]")
        self._check_adaptive()
        for name in self.deployment.venues:  # a venue service holds one FIX session (``fixgw serve venue``)
            if (venue := self.venues.get(name)) is None or venue.session is None:
                raise ConfigError(f"[deployment] venues: {name!r} is not a FIX venue under [venues]")
        for comp, client in self.clients.items():
            if client.market_data is not None and (missing := set(client.market_data) - set(self.instruments)):
                raise ConfigError(f"clients.{comp}.market_data names unknown instrument(s) {sorted(missing)}")
        for name, strategy in self.strategies.items():
            self._check_strategy(name, strategy)

    def _check_adaptive(self) -> None:
        adaptive, where = self.routing.adaptive, "routing.adaptive"
        if unknown := sorted(set(adaptive.venues) - set(self.venues)):
            raise ConfigError(f"{where}.venues names venue(s) {unknown} not defined under [venues]")
        if unknown := sorted(set(adaptive.symbols) - set(self.instruments)):
            raise ConfigError(f"{where}.symbols names unknown instrument(s) {unknown}")
        if ruled := sorted(set(adaptive.symbols) & set(self.routing.symbols)):
            raise ConfigError(f"{where}.symbols: {ruled} also have a symbol rule, which wins over adaptive; drop one")
        if adaptive.symbols and not self.routing.default:
            raise ConfigError(f"{where} needs routing.default: the static rule until the venues' scores are trusted")

    def _check_strategy(self, name: str, strategy: StrategyConfig) -> None:
        where = f"strategies.{name}"
        if not _STRATEGY_NAME.fullmatch(name):
            raise ConfigError(f"{where}: a strategy's name is 1-32 letters, digits, '-' or '_'")
        if strategy.symbol not in self.instruments:
            raise ConfigError(
                f"{where}.symbol: {strategy.symbol!r} is not an instrument (add [instruments.{strategy.symbol}])"
            )
        routing = self.routing
        if not (routing.accounts.get(strategy.account) or routing.symbols.get(strategy.symbol) or routing.default):
            raise ConfigError(
                f"{where}: no [routing] rule sends account {strategy.account}'s {strategy.symbol} orders anywhere"
            )

    def market_data_entitlements(self) -> dict[str, frozenset[str]]:
        """The symbols each client may subscribe to."""
        every = frozenset(self.instruments)
        return {comp: every if c.market_data is None else frozenset(c.market_data) for comp, c in self.clients.items()}


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
