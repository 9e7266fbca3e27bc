"""Strategy settings (``[strategies.<NAME>]`` in fixgw.toml), validated with pydantic: a bad one is refused at start
with one line naming the field."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PositiveInt, model_validator

_Positive = Annotated[Decimal, Field(gt=0)]


class MarketMakerConfig(BaseModel):
    """A market maker with inventory skew (``strategy.market_maker``): quotes ``size`` a side at ``r ± h`` around
    the reservation price ``r = mid - k·q``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["market_maker"]
    account: str = Field(min_length=1)
    """Account (1) of its orders: its session ``STRATEGY:<NAME>`` is entitled to it and to nothing else."""
    symbol: str = Field(min_length=1)
    """The instrument it quotes (an ``[instruments]`` entry)."""
    size: _Positive
    """OrderQty (38) of each quote."""
    half_spread_ticks: PositiveInt = 2
    """h: each quote is at least this many ticks from the reservation price."""
    skew_ticks_per_lot: Annotated[Decimal, Field(ge=0)] = Decimal(1)
    """k: the reservation price moves this many ticks against the inventory per ``lot_qty`` held."""
    lot_qty: _Positive = Decimal(100)
    """Shares in one lot of the skew (a round lot: 100)."""
    max_inventory: _Positive
    """Never quote the side whose fill would take |inventory| beyond this."""
    requote_ticks: PositiveInt = 1
    """Move a quote (replace, 35=G) only when the reservation price has moved this many ticks since it was set."""
    resume_ratio: Annotated[Decimal, Field(gt=0, lt=1)] = Decimal("0.5")
    """After an over-limit denial, the side stays stopped until |inventory| is under resume_ratio x max_inventory."""
    backoff_ms: PositiveInt = 500
    """First wait after a throttle (or other) denial before quoting again; doubled at each denial in a row."""
    max_backoff_ms: PositiveInt = 30_000
    """The longest wait between two attempts."""
    max_denials: PositiveInt = 3
    """Denials in a row (with no order accepted between) after which it goes idle whatever their kind."""
    enabled: bool = False
    """Start it with the gateway; otherwise ``fixgw strategy start NAME`` starts it."""

    @model_validator(mode="after")
    def _coherent(self) -> MarketMakerConfig:
        if self.size > self.max_inventory:
            raise ValueError(f"size {self.size} is over max_inventory {self.max_inventory}: it could never quote")
        if self.max_backoff_ms < self.backoff_ms:
            raise ValueError(f"max_backoff_ms {self.max_backoff_ms} is under backoff_ms {self.backoff_ms}")
        return self


StrategyConfig = MarketMakerConfig
"""Every kind of strategy (``kind``); one so far."""
