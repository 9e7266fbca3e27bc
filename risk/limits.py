"""Risk limits, validated with pydantic so that a bad file is refused at start naming the field."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, condecimal

PositiveDecimal = condecimal(gt=0)


class LimitSet(BaseModel):
    """Limits at one scope; a limit left out does not apply at that scope."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_order_qty: PositiveDecimal | None = None  # type: ignore[valid-type]
    """Largest OrderQty (38) of one order."""
    max_notional: PositiveDecimal | None = None  # type: ignore[valid-type]
    """Largest OrderQty x price of one order, in the instrument's currency."""


class RiskLimits(BaseModel):
    """Every limit: firm-wide defaults, then per account and per symbol; the tightest applies."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    default: LimitSet = LimitSet()
    accounts: dict[str, LimitSet] = {}
    symbols: dict[str, LimitSet] = {}

    def effective(self, account: str, symbol: str) -> EffectiveLimits:
        """Return the tightest limit of each kind that applies to ``account`` trading ``symbol``."""
        scopes = [self.default, self.accounts.get(account), self.symbols.get(symbol)]
        present = [s for s in scopes if s is not None]
        return EffectiveLimits(
            max_order_qty=_tightest([s.max_order_qty for s in present]),
            max_notional=_tightest([s.max_notional for s in present]),
        )


class EffectiveLimits(BaseModel):
    """The limits that apply to one (account, symbol) pair."""

    model_config = ConfigDict(frozen=True)

    max_order_qty: Decimal | None
    max_notional: Decimal | None


def _tightest(values: list[Decimal | None]) -> Decimal | None:
    present = [v for v in values if v is not None]
    return min(present) if present else None


class Instrument(BaseModel):
    """A tradable symbol and the reference price market orders are valued at."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    reference_price: PositiveDecimal  # type: ignore[valid-type]
