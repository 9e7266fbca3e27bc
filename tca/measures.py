"""The measures of post-trade TCA (issue 18), in exact Decimal arithmetic.

Signs, fixed once (README "TCA"): s = +1 for a buy, -1 for a sell.
- arrival slippage, bps: s·(avg_px - arrival_mid)/arrival_mid·1e4. Positive is a cost (bought above the mid).
- implementation shortfall (Perold), cash: s·(avg_px - decision)·filled + s·(end_px - decision)·unfilled, the
  unfilled part valued at the mid when the order ended; bps: cash/(decision·order_qty)·1e4. Positive is a cost.
- markout at +h, bps: s·(mid(t_fill + h) - px)/px·1e4. Positive is favourable (the market moved our way after we
  traded); negative is adverse selection.

Every division runs in ``CONTEXT`` (50 significant digits), so a figure is the same on any database and any
machine; only display rounds (``display``).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from decimal import ROUND_HALF_EVEN, Context, Decimal

from domain.enums import Side
from domain.tca_records import MidPoints

CONTEXT = Context(prec=50, rounding=ROUND_HALF_EVEN)
"""Where every TCA figure is computed: enough digits that no display digit depends on rounding inside."""
BPS = Decimal(10_000)
HORIZONS_S: tuple[int, ...] = (1, 5, 60)
"""The markout horizons of the scorecard, in seconds."""
NS_PER_S = 1_000_000_000
_C = CONTEXT
_ZERO = Decimal(0)
_QUANTUM = Decimal("0.0001")
_TWO = Decimal(2)


def sign(side: Side) -> int:
    """+1 for a buy, -1 for a sell: the factor that makes a cost positive."""
    return 1 if side is Side.BUY else -1


def mid_of(bid: Decimal | None, ask: Decimal | None) -> Decimal | None:
    """The mid of a two-sided quote, else None."""
    if bid is None or ask is None:
        return None
    return CONTEXT.divide(bid + ask, _TWO)


def signed(side: Side, value: Decimal) -> Decimal:
    """``value`` times s: as it is for a buy, negated (exactly) for a sell."""
    return value if side is Side.BUY else value.copy_negate()


def slippage_bps(side: Side, px: Decimal, benchmark: Decimal) -> Decimal:
    """How much worse than ``benchmark`` ``px`` is, in bps of the benchmark (positive: a cost)."""
    return signed(side, _C.divide(_C.multiply(_C.subtract(px, benchmark), BPS), benchmark))


def markout_bps(side: Side, px: Decimal, later_mid: Decimal) -> Decimal:
    """How far the mid moved our way after trading at ``px``, in bps of ``px`` (positive: favourable)."""
    return signed(side, _C.divide(_C.multiply(_C.subtract(later_mid, px), BPS), px))


def shortfall_cash(
    side: Side, decision: Decimal, filled_value: Decimal, filled: Decimal, end_px: Decimal | None, unfilled: Decimal
) -> Decimal | None:
    """Implementation shortfall in money (positive: a cost): ``filled_value`` is the sum of qty·px of the fills,
    so the executed part is s·(filled_value - decision·filled), exact; None when an unfilled part has no end price.
    """
    executed = _C.subtract(filled_value, _C.multiply(decision, filled))
    if unfilled:
        if end_px is None:
            return None
        executed = _C.fma(_C.subtract(end_px, decision), unfilled, executed)
    return signed(side, executed)


def shortfall_bps(cash: Decimal, decision: Decimal, order_qty: Decimal) -> Decimal:
    """Implementation shortfall in bps of the decision notional (decision price times OrderQty)."""
    return _C.divide(_C.multiply(cash, BPS), _C.multiply(decision, order_qty))


def weighted(pairs: Iterable[tuple[Decimal | None, Decimal]]) -> Decimal | None:
    """The mean of the values weighted by their weights, skipping None values; None when nothing is left."""
    total = weight = _ZERO
    for value, w in pairs:
        if value is not None and w:
            total = _C.fma(value, w, total)
            weight = _C.add(weight, w)
    return _C.divide(total, weight) if weight else None


def ratio(part: Decimal, whole: Decimal) -> Decimal | None:
    """``part/whole``, None when whole is zero."""
    return CONTEXT.divide(part, whole) if whole else None


def display(value: Decimal | None) -> str | None:
    """A figure as shown: four decimals (half even), never "-0.0000"."""
    if value is None:
        return None
    shown = value.quantize(_QUANTUM, rounding=ROUND_HALF_EVEN, context=CONTEXT)
    return format(shown.copy_abs() if shown.is_zero() else shown, "f")


class MidSeries:
    """A symbol's recorded mids, piecewise constant: ``at(t)`` is the last mid recorded at or before ``t``.

    A time after the last row is not covered: nothing says the mid held that long (the recorder writes a row at
    least every heartbeat while it runs), so ``at`` answers None there rather than guess; likewise before the
    first row.
    """

    __slots__ = ("_last", "_mids", "_times", "covered_until_ns")

    def __init__(self, points: MidPoints, last: tuple[int, Decimal] | None = None) -> None:
        """``points`` oldest first; ``last``: the symbol's last row in the whole series, when ``points`` is only a
        window of it (it says how far the series covers, and what the mid is now)."""
        self._times = [ts for ts, _ in points]
        self._mids = [mid for _, mid in points]
        self._last = last if last is not None else points[-1] if points else None
        self.covered_until_ns = self._last[0] if self._last is not None else None

    def at(self, ts_ns: int) -> Decimal | None:
        """The mid at ``ts_ns``, or None when the series does not cover it."""
        if self.covered_until_ns is None or ts_ns > self.covered_until_ns:
            return None
        i = bisect_right(self._times, ts_ns)
        return self._mids[i - 1] if i else None

    def latest(self) -> Decimal | None:
        """The last mid recorded."""
        return self._last[1] if self._last is not None else None
