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
    groups: dict[tuple[str, str | None], list[OrderScore]] = defaultdict(list)
    for score in scores:
        venue = score.order.venue
        if venue is not None:
            groups[venue, score.order.symbol if by_symbol else None].append(score)
    acks = acks or {}
    return [
        _venue_score(venue, symbol, group, acks, horizons)
        for (venue, symbol), group in sorted(groups.items(), key=lambda item: (item[0][0], item[0][1] or ""))
    ]


def _venue_score(
    venue: str, symbol: str | None, group: list[OrderScore], acks: Mapping[str, AckRecord], horizons: int
) -> VenueScore:
    ordered = sum((s.order.order_qty for s in group), _ZERO)
    filled = sum((s.filled_qty for s in group), _ZERO)
    rejected = sum(1 for s in group if s.rejected)
    cash = [s.shortfall_cash for s in group if s.shortfall_cash is not None]
    fills = [f for s in group for f in s.fills]
    latencies = sorted(a.latency_ns for s in group if (a := acks.get(s.order.order_id)) is not None)
    return VenueScore(
        venue=venue,
        symbol=symbol,
        orders=len(group),
        rejected=rejected,
        reject_rate=ratio(Decimal(rejected), Decimal(len(group))),
        ordered_qty=ordered,
        filled_qty=filled,
        fill_ratio=ratio(filled, ordered),
        slippage_bps=weighted((s.slippage_bps, s.filled_qty) for s in group),
        shortfall_cash=sum(cash, _ZERO) if cash else None,
        shortfall_bps=weighted((s.shortfall_bps, s.order.order_qty) for s in group),
        markouts=tuple(weighted((f.markouts[i], f.fill.qty) for f in fills) for i in range(horizons)),
        ack=latency(latencies),
    )


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
