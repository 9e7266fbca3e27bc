"""One venue's rolling statistics in one symbol: the window of its last fills and of its last answered orders.

Arithmetic is ``Decimal`` throughout, and every per-fill figure is quantized to ``BPS_QUANTUM`` before it enters a
running sum: sums of such products are exact (far inside the context's 28 digits), so taking the oldest sample
back out of a sum leaves exactly the sum of the rest, however long the engine runs (floats would drift).
"""

from __future__ import annotations

from collections import deque
from decimal import Decimal
from typing import Final

from domain.ids import Symbol, VenueId
from domain.tca import VenueScore

BPS_QUANTUM: Final = Decimal("0.000001")
"""Per-fill basis points are kept to a millionth of a bp."""
SCORE_QUANTUM: Final = Decimal("0.0001")
_ZERO: Final = Decimal(0)
_ONE_DECIMAL: Final = Decimal("0.1")


class FillSample:
    """A fill with its markout in: quantity and its costs in bps (slippage None: no arrival mid)."""

    __slots__ = ("fee_bps", "markout_bps", "qty", "slippage_bps")

    def __init__(self, qty: Decimal, slippage_bps: Decimal | None, fee_bps: Decimal, markout_bps: Decimal) -> None:
        self.qty = qty
        self.slippage_bps = slippage_bps
        self.fee_bps = fee_bps
        self.markout_bps = markout_bps


class VenueStats:
    """The rolling window of one (venue, symbol) and the sums its score is read from in O(1)."""

    def __init__(self, venue: VenueId, symbol: Symbol, window: int, reject_penalty_bps: Decimal) -> None:
        self.venue = venue
        self.symbol = symbol
        self._window = window
        self._penalty = reject_penalty_bps
        self._fills: deque[FillSample] = deque()
        self._qty = _ZERO
        self._slipped_qty = _ZERO
        """Quantity of the fills that had an arrival mid (slippage is averaged over those only)."""
        self._slippage = _ZERO
        self._fee = _ZERO
        self._markout = _ZERO
        self._answers: deque[bool] = deque()
        """Whether each of the last ``window`` orders the venue answered was rejected."""
        self._rejects = 0

    def add_fill(self, sample: FillSample) -> None:
        """A fill's markout is in: it joins the window, the oldest leaves a full one."""
        if len(self._fills) == self._window:
            self._move(self._fills.popleft(), -1)
        self._fills.append(sample)
        self._move(sample, 1)

    def add_answer(self, rejected: bool) -> bool:
        """The venue answered an order: rejected it, or took it. False when that left the score as it was (a full
        window, and neither the answer nor the one it pushed out a reject)."""
        changed = rejected
        if len(self._answers) == self._window:
            evicted = self._answers.popleft()
            self._rejects -= evicted
            changed = changed or evicted
        else:
            changed = True
        self._answers.append(rejected)
        self._rejects += rejected
        return changed

    def score(self, ts_ns: int) -> VenueScore:
        """The venue's score now."""
        n = len(self._answers)
        reject_rate = Decimal(self._rejects) / n if n else _ZERO
        slippage = fee = markout = cost = None
        if self._qty:
            fee = (self._fee / self._qty).quantize(SCORE_QUANTUM)
            markout = (self._markout / self._qty).quantize(SCORE_QUANTUM)
            cost = fee - markout
            if self._slipped_qty:
                slippage = (self._slippage / self._slipped_qty).quantize(SCORE_QUANTUM)
                cost += slippage
        elif n and self._rejects == n:
            cost = _ZERO  # it rejects everything: what a fill costs there does not matter
        if cost is not None:
            cost = (cost + reject_rate * self._penalty).quantize(SCORE_QUANTUM)
        label = f"{self.venue} {cost.quantize(_ONE_DECIMAL) if cost is not None else '?'} bps"
        return VenueScore(
            venue=self.venue,
            symbol=self.symbol,
            cost_bps=cost,
            n=n,
            fills=len(self._fills),
            slippage_bps=slippage,
            fee_bps=fee,
            markout_bps=markout,
            reject_rate=reject_rate.quantize(SCORE_QUANTUM),
            ts_ns=ts_ns,
            label=label,
        )

    def _move(self, sample: FillSample, sign: int) -> None:
        qty = sample.qty if sign > 0 else -sample.qty
        self._qty += qty
        self._fee += qty * sample.fee_bps
        self._markout += qty * sample.markout_bps
        if sample.slippage_bps is not None:
            self._slipped_qty += qty
            self._slippage += qty * sample.slippage_bps
