"""The TCA report as ``fixgw tca`` prints it: which mids the scores need, and the report's JSON shape.

Every figure in the JSON is a string rounded for display (``measures.display``: 4 decimals) or null where it is not
known (no market data at arrival, a markout horizon the mid series does not cover yet); prices and quantities are
exact, as the book holds them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from domain.tca_records import FillRecord, OrderRecord
from tca.measures import CONTEXT, HORIZONS_S, NS_PER_S, display
from tca.scorecard import Latency, VenueScore
from tca.scores import FillScore, OrderScore

_PRICE_QUANTUM = Decimal("1E-8")


def mid_windows(
    orders: Iterable[OrderRecord], fills: Iterable[FillRecord], horizons_s: tuple[int, ...] = HORIZONS_S
) -> dict[str, tuple[int, int]]:
    """Per symbol, the span of time whose mids the scores read: from the first fill or order end to the last fill
    plus the longest horizon (or the last order end)."""
    reach = max(horizons_s, default=0) * NS_PER_S
    fill_times: dict[str, list[int]] = defaultdict(list)
    end_times: dict[str, list[int]] = defaultdict(list)
    for fill in fills:
        fill_times[fill.symbol].append(fill.ts_ns)
    for order in orders:
        end_times[order.symbol].append(order.updated_ns)
    spans: dict[str, tuple[int, int]] = {}
    for symbol in fill_times.keys() | end_times.keys():
        filled, ended = fill_times.get(symbol, []), end_times.get(symbol, [])
        ends = [max(filled) + reach] if filled else []
        spans[symbol] = (min(filled + ended), max(ends + ended))
    return spans


def horizon_names(horizons_s: tuple[int, ...] = HORIZONS_S) -> list[str]:
    """``1s``, ``5s``, ``60s``: the keys of the markouts in the JSON."""
    return [f"{h}s" for h in horizons_s]


def report_json(
    venues: list[VenueScore],
    venue_symbols: list[VenueScore],
    scores: list[OrderScore],
    *,
    as_of_ns: int,
    filters: dict[str, Any],
) -> dict[str, Any]:
    """The whole report: per-venue scorecard, per venue and symbol, per order with its fills."""
    return {
        "as_of_ns": as_of_ns,
        "filters": filters,
        "horizons_s": list(HORIZONS_S),
        "venues": [venue_json(v) for v in venues],
        "venue_symbols": [venue_json(v) for v in venue_symbols],
        "orders": [order_json(s) for s in scores],
    }


def venue_json(v: VenueScore) -> dict[str, Any]:
    """One scorecard row."""
    return {
        "venue": v.venue,
        "symbol": v.symbol,
        "orders": v.orders,
        "rejected": v.rejected,
        "reject_rate": display(v.reject_rate),
        "ordered_qty": exact(v.ordered_qty),
        "filled_qty": exact(v.filled_qty),
        "fill_ratio": display(v.fill_ratio),
        "slippage_bps": display(v.slippage_bps),
        "is_cash": display(v.shortfall_cash),
        "is_bps": display(v.shortfall_bps),
        "markout_bps": _markouts(v.markouts),
        "ack_latency_ms": _latency(v.ack),
    }


def order_json(s: OrderScore) -> dict[str, Any]:
    """One order's detail."""
    o = s.order
    return {
        "order_id": o.order_id,
        "cl_ord_id": o.cl_ord_id,
        "account": o.account,
        "symbol": o.symbol,
        "venue": o.venue,
        "side": o.side.name.lower(),
        "status": o.status.name,
        "order_qty": exact(o.order_qty),
        "filled_qty": exact(s.filled_qty),
        "avg_px": _price(s.avg_px),
        "arrival_mid": exact(s.arrival_mid),
        "decision_px": exact(s.decision),
        "decision_from": "sender" if o.decision_px is not None else "arrival" if s.decision is not None else None,
        "end_px": exact(s.end_px),
        "slippage_bps": display(s.slippage_bps),
        "is_cash": display(s.shortfall_cash),
        "is_bps": display(s.shortfall_bps),
        "markout_bps": _markouts(s.markouts),
        "fill_ratio": display(s.fill_ratio),
        "route_reason": o.route_reason,
        "created_ns": o.created_ns,
        "fills": [fill_json(f) for f in s.fills],
    }


def fill_json(f: FillScore) -> dict[str, Any]:
    """One fill's detail."""
    fill = f.fill
    return {
        "exec_id": fill.exec_id,
        "ts_ns": fill.ts_ns,
        "qty": exact(fill.qty),
        "px": exact(fill.px),
        "bid": exact(fill.bid),
        "ask": exact(fill.ask),
        "vs_mid_bps": display(f.vs_mid_bps),
        "slippage_bps": display(f.slippage_bps),
        "markout_bps": _markouts(f.markouts),
    }


def _markouts(values: tuple[Decimal | None, ...]) -> dict[str, str | None]:
    return dict(zip(horizon_names(), (display(v) for v in values), strict=True))


def _latency(ack: Latency | None) -> dict[str, Any] | None:
    if ack is None:
        return None
    return {
        "count": ack.count,
        "mean": _ms(ack.mean_ms),
        "p50": _ms(ack.p50_ms),
        "p99": _ms(ack.p99_ms),
        "max": _ms(ack.max_ms),
    }


def _ms(value: Decimal) -> str:
    return format(value.quantize(Decimal("0.001")), "f")


def exact(value: Decimal | None) -> str | None:
    """A price or quantity as the book holds it, without the trailing zeros a NUMERIC column adds (PostgreSQL
    gives 100.000000000000 where SQLite gives 100.00): the same text from either."""
    if value is None:
        return None
    return format(value.normalize(context=CONTEXT), "f")


def _price(value: Decimal | None) -> str | None:
    """A computed price (the average fill price): to 1e-8, without trailing zeros."""
    if value is None:
        return None
    return format(value.quantize(_PRICE_QUANTUM, context=CONTEXT).normalize(context=CONTEXT), "f")
