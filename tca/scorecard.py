"""The venue scorecard: order scores aggregated per venue (and per venue and symbol), quantity-weighted.

- fill ratio: filled quantity over ordered quantity, rejected orders' quantity included in what was ordered;
- reject rate: orders the venue rejected over orders sent to it;
- slippage and IS bps: means of the orders' figures weighted by filled quantity (slippage) and by OrderQty (IS);
  IS cash is the sum;
- markouts: means over all the venue's fills weighted by fill quantity (each horizon over the fills it covers);
- ack latency: NewOrderSingle sent to the venue's first answer, from the audit trail (``AckRecord``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from decimal import Decimal

import msgspec

from domain.tca_records import AckRecord
from tca.measures import CONTEXT, HORIZONS_S, ratio, weighted
from tca.scores import OrderScore

_C = CONTEXT
_ZERO = Decimal(0)
_MS = Decimal(1_000_000)


class Latency(msgspec.Struct, frozen=True, kw_only=True):
    """Ack latency over a venue's orders, in milliseconds (exact; rounded only for display)."""

    count: int
    mean_ms: Decimal
    p50_ms: Decimal
    p99_ms: Decimal
    max_ms: Decimal


class VenueScore(msgspec.Struct, frozen=True, kw_only=True):
    """One venue's (or one venue and symbol's) figures."""

    venue: str
    symbol: str | None
    """None: every symbol."""
    orders: int
    rejected: int
    reject_rate: Decimal | None
    ordered_qty: Decimal
    filled_qty: Decimal
    fill_ratio: Decimal | None
    slippage_bps: Decimal | None
    shortfall_cash: Decimal | None
    shortfall_bps: Decimal | None
    markouts: tuple[Decimal | None, ...]
    ack: Latency | None
    """None where the book recorded no round trip (the internal venue answers inside the gateway)."""


def scorecard(
    scores: Iterable[OrderScore],
    acks: Mapping[str, AckRecord] | None = None,
    *,
    by_symbol: bool = False,
    horizons: int = len(HORIZONS_S),
) -> list[VenueScore]:
    """Aggregate order scores per venue (``by_symbol``: per venue and symbol), sorted by venue then symbol."""
    venues, venue_symbols = scorecards(scores, acks, horizons)
    return venue_symbols if by_symbol else venues


def scorecards(
    scores: Iterable[OrderScore], acks: Mapping[str, AckRecord] | None = None, horizons: int = len(HORIZONS_S)
) -> tuple[list[VenueScore], list[VenueScore]]:
    """Both scorecards in one pass: per venue, and per venue and symbol (each sorted)."""
    acks = acks or {}
    groups: dict[tuple[str, str], _Sums] = {}
    for score in scores:
        venue = score.order.venue
        if venue is None:
            continue
        key = (venue, score.order.symbol)
        if (sums := groups.get(key)) is None:
            sums = groups[key] = _Sums(horizons)
        sums.add(score, acks.get(score.order.order_id))
    per_venue: dict[str, _Sums] = {}
    for (venue, _), sums in sorted(groups.items()):
        per_venue.setdefault(venue, _Sums(horizons)).merge(sums)
    return (
        [sums.score(venue, None) for venue, sums in per_venue.items()],
        [sums.score(venue, symbol) for (venue, symbol), sums in sorted(groups.items())],
    )


