"""How a simulated venue differs from a clean one: fees, added latency, a reject ratio and adverse selection.

Theory of operation. ``Behaviour`` is the settings, immutable; ``VenueBehaviour`` is what a venue holds while it
runs: the settings in force (``set`` swaps them whole, at once, e.g. to swap two venues' behaviours mid-run) and the
venue's one seeded random stream. Every valid new order draws exactly one number from that stream, whatever the
reject ratio (0 included), so the n-th new order meets the n-th draw: the same seed and the same order sequence give
the same rejects, and changing the ratio mid-run never shifts the draws of the orders after it.

The fee is charged on each fill and stated in the report as FIX states it: Commission (12) with CommType (13)
1 (per unit) for a per-share fee, 2 (percent: bps / 100) for a fee in basis points, 3 (absolute money) when both
are set. Latency and adverse selection are carried out by the venue's front (``matching.delay``,
``matching.market``); this module only says how much.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal

from domain.enums import CommType

_ZERO = Decimal(0)
_BPS = Decimal(10_000)


@dataclass(frozen=True, slots=True)
class Behaviour:
    """A venue's configurable behaviour; the defaults are a clean venue."""

    fee_per_share: Decimal = _ZERO
    """Money charged per share (unit) filled."""
    fee_bps: Decimal = _ZERO
    """Basis points of each fill's value (LastQty x LastPx) charged."""
    latency_ms: int = 0
    """Delay before the venue handles a member's request (new, cancel, replace, status) and so answers it."""
    reject_ratio: float = 0.0
    """Fraction of valid new orders rejected (35=8 150=8), chosen by the venue's seeded random stream."""
    adverse_bps: Decimal = _ZERO
    """After a command in which members bought (sold) a symbol on balance, its fair value moves down (up) this many
    basis points (at least one tick): the members' markouts turn negative."""

    def as_dict(self) -> dict[str, object]:
        """The settings as JSON-friendly values (Decimals as strings)."""
        return {
            "fee_per_share": str(self.fee_per_share),
            "fee_bps": str(self.fee_bps),
            "latency_ms": self.latency_ms,
            "reject_ratio": self.reject_ratio,
            "adverse_bps": str(self.adverse_bps),
        }


@dataclass(slots=True)
class BehaviourCounters:
    """What the behaviour did, for tests and monitoring."""

    drawn: int = 0
    """New orders that drew from the random stream."""
    rejected: int = 0
    fees: Decimal = _ZERO
    """Money charged in all."""
    adverse_moves: int = 0
    delayed: int = 0
    """Requests handled after the added latency."""


class VenueBehaviour:
    """The behaviour a running venue applies: swappable settings, one seeded random stream, counters."""

    def __init__(self, settings: Behaviour | None = None, seed: int = 1) -> None:
        """``seed``: the random stream's; a str seed is hashed with SHA-512 by ``random.seed``, the same on every
        run whatever PYTHONHASHSEED says."""
        self.settings = settings or Behaviour()
        self.seed = seed
        self._rng = random.Random(f"{seed}:rejects")
        self.counters = BehaviourCounters()

    def set(self, settings: Behaviour) -> None:
        """Apply ``settings`` from the next request on; the random stream goes on where it was."""
        self.settings = settings

    @property
    def latency_ns(self) -> int:
        """The added latency in nanoseconds."""
        return self.settings.latency_ms * 1_000_000

    def rejects_new_order(self) -> bool:
        """Draw for one valid new order: True when the reject ratio rejects it."""
        self.counters.drawn += 1
        rejected = self._rng.random() < self.settings.reject_ratio
        self.counters.rejected += rejected
        return rejected

    def reject_text(self) -> str:
        """Text (58) of a simulated reject."""
        return f"simulated reject: this venue's reject_ratio is {self.settings.reject_ratio:g}"

    def commission(self, last_qty: Decimal, last_px: Decimal) -> tuple[Decimal, CommType] | None:
        """Commission (12) and CommType (13) of a fill, or None for a venue without fees."""
        per_share, bps = self.settings.fee_per_share, self.settings.fee_bps
        if not per_share and not bps:
            return None
        money = per_share * last_qty + bps / _BPS * last_qty * last_px
        self.counters.fees += money
        if not bps:
            return per_share, CommType.PER_UNIT
        if not per_share:
            return bps / 100, CommType.PERCENT  # CommType 2 is a percentage: 1 bp = 0.01 %
        return money, CommType.ABSOLUTE

    def adverse_move(self, member_net_qty: Decimal, fair: Decimal, tick: Decimal) -> Decimal:
        """The fair value's move after members bought (``member_net_qty`` > 0) or sold (< 0) on balance: against
        them by ``adverse_bps`` of ``fair``, rounded to the tick (at least one); 0 without adverse selection."""
        bps = self.settings.adverse_bps
        if not bps or not member_net_qty:
            return _ZERO
        ticks = max(1, round(fair * bps / _BPS / tick))
        self.counters.adverse_moves += 1
        return -tick * ticks if member_net_qty > 0 else tick * ticks
