"""Risk limits, validated with pydantic so that a bad file is refused at start naming the field."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time, timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, condecimal, conint, field_validator

from risk.var import VarSettings

PositiveDecimal = condecimal(gt=0)
RatePerSecond = conint(gt=0, le=1_000_000)
"""A throttle: the engine keeps up to this many timestamps per window, so it is bounded (no gateway takes more)."""
PositiveInt = conint(gt=0)

_NUMERIC = (
    "max_order_qty",
    "max_notional",
    "price_band_pct",
    "max_long_qty",
    "max_short_qty",
    "credit_limit",
    "max_daily_loss",
    "max_orders_per_second",
    "max_messages_per_second",
    "duplicate_window_ms",
    "max_gross_exposure",
    "max_net_exposure",
    "max_var",
)
PORTFOLIO_LIMITS = ("max_gross_exposure", "max_net_exposure", "max_var")
"""Limits on an account's whole portfolio (``risk.portfolio_checks``): set in ``[risk.default]`` or per account."""
_SESSION = ("max_orders_per_second", "max_messages_per_second")
ALL_SESSIONS = "*"
"""The key of ``[risk.sessions]`` whose limits apply to every client session."""

BreachAction = Literal["reduce_only", "halt", "cancel_working", "send_reducing_order"]
NoReference = Literal["reject", "skip_band"]
BandReference = Literal["last", "mid", "mid_else_last"]
_ON_BREACH_WORDS: dict[str, tuple[str, ...]] = {
    "none": (),
    "reduce_only": ("reduce_only", "cancel_working"),
    "halt": ("halt", "cancel_working"),
}
"""The single words ``on_breach`` took before it became a list: each still means what it did."""


class LimitSet(BaseModel):
    """Limits at one scope; a limit left out does not apply at that scope."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_order_qty: PositiveDecimal | None = None  # type: ignore[valid-type]
    """Largest OrderQty (38) of one order."""
    max_notional: PositiveDecimal | None = None  # type: ignore[valid-type]
    """Largest OrderQty x price of one order, in the instrument's currency."""
    price_band_pct: PositiveDecimal | None = None  # type: ignore[valid-type]
    """A limit price may be at most this many percent away from the reference (``RiskLimits.band_reference``)."""
    max_long_qty: PositiveDecimal | None = None  # type: ignore[valid-type]
    """Largest long position, counting working buy orders."""
    max_short_qty: PositiveDecimal | None = None  # type: ignore[valid-type]
    """Largest short position (a positive number), counting working sell orders."""
    credit_limit: PositiveDecimal | None = None  # type: ignore[valid-type]
    """Largest open-order notional plus position notional of an account (all symbols)."""
    max_daily_loss: PositiveDecimal | None = None  # type: ignore[valid-type]
    """Largest loss of an account in the trading day (realized since the day roll + unrealized, a positive
    number) before new orders are refused."""
    max_orders_per_second: RatePerSecond | None = None  # type: ignore[valid-type]
    """New orders and replaces of an account in any one-second window."""
    max_messages_per_second: RatePerSecond | None = None  # type: ignore[valid-type]
    """New orders, replaces and cancels of an account in any one-second window."""
    duplicate_window_ms: PositiveInt | None = None  # type: ignore[valid-type]
    """Refuse an order identical (account, symbol, side, quantity, price) to one sent this recently."""
    restricted_symbols: frozenset[str] = frozenset()
    """Symbols that may not be traded at this scope."""
    max_gross_exposure: PositiveDecimal | None = None  # type: ignore[valid-type]
    """Largest sum of |position x mark| over an account's symbols (with the order and the working orders on its
    side in its symbol counted as filled)."""
    max_net_exposure: PositiveDecimal | None = None  # type: ignore[valid-type]
    """Largest |sum of position x mark| over an account's symbols (long or short): the delta of a cash book."""
    max_var: PositiveDecimal | None = None  # type: ignore[valid-type]
    """Largest one-day parametric VaR of an account's positions (``[risk.var]`` says how it is estimated)."""


class FirmLimits(BaseModel):
    """``[risk.firm]``: limits on the firm's whole portfolio, every account's positions together."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_gross_exposure: PositiveDecimal | None = None  # type: ignore[valid-type]
    """Largest sum over symbols of |the firm's position x mark|."""
    max_net_exposure: PositiveDecimal | None = None  # type: ignore[valid-type]
    """Largest |sum of the firm's position x mark| (long or short)."""
    max_var: PositiveDecimal | None = None  # type: ignore[valid-type]
    """Largest one-day parametric VaR of the firm's positions."""

    def any_limit(self) -> bool:
        """Whether any of the three is set."""
        return any(getattr(self, name) is not None for name in PORTFOLIO_LIMITS)