class _Sums:
    """Running sums of a group of orders: what a ``VenueScore`` is made of, mergeable."""

    __slots__ = ("cash", "filled", "fills", "latencies", "ordered", "orders", "rejected", "shortfall", "slippage")

    def __init__(self, horizons: int) -> None:
        self.orders = self.rejected = 0
        self.ordered = self.filled = _ZERO
        self.cash: Decimal | None = None
        self.slippage = [_ZERO, _ZERO]  # sum of value x weight, sum of weights
        self.shortfall = [_ZERO, _ZERO]
        self.fills = [[_ZERO, _ZERO] for _ in range(horizons)]
        self.latencies: list[int] = []

    def add(self, s: OrderScore, ack: AckRecord | None) -> None:
        self.orders += 1
        self.rejected += s.rejected
        self.ordered = _C.add(self.ordered, s.order.order_qty)
        self.filled = _C.add(self.filled, s.filled_qty)
        if s.shortfall_cash is not None:
            self.cash = _C.add(self.cash or _ZERO, s.shortfall_cash)
        _accumulate(self.slippage, s.slippage_bps, s.filled_qty)
        _accumulate(self.shortfall, s.shortfall_bps, s.order.order_qty)
        fma, add = _C.fma, _C.add
        for f in s.fills:  # inlined: a hundred thousand fills times three horizons (bench/tca_bench.py)
            qty = f.fill.qty
            for sums, value in zip(self.fills, f.markouts, strict=True):
                if value is not None and qty:
                    sums[0] = fma(value, qty, sums[0])
                    sums[1] = add(sums[1], qty)
        if ack is not None:
            self.latencies.append(ack.latency_ns)

    def merge(self, other: _Sums) -> None:
        self.orders += other.orders
        self.rejected += other.rejected
        self.ordered = _C.add(self.ordered, other.ordered)
        self.filled = _C.add(self.filled, other.filled)
        if other.cash is not None:
            self.cash = _C.add(self.cash or _ZERO, other.cash)
        for mine, theirs in zip(
            [self.slippage, self.shortfall, *self.fills], [other.slippage, other.shortfall, *other.fills], strict=True
        ):
            mine[0], mine[1] = _C.add(mine[0], theirs[0]), _C.add(mine[1], theirs[1])
        self.latencies += other.latencies

    def score(self, venue: str, symbol: str | None) -> VenueScore:
        return VenueScore(
            venue=venue,
            symbol=symbol,
            orders=self.orders,
            rejected=self.rejected,
            reject_rate=ratio(Decimal(self.rejected), Decimal(self.orders)),
            ordered_qty=self.ordered,
            filled_qty=self.filled,
            fill_ratio=ratio(self.filled, self.ordered),
            slippage_bps=_mean(self.slippage),
            shortfall_cash=self.cash,
            shortfall_bps=_mean(self.shortfall),
            markouts=tuple(_mean(sums) for sums in self.fills),
            ack=latency(sorted(self.latencies)),
        )


def _accumulate(sums: list[Decimal], value: Decimal | None, weight: Decimal) -> None:
    if value is not None and weight:
        sums[0] = _C.fma(value, weight, sums[0])
        sums[1] = _C.add(sums[1], weight)


def _mean(sums: list[Decimal]) -> Decimal | None:
    return _C.divide(sums[0], sums[1]) if sums[1] else None


def latency(sorted_ns: list[int]) -> Latency | None:
    """Summary of latencies given in ns, sorted; None for none."""
    if not sorted_ns:
        return None
    n = len(sorted_ns)

    def ms(ns: int) -> Decimal:
        return CONTEXT.divide(Decimal(ns), _MS)

    return Latency(
        count=n,
        mean_ms=CONTEXT.divide(Decimal(sum(sorted_ns)), _MS * n),
        p50_ms=ms(sorted_ns[(n - 1) // 2]),
        p99_ms=ms(sorted_ns[min(n - 1, (99 * n) // 100)]),
        max_ms=ms(sorted_ns[-1]),
    )


def markout_curve(scores: Iterable[OrderScore], horizons_s: tuple[int, ...]) -> dict[str, list[Decimal | None]]:
    """Per venue, the fill-quantity-weighted markout at each horizon (scores computed with ``horizons_s``)."""
    fills_by_venue: dict[str, list[tuple[tuple[Decimal | None, ...], Decimal]]] = defaultdict(list)
    for score in scores:
        for fill in score.fills:
            fills_by_venue[fill.fill.venue].append((fill.markouts, fill.fill.qty))
    return {
        venue: [weighted((m[i], qty) for m, qty in fills) for i in range(len(horizons_s))]
        for venue, fills in sorted(fills_by_venue.items())
    }
