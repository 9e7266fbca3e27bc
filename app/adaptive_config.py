"""``[routing.adaptive]``: which symbols are routed by the live venue scores, and how (README "Adaptive routing")."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class AdaptiveConfig(BaseModel):
    """Adaptive routing: off (no symbols) by default."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    symbols: list[str] = []
    """The symbols routed adaptively (each needs no symbol rule: that would win over adaptive)."""
    venues: list[str] = []
    """The candidate venues (two or more), in the order ties are broken."""
    min_samples: int = Field(default=30, ge=1)
    """A venue's score is trusted once it answered this many of the window's orders; until every venue's is, the
    static rule (the default venue) applies."""
    window: int = Field(default=200, ge=1, le=100_000)
    """The rolling window: a venue's last ``window`` marked-out fills and last ``window`` answered orders."""
    hysteresis_bps: Decimal = Field(default=Decimal("0.5"), ge=0)
    """The incumbent keeps the flow until another venue is cheaper by more than this."""
    explore_every: int = Field(default=20, ge=0)
    """Every explore_every-th adaptive order of a symbol goes to another venue than the best (0: never; then a venue
    without samples never gets any)."""
    horizon_ms: int = Field(default=1000, ge=1, le=3_600_000)
    """The markout horizon: a fill is marked against the mid in force this long after it."""
    reject_penalty_bps: Decimal = Field(default=Decimal(10), ge=0)
    """A venue's reject rate (0 to 1) times this is added to its cost."""

    @model_validator(mode="after")
    def _consistent(self) -> AdaptiveConfig:
        if self.symbols and len(set(self.venues)) < 2:
            raise ValueError("adaptive routing chooses among two or more venues: list them in venues = [...]")
        if len(set(self.venues)) != len(self.venues):
            raise ValueError(f"venues lists a venue twice: {self.venues}")
        if self.min_samples > self.window:
            raise ValueError(f"min_samples {self.min_samples} is above window {self.window}: never trusted")
        if self.explore_every == 1:
            raise ValueError("explore_every = 1 would send every order exploring; 0 (never) or 2 and up")
        return self