class SessionLimits(BaseModel):
    """Throttles of one client session (by its CompID), whatever the accounts it trades."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_messages_per_second: RatePerSecond | None = None  # type: ignore[valid-type]
    """Application messages (35=D, F, G, H, q) from the session in any one-second window."""
    max_orders_per_second: RatePerSecond | None = None  # type: ignore[valid-type]
    """New orders and replaces from the session in any one-second window."""


class RiskLimits(BaseModel):
    """Every limit: firm-wide defaults, then per account and per symbol; the tightest applies."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    default: LimitSet = LimitSet()
    accounts: dict[str, LimitSet] = {}
    symbols: dict[str, LimitSet] = {}
    sessions: dict[str, SessionLimits] = {}
    """Per client CompID; ``"*"`` applies to every session (the tighter of the two applies)."""
    on_breach: tuple[BreachAction, ...] = ("reduce_only", "cancel_working")
    """What a position or loss limit found breached after a fill does: switch the account to ``reduce_only``
    or ``halt``, ``cancel_working`` orders of the account, ``send_reducing_order`` through the EMS."""
    day_roll_utc: time = time(0, 0)
    """When the trading day starts, in UTC: realized P&L counts towards ``max_daily_loss`` from then on."""
    no_reference: NoReference = "reject"
    """An order in a symbol with no reference price yet (no trade, none configured): ``reject`` it, or
    ``skip_band``, i.e. check a limit order without the price band (a market order, which nothing values, is
    still refused)."""
    band_reference: BandReference = "last"
    """What the price band (and a market order's value) is referenced to: ``last``, the symbol's last trade, else
    its configured ``reference_price``; ``mid``, the consolidated mid of the live books (``domain.marketdata.Quotes``),
    else the configured ``reference_price``; ``mid_else_last``, the mid, else what ``last`` gives. A book with no usable
    mid (none, one-sided, crossed or locked, stale) falls back; with no reference at all ``no_reference`` decides."""
    firm: FirmLimits = FirmLimits()
    """``[risk.firm]``: limits on the firm's whole portfolio."""
    var: VarSettings = VarSettings()
    """``[risk.var]``: how the portfolio VaR is estimated (``risk.var``)."""

    @field_validator("symbols")
    @classmethod
    def _no_portfolio_limit_per_symbol(cls, value: dict[str, LimitSet]) -> dict[str, LimitSet]:
        for symbol, limits in value.items():
            for name in PORTFOLIO_LIMITS:
                if getattr(limits, name) is not None:
                    raise ValueError(
                        f"{name} is about an account's whole portfolio: set it in risk.default or "
                        f"risk.accounts.<account>, not for symbol {symbol}"
                    )
        return value

    @field_validator("on_breach", mode="before")
    @classmethod
    def _on_breach_words(cls, value: object) -> object:
        if isinstance(value, str):
            if value not in _ON_BREACH_WORDS:
                raise ValueError(f"one of {', '.join(_ON_BREACH_WORDS)}, or a list of actions")
            return _ON_BREACH_WORDS[value]
        return value

    @field_validator("on_breach")
    @classmethod
    def _one_state(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if "reduce_only" in value and "halt" in value:
            raise ValueError("reduce_only and halt are two states: choose one")
        return tuple(dict.fromkeys(value))

    @field_validator("day_roll_utc")
    @classmethod
    def _naive_utc(cls, value: time) -> time:
        if value.utcoffset() not in (None, timedelta(0)):
            raise ValueError("give the roll time in UTC, without an offset")
        return value.replace(tzinfo=None)

    def effective(self, account: str, symbol: str) -> EffectiveLimits:
        """Return the tightest limit of each kind that applies to ``account`` trading ``symbol``."""
        scopes = [s for s in (self.default, self.accounts.get(account), self.symbols.get(symbol)) if s is not None]
        values: dict[str, Any] = {name: _tightest([getattr(s, name) for s in scopes]) for name in _NUMERIC}
        restricted = frozenset().union(*(s.restricted_symbols for s in scopes))
        return EffectiveLimits(**values, restricted_symbols=restricted)

    def effective_session(self, client: str) -> SessionLimits:
        """Return the tighter of the every-session and the ``client`` session's throttles."""
        scopes = [s for s in (self.sessions.get(ALL_SESSIONS), self.sessions.get(client)) if s is not None]
        values: dict[str, Any] = {name: _tightest([getattr(s, name) for s in scopes]) for name in _SESSION}
        return SessionLimits.model_construct(**values)

    def rate_caps(self) -> dict[str, int]:
        """The largest value each throttle has at any scope: no effective limit of its kind can be larger."""
        account_scopes = [self.default, *self.accounts.values(), *self.symbols.values()]
        caps = {f"account.{n}": max((getattr(s, n) or 0 for s in account_scopes), default=0) for n in _SESSION}
        caps |= {f"session.{n}": max((getattr(s, n) or 0 for s in self.sessions.values()), default=0) for n in _SESSION}
        return caps

    def any_loss_limit(self) -> bool:
        """Whether ``max_daily_loss`` is set at any scope."""
        scopes = [self.default, *self.accounts.values(), *self.symbols.values()]
        return any(s.max_daily_loss is not None for s in scopes)

    def any_portfolio_limit(self) -> bool:
        """Whether a portfolio limit (gross, net, VaR) is set at any scope."""
        scopes = [self.default, *self.accounts.values()]
        return self.firm.any_limit() or any(getattr(s, name) is not None for s in scopes for name in PORTFOLIO_LIMITS)

    def longest_duplicate_window_ms(self) -> int:
        """The longest duplicate window at any scope (0 when none is set)."""
        scopes = [self.default, *self.accounts.values(), *self.symbols.values()]
        return max((s.duplicate_window_ms or 0 for s in scopes), default=0)

    def with_limit(self, scope: str, key: str | None, name: str, value: Decimal | None) -> RiskLimits:
        """Return a copy with one limit changed (validated as if read from the file).

        ``scope`` is ``default``, ``account`` or ``symbol`` (a ``LimitSet``), ``session`` with a client CompID
        or ``"*"`` as ``key`` (its ``SessionLimits``), or ``firm`` (``FirmLimits``, no key).
        """
        if scope == "firm":
            if name not in PORTFOLIO_LIMITS:
                raise ValueError(f"unknown firm limit {name!r}; one of: {', '.join(PORTFOLIO_LIMITS)}")
            return RiskLimits.model_validate(self.model_dump() | {"firm": self.firm.model_dump() | {name: value}})
        if scope == "session":
            if name not in _SESSION:
                raise ValueError(f"unknown session limit {name!r}; one of: {', '.join(_SESSION)}")
            assert key is not None
            sessions = {k: v.model_dump() for k, v in self.sessions.items()}
            sessions[key] = SessionLimits.model_validate(sessions.get(key, {})).model_dump() | {name: value}
            return RiskLimits.model_validate(self.model_dump() | {"sessions": sessions})
        if name not in _NUMERIC:
            raise ValueError(f"unknown limit {name!r}; one of: {', '.join(_NUMERIC)}")
        if scope == "default":
            return RiskLimits.model_validate(self.model_dump() | {"default": _set(self.default, name, value)})
        field = "accounts" if scope == "account" else "symbols"
        assert key is not None
        table = {k: v.model_dump() for k, v in (self.accounts if scope == "account" else self.symbols).items()}
        table[key] = _set(LimitSet.model_validate(table.get(key, {})), name, value)
        return RiskLimits.model_validate(self.model_dump() | {field: table})


@dataclass(frozen=True, slots=True)
class EffectiveLimits:
    """The limits that apply to one account trading one symbol (``RiskLimits.effective``), already validated.

    The same fields as ``LimitSet``, in a plain slotted class: the order path reads them several times an order.
    """

    max_order_qty: Decimal | None = None
    max_notional: Decimal | None = None
    price_band_pct: Decimal | None = None
    max_long_qty: Decimal | None = None
    max_short_qty: Decimal | None = None
    credit_limit: Decimal | None = None
    max_daily_loss: Decimal | None = None
    max_orders_per_second: int | None = None
    max_messages_per_second: int | None = None
    duplicate_window_ms: int | None = None
    restricted_symbols: frozenset[str] = frozenset()
    max_gross_exposure: Decimal | None = None
    max_net_exposure: Decimal | None = None
    max_var: Decimal | None = None


Limits = LimitSet | EffectiveLimits
"""What a check reads its limits from: one scope's, or the effective ones."""


def _set(limits: LimitSet, name: str, value: Decimal | None) -> dict[str, object]:
    return limits.model_dump() | {name: value}


def _tightest(values: list[Decimal | int | None]) -> Decimal | int | None:
    present = [v for v in values if v is not None]
    return min(present) if present else None


class Instrument(BaseModel):
    """A tradable symbol and the reference price market orders are valued at."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    reference_price: Annotated[Decimal, Field(gt=0)] | None = None
    """Until the symbol's first trade, the price band's reference and a market order's value; without one, the
    symbol has no reference until it trades (``RiskLimits.no_reference`` says what its orders get)."""
    tick_size: Annotated[Decimal, Field(gt=0)] = Decimal("0.01")
    """A limit order's Price (44) must be a multiple of it."""
    lot_size: Annotated[Decimal, Field(gt=0)] = Decimal(1)
    """OrderQty (38) must be a multiple of it: 1, whole shares, by default."""
