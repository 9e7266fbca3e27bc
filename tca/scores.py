"""Per-fill and per-order scores: what each execution cost against the prices captured at the time.

The inputs are what the book recorded (``domain.tca_records``); nothing is reconstructed. An order's benchmarks:
- arrival mid: the mid of the consolidated bid and offer when the OMS booked it;
- decision price: the sender's (DecisionPx 5900), else the arrival mid;
- end price: for the unfilled part, the recorded mid when the order ended (a terminal order's last change); an
  order still working is valued at the latest recorded mid.
A figure whose inputs are missing (no market data at arrival, a horizon the mid series does not cover yet) is None:
"not yet" or "not known", never guessed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from decimal import Decimal

import msgspec

from domain.enums import OrdStatus
from domain.tca_records import FillRecord, OrderRecord
from tca.measures import (
    CONTEXT,
    HORIZONS_S,
    NS_PER_S,
    MidSeries,
    markout_bps,
    mid_of,
    ratio,
    shortfall_bps,
    shortfall_cash,
    slippage_bps,
    weighted,
)

_ZERO = Decimal(0)
_NO_SERIES = MidSeries([])


class FillScore(msgspec.Struct, frozen=True, kw_only=True):
    """One fill's measures."""

    fill: FillRecord
    mid: Decimal | None
    """The mid of the consolidated quote when the fill was booked."""
    vs_mid_bps: Decimal | None
    """Slippage against that mid (includes the half spread paid), positive a cost."""
    slippage_bps: Decimal | None
    """Slippage against the order's arrival mid, positive a cost."""
    markouts: tuple[Decimal | None, ...]
    """Markout at each horizon, positive favourable; None while the mid series does not cover t + h."""


class OrderScore(msgspec.Struct, frozen=True, kw_only=True):
    """One order's measures."""

    order: OrderRecord
    fills: tuple[FillScore, ...]
    filled_qty: Decimal
    avg_px: Decimal | None
    """The exact average fill price (sum of qty·px over sum of qty), not the book's rounded AvgPx (6)."""
    arrival_mid: Decimal | None
    decision: Decimal | None
    """The decision price used: the sender's, else the arrival mid."""
    end_px: Decimal | None
    """The price the unfilled part is valued at (None when nothing is left unfilled)."""
    slippage_bps: Decimal | None
    shortfall_cash: Decimal | None
    shortfall_bps: Decimal | None
    markouts: tuple[Decimal | None, ...]
    """Fill-quantity-weighted mean of the fills' markouts at each horizon (over the fills that have one)."""
    fill_ratio: Decimal | None

    @property
    def rejected(self) -> bool:
        """Refused by its venue (or on its way there): never worked."""
        return self.order.status is OrdStatus.REJECTED


def score_orders(
    orders: Iterable[OrderRecord],
    fills: Iterable[FillRecord],
    series: Mapping[str, MidSeries],
    horizons_s: tuple[int, ...] = HORIZONS_S,
) -> list[OrderScore]:
    """Score every order with its fills; ``series`` holds the mid series of each symbol."""
    by_order: dict[str, list[FillRecord]] = defaultdict(list)
    for fill in fills:
        by_order[fill.order_id].append(fill)
    return [
        score_order(order, by_order.get(order.order_id, []), series.get(order.symbol, _NO_SERIES), horizons_s)
        for order in orders
    ]


def score_order(
    order: OrderRecord, fills: list[FillRecord], series: MidSeries, horizons_s: tuple[int, ...] = HORIZONS_S
) -> OrderScore:
    """Score one order and its fills."""
    filled = value = _ZERO
    for f in fills:  # exact for any real price and quantity: CONTEXT holds 50 digits
        filled = CONTEXT.add(filled, f.qty)
        value = CONTEXT.fma(f.qty, f.px, value)
    avg_px = CONTEXT.divide(value, filled) if filled else None
    arrival = mid_of(order.arrival_bid, order.arrival_ask)
    decision = order.decision_px if order.decision_px is not None else arrival
    rejected = order.status is OrdStatus.REJECTED  # never worked: nothing of it was left to fill
    unfilled = _ZERO if rejected else max(CONTEXT.subtract(order.order_qty, filled), _ZERO)
    end_px = _end_px(order, series) if unfilled else None
    slippage = slippage_bps(order.side, avg_px, arrival) if avg_px is not None and arrival else None
    cash = bps = None
    if decision and (filled or unfilled):
        cash = shortfall_cash(order.side, decision, value, filled, end_px, unfilled)
        bps = shortfall_bps(cash, decision, order.order_qty) if cash is not None else None
    scored = tuple(_score_fill(fill, order, arrival, series, horizons_s) for fill in fills)
    if len(scored) == 1:
        markouts = scored[0].markouts  # the mean of one
    else:
        markouts = tuple(weighted([(s.markouts[i], s.fill.qty) for s in scored]) for i in range(len(horizons_s)))
    return OrderScore(
        order=order,
        fills=scored,
        filled_qty=filled,
        avg_px=avg_px,
        arrival_mid=arrival,
        decision=decision,
        end_px=end_px,
        slippage_bps=slippage,
        shortfall_cash=cash,
        shortfall_bps=bps,
        markouts=markouts,
        fill_ratio=ratio(filled, order.order_qty),
    )


def _end_px(order: OrderRecord, series: MidSeries) -> Decimal | None:
    if order.status.is_terminal:
        return series.at(order.updated_ns)
    return series.latest()  # still working: what is left is worth the market now


def _score_fill(
    fill: FillRecord, order: OrderRecord, arrival: Decimal | None, series: MidSeries, horizons_s: tuple[int, ...]
) -> FillScore:
    mid = mid_of(fill.bid, fill.ask)
    side, px, ts, at = order.side, fill.px, fill.ts_ns, series.at
    markouts = [None if (later := at(ts + h * NS_PER_S)) is None else markout_bps(side, px, later) for h in horizons_s]
    return FillScore(
        fill=fill,
        mid=mid,
        vs_mid_bps=slippage_bps(order.side, fill.px, mid) if mid else None,
        slippage_bps=slippage_bps(order.side, fill.px, arrival) if arrival else None,
        markouts=tuple(markouts),
    )
