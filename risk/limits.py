"""Risk limits, validated with pydantic so that a bad file is refused at start naming the field."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, condecimal, conint

PositiveDecimal = condecimal(gt=0)
PositiveInt = conint(gt=0)

_NUMERIC = (
    "max_order_qty", "max_notional", "price_band_pct", "max_long_qty", "max_short_qty", "credit_limit",
    "max_daily_loss", "max_orders_per_second", "duplicate_window_ms",
)  # fmt: skip


class LimitSet(BaseModel):
    """Limits at one scope; a limit left out does not apply at that scope."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_order_qty: PositiveDecimal | None = None  # type: ignore[valid-type]
    """Largest OrderQty (38) of one order."""
    max_notional: PositiveDecimal | None = None  # type: ignore[valid-type]
    """Largest OrderQty x price of one order, in the instrument's currency."""
    price_band_pct: PositiveDecimal | None = None  # type: ignore[valid-type]
    """A limit price may be at most this many percent away from the reference (last trade, else configured)."""
    max_long_qty: PositiveDecimal | None = None  # type: ignore[valid-type]
    """Largest long position, counting working buy orders."""
    max_short_qty: PositiveDecimal | None = None  # type: ignore[valid-type]
    """Largest short position (a positive number), counting working sell orders."""
    credit_limit: PositiveDecimal | None = None  # type: ignore[valid-type]
    """Largest open-order notional plus position notional of an account (all symbols)."""
    max_daily_loss: PositiveDecimal | None = None  # type: ignore[valid-type]
    """Largest loss (realized + unrealized, a positive number) of an account before new orders are refused."""
    max_orders_per_second: PositiveInt | None = None  # type: ignore[valid-type]
    """New orders and replaces of an account in any one-second window."""
    duplicate_window_ms: PositiveInt | None = None  # type: ignore[valid-type]
    """Refuse an order identical (account, symbol, side, quantity, price) to one sent this recently."""
    restricted_symbols: frozenset[str] = frozenset()
    """Symbols that may not be traded at this scope."""


class RiskLimits(BaseModel):
    """Every limit: firm-wide defaults, then per account and per symbol; the tightest applies."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    default: LimitSet = LimitSet()
    accounts: dict[str, LimitSet] = {}
    symbols: dict[str, LimitSet] = {}
    on_breach: Literal["none", "reduce_only", "halt"] = "reduce_only"
    """What a position or loss limit breached after a fill does to the account (and its working orders go)."""

    def effective(self, account: str, symbol: str) -> LimitSet:
        """Return the tightest limit of each kind that applies to ``account`` trading ``symbol``."""
        scopes = [s for s in (self.default, self.accounts.get(account), self.symbols.get(symbol)) if s is not None]
        values: dict[str, Any] = {name: _tightest([getattr(s, name) for s in scopes]) for name in _NUMERIC}
        restricted = frozenset().union(*(s.restricted_symbols for s in scopes))
        return LimitSet.model_construct(**values, restricted_symbols=restricted)

    def with_limit(self, scope: str, key: str | None, name: str, value: Decimal | None) -> RiskLimits:
        """Return a copy with one limit changed (validated as if read from the file)."""
        if name not in _NUMERIC:
            raise ValueError(f"unknown limit {name!r}; one of: {', '.join(_NUMERIC)}")
        if scope == "default":
            return RiskLimits.model_validate(self.model_dump() | {"default": _set(self.default, name, value)})
        field = "accounts" if scope == "account" else "symbols"
        assert key is not None
        table = {k: v.model_dump() for k, v in (self.accounts if scope == "account" else self.symbols).items()}
        table[key] = _set(LimitSet.model_validate(table.get(key, {})), name, value)
        return RiskLimits.model_validate(self.model_dump() | {field: table})


EffectiveLimits = LimitSet


def _set(limits: LimitSet, name: str, value: Decimal | None) -> dict[str, object]:
    return limits.model_dump() | {name: value}


def _tightest(values: list[Decimal | int | None]) -> Decimal | int | None:
    present = [v for v in values if v is not None]
    return min(present) if present else None


class Instrument(BaseModel):
    """A tradable symbol and the reference price market orders are valued at."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    reference_price: PositiveDecimal  # type: ignore[valid-type]
