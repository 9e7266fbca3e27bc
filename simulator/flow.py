"""The venue simulator's own order flow: a drifting fair value per symbol and noise takers, from a seed.

Theory of operation. Time is cut into steps of ``step_ms``; step k covers the simulated interval
((k-1)·dt, k·dt]. Each symbol has its own ``random.Random``, seeded from the flow's seed and the symbol's name (so
adding a symbol changes no other symbol's flow), and draws from it in a fixed order at every step:

1. the fair value: a multiplicative random walk, ``x ← x·(1 + sigma·√dt·Z)`` with Z standard normal and sigma the
   volatility in basis points per √second; the published fair value is ``x`` rounded to the tick (never below
   ``depth + 1`` ticks, so that the house ladder's lowest bid stays positive). ``x`` itself is not rounded: a walk
   whose steps are smaller than half a tick still drifts;
2. the noise takers: arrivals are a Poisson process of ``taker_rate_per_s`` (exponential gaps, drawn one arrival
   ahead), and each arrival inside the step draws a side (even odds) and a size, uniform over the multiples of
   ``taker_lot`` from ``taker_min_qty`` to ``taker_max_qty``.

The sequence of steps is therefore a pure function of the seed and the settings: a test replays it exactly; only
the wall-clock moment each step runs at (``simulator.flow_runner``) varies. Nothing here touches a book.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from decimal import Decimal

from domain.enums import Side

_BPS = 10_000


@dataclass(frozen=True, slots=True)
class FlowParams:
    """What shapes a symbol's flow (``[simulator.flow]`` and the ladder's ``[simulator]`` settings)."""

    seed: int
    step_ms: int
    vol_bps_per_sqrt_s: float
    """Volatility of the fair value: the standard deviation of its relative change over one second, in bps."""
    taker_rate_per_s: float
    """Mean noise taker arrivals per second and symbol (Poisson)."""
    taker_min_qty: Decimal
    taker_max_qty: Decimal
    taker_lot: Decimal
    tick: Decimal
    depth: int
    """House levels a side: the fair value never goes below ``depth + 1`` ticks."""

    @property
    def step_s(self) -> float:
        """A step's length in seconds."""
        return self.step_ms / 1000


@dataclass(frozen=True, slots=True)
class TakerOrder:
    """A noise taker's order: it crosses the spread for ``qty`` on ``side`` (its price is the runner's business)."""

    symbol: str
    side: Side
    qty: Decimal


@dataclass(frozen=True, slots=True)
class FlowStep:
    """What one step of one symbol's flow did: where the fair value went, and who arrived to take."""

    symbol: str
    index: int
    """1 for the first step."""
    fair: Decimal
    takers: tuple[TakerOrder, ...]


class SymbolFlow:
    """The seeded flow of one symbol: call ``step`` once per ``step_ms``."""

    def __init__(self, symbol: str, reference: Decimal, params: FlowParams) -> None:
        """Start the fair value at ``reference`` (the seeded book's centre)."""
        self.symbol = symbol
        self._params = params
        # A str seed is hashed with SHA-512 by random.seed: the same on every run, whatever PYTHONHASHSEED says.
        self._rng = random.Random(f"{params.seed}:{symbol}")
        self._sigma = params.vol_bps_per_sqrt_s / _BPS * math.sqrt(params.step_s)
        self._tick_f = float(params.tick)
        self._floor = params.depth + 1
        self.value = float(reference)
        """The fair value before rounding."""
        self.fair = self._rounded()
        self._index = 0
        self._sizes = int((params.taker_max_qty - params.taker_min_qty) / params.taker_lot)
        self._next_arrival_s = self._gap()

    def step(self) -> FlowStep:
        """Move the fair value one step, then draw the takers that arrive within it."""
        rng = self._rng
        self._index += 1
        self.value *= 1 + self._sigma * rng.gauss(0.0, 1.0)
        self.fair = self._rounded()
        end_s = self._index * self._params.step_s
        takers: list[TakerOrder] = []
        while self._next_arrival_s <= end_s:
            side = Side.BUY if rng.random() < 0.5 else Side.SELL
            qty = self._params.taker_min_qty + self._params.taker_lot * rng.randint(0, self._sizes)
            takers.append(TakerOrder(self.symbol, side, qty))
            self._next_arrival_s += self._gap()
        return FlowStep(self.symbol, self._index, self.fair, tuple(takers))

    def _gap(self) -> float:
        rate = self._params.taker_rate_per_s
        return self._rng.expovariate(rate) if rate > 0 else math.inf

    def _rounded(self) -> Decimal:
        ticks = max(round(self.value / self._tick_f), self._floor)
        return self._params.tick * ticks
