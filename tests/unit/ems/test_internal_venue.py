"""The internal venue: matching in the gateway's process, its events exactly those of the FIX path."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from domain.bus import MessageBus
from domain.channels import OMS_PROCESS
from domain.clock import TestClock
from domain.commands import CancelAtVenue, QueryAtVenue, ReplaceAtVenue
from domain.enums import CxlRejReason, OrdRejReason, OrdStatus, OrdType, Side, TimeInForce
from domain.events import (
    CancelRejected,
    OrderAccepted,
    OrderCanceled,
    OrderFilled,
    OrderRejected,
    OrderReplaced,
    OrderStatusReported,
)
from domain.ids import ClOrdId, OrderId, Symbol, VenueId
from ems.venues.internal import InternalVenue, venue_event
from fixgw.codec import outbound
from fixgw.codec.fields import QfFields
from fixgw.codec.inbound import decode_cancel_reject, decode_execution_report
from matching.book import MatchingEngine
from tests.factories import new_order

POOL = VenueId("POOL")


class Recorder:
    """``oms.process`` of the test: the events, and how many atomic groups were open when each came."""

    def __init__(self) -> None:
        self.events: list[Any] = []
        self.depth = 0
        self.depths: list[int] = []

    def __call__(self, event: Any) -> None:
        self.events.append(event)
        self.depths.append(self.depth)

    def atomic(self) -> Any:
        recorder = self

        class Group:
            def __enter__(self) -> None:
                recorder.depth += 1

            def __exit__(self, *_: object) -> None:
                recorder.depth -= 1

        return Group()

    def take(self) -> list[Any]:
        taken, self.events = self.events, []
        return taken


def venue(clock: TestClock | None = None, *, seeded: bool = True) -> tuple[InternalVenue, Recorder]:
    recorder = Recorder()
    bus = MessageBus(unit=recorder.atomic)
    bus.register(OMS_PROCESS, recorder)
    engine = MatchingEngine()
    if seeded:  # asks 100.01..100.03 and bids 99.99..99.97, 500 each
        engine.seed("MSFT", Decimal("100.00"), Decimal("0.01"), 3, Decimal(500))
    return InternalVenue(POOL, bus, clock or TestClock(), engine, ["MSFT"]), recorder


def submit(pool: InternalVenue, n: int, side: Side, qty: int, price: str | None, **kw: Any) -> None:
    order = new_order(
        order_id=OrderId(f"O{n}"),
        cl_ord_id=ClOrdId(f"C{n}"),
        side=side,
        order_qty=Decimal(qty),
        price=Decimal(price) if price else None,
        ord_type=OrdType.LIMIT if price else OrdType.MARKET,
        **kw,
    )
    pool.submit(order, ClOrdId(f"O{n}"))


def request(kind: type, n: int, k: int, orig: str | None = None, **kw: Any) -> Any:
    fields: dict[str, Any] = {
        "order_id": OrderId(f"O{n}"),
        "venue": POOL,
        "venue_cl_ord_id": ClOrdId(f"O{n}.{k}"),
        "venue_orig_cl_ord_id": ClOrdId(orig or f"O{n}"),
        "symbol": Symbol("MSFT"),
        "side": Side.BUY,
        "order_qty": Decimal(100),
    }
    return kind(**(fields | kw))


def replace(n: int, k: int, qty: int, price: str, orig: str | None = None) -> ReplaceAtVenue:
    return request(
        ReplaceAtVenue,
        n,
        k,
        orig,
        order_qty=Decimal(qty),
        account="ACCT1",
        ord_type=OrdType.LIMIT,
        price=Decimal(price),
        time_in_force=TimeInForce.DAY,
    )


def fills(events: list[Any]) -> list[tuple[str, Decimal, Decimal]]:
    return [(e.venue_cl_ord_id, e.last_qty, e.last_px) for e in events if isinstance(e, OrderFilled)]


def test_submit_when_order_crosses_house_asks_then_accepted_and_filled_level_by_level() -> None:
    pool, recorder = venue()

    submit(pool, 1, Side.BUY, 700, "100.02")

    accepted, *filled = recorder.take()
    assert isinstance(accepted, OrderAccepted)
    assert (accepted.venue, accepted.venue_cl_ord_id) == (POOL, "O1")
    assert fills(filled) == [("O1", 500, Decimal("100.01")), ("O1", 200, Decimal("100.02"))]
    ids = [accepted.venue_exec_id, *(e.venue_exec_id for e in filled)]
    assert len(set(ids)) == 3
    assert {e.venue_order_id for e in filled} == {accepted.venue_order_id}


def test_submit_when_gateway_orders_cross_then_maker_and_taker_filled_partially_on_both_sides() -> None:
    pool, recorder = venue(seeded=False)
    submit(pool, 1, Side.SELL, 100, "100")
    submit(pool, 2, Side.BUY, 60, "100")
    recorder.take()

    submit(pool, 3, Side.BUY, 80, "100.5")

    accepted, *filled = recorder.take()
    assert isinstance(accepted, OrderAccepted) and accepted.venue_cl_ord_id == "O3"
    assert fills(filled) == [("O1", 40, 100), ("O3", 40, 100)]  # maker first, at the maker's price
    pool.request(request(QueryAtVenue, 3, 1, "O3"))
    [status] = recorder.take()
    assert isinstance(status, OrderStatusReported)
    assert (status.ord_status, status.cum_qty) == (OrdStatus.PARTIALLY_FILLED, 40)


def test_submit_when_ioc_exceeds_liquidity_then_remainder_canceled() -> None:
    pool, recorder = venue()

    submit(pool, 1, Side.BUY, 700, "100.01", time_in_force=TimeInForce.IMMEDIATE_OR_CANCEL)
    submit(pool, 2, Side.BUY, 10, "99.00", time_in_force=TimeInForce.IMMEDIATE_OR_CANCEL)

    events = recorder.take()
    assert [type(e) for e in events] == [OrderAccepted, OrderFilled, OrderCanceled, OrderAccepted, OrderCanceled]
    assert fills(events) == [("O1", 500, Decimal("100.01"))]
    assert (events[2].venue_cl_ord_id, events[2].text) == ("O1", "remainder canceled")
    assert (events[4].venue_cl_ord_id, events[4].text) == ("O2", "no liquidity left within the order's limit")


def test_submit_when_market_order_then_fills_at_best_and_rest_canceled() -> None:
    pool, recorder = venue()

    submit(pool, 1, Side.SELL, 1600, None)

    events = recorder.take()
    assert fills(events) == [
        ("O1", 500, Decimal("99.99")),
        ("O1", 500, Decimal("99.98")),
        ("O1", 500, Decimal("99.97")),
    ]
    assert isinstance(events[-1], OrderCanceled) and events[-1].text == "remainder canceled"


@pytest.mark.parametrize(
    ("symbol", "qty", "price", "reason"),
    [
        ("XYZ", 10, "100", OrdRejReason.UNKNOWN_SYMBOL),
        ("MSFT", 0, "100", OrdRejReason.INCORRECT_QUANTITY),
        ("MSFT", -5, "100", OrdRejReason.INCORRECT_QUANTITY),
        ("MSFT", 10, "0", OrdRejReason.OTHER),
    ],
)
def test_submit_when_venue_refuses_then_rejected_with_reason(
    symbol: str, qty: int, price: str, reason: OrdRejReason
) -> None:
    pool, recorder = venue()
    order = new_order(symbol=Symbol(symbol), order_qty=Decimal(qty), price=Decimal(price))

    pool.submit(order, ClOrdId("O1"))

    [rejected] = recorder.take()
    assert isinstance(rejected, OrderRejected)
    assert (rejected.venue_cl_ord_id, rejected.reason) == ("O1", reason)
    assert rejected.text


def test_cancel_when_resting_then_canceled_under_the_request_id() -> None:
    pool, recorder = venue()
    submit(pool, 1, Side.BUY, 100, "99.50")
    recorder.take()

    pool.request(request(CancelAtVenue, 1, 1))

    [canceled] = recorder.take()
    assert isinstance(canceled, OrderCanceled) and canceled.venue_cl_ord_id == "O1.1"
    assert pool.exchange.engine.book("MSFT").depth()[0][0] == (Decimal("99.99"), 500)


@pytest.mark.parametrize(
    ("orig", "request_id", "reason"),
    [
        ("O9", "O9.1", CxlRejReason.UNKNOWN_ORDER),  # never seen
        ("O2", "O2.1", CxlRejReason.UNKNOWN_ORDER),  # filled, and forgotten: the OMS itself says "too late"
        ("O1", "O3", CxlRejReason.DUPLICATE_CL_ORD_ID),  # the request reuses a live order's ClOrdID
    ],
)
def test_cancel_when_not_possible_then_cancel_rejected_with_reason(
    orig: str, request_id: str, reason: CxlRejReason
) -> None:
    pool, recorder = venue()
    submit(pool, 1, Side.BUY, 100, "99.50")
    submit(pool, 2, Side.BUY, 100, "100.01")
    submit(pool, 3, Side.BUY, 100, "99.40")
    recorder.take()

    pool.request(request(CancelAtVenue, 0, 0, orig, venue_cl_ord_id=ClOrdId(request_id)))

    [rejected] = recorder.take()
    assert isinstance(rejected, CancelRejected)
    assert (rejected.venue, rejected.venue_cl_ord_id, rejected.reason) == (POOL, request_id, reason)


def test_replace_when_quantity_lowered_then_keeps_place_else_goes_to_the_back() -> None:
    pool, recorder = venue(seeded=False)
    for n in (1, 2):
        submit(pool, n, Side.BUY, 100, "99")
    pool.request(replace(1, 1, 80, "99"))  # lower quantity, same price: keeps its place
    submit(pool, 3, Side.SELL, 50, "99")
    assert fills(recorder.take())[:1] == [("O1.1", 50, 99)]

    pool.request(replace(1, 2, 200, "99", orig="O1.1"))  # more quantity: to the back, behind O2
    submit(pool, 4, Side.SELL, 50, "99")

    replaced, _accepted, maker, taker = recorder.take()
    assert isinstance(replaced, OrderReplaced)
    assert (replaced.venue_cl_ord_id, replaced.order_qty, replaced.price) == ("O1.2", 200, 99)
    assert (maker.venue_cl_ord_id, taker.venue_cl_ord_id) == ("O2", "O4")


def test_replace_when_new_price_crosses_then_replaced_and_filled() -> None:
    pool, recorder = venue()
    submit(pool, 1, Side.BUY, 100, "99.50")
    recorder.take()

    pool.request(replace(1, 1, 100, "100.01"))

    replaced, filled = recorder.take()
    assert isinstance(replaced, OrderReplaced) and replaced.price == Decimal("100.01")
    assert fills([filled]) == [("O1.1", 100, Decimal("100.01"))]


def test_status_when_order_unknown_then_rejected_with_venue_order_id_none() -> None:
    pool, recorder = venue()

    pool.request(request(QueryAtVenue, 1, 1, "O1"))

    [status] = recorder.take()
    assert isinstance(status, OrderStatusReported)
    assert (status.venue_cl_ord_id, status.venue_order_id, status.ord_status) == ("O1", "NONE", OrdStatus.REJECTED)


def test_events_when_compared_with_fix_path_then_identical() -> None:
    """Every report the exchange makes, sent over FIX and decoded, is the event the venue emits without FIX."""
    clock = TestClock()
    pool, recorder = venue(clock)
    reports: list[Any] = []
    pool.exchange._sink = lambda r: (reports.append(r), pool._reports.append(r))  # type: ignore[method-assign]
    submit(pool, 1, Side.BUY, 100, "99.50")
    submit(pool, 2, Side.SELL, 1700, "99.50", time_in_force=TimeInForce.IMMEDIATE_OR_CANCEL)
    submit(pool, 3, Side.BUY, 100, "99.00")
    pool.request(replace(3, 1, 50, "99.10"))
    pool.request(request(CancelAtVenue, 3, 2, "O3.1"))
    pool.request(request(CancelAtVenue, 3, 3, "O3.1"))
    pool.request(request(QueryAtVenue, 3, 4, "O3.2"))
    pool.request(request(QueryAtVenue, 9, 1, "O9"))
    submit(pool, 4, Side.BUY, 10, "100", symbol=Symbol("XYZ"))

    over_fix = [
        decode_execution_report(QfFields(outbound.execution_report(r)), POOL, clock)
        if hasattr(r, "exec_type")
        else decode_cancel_reject(QfFields(outbound.order_cancel_reject(r)), POOL, clock)
        for r in reports
    ]

    assert recorder.take() == over_fix
    assert len(over_fix) == 15
    assert [venue_event(POOL, r, clock) for r in reports] == over_fix


def test_request_when_made_while_events_are_delivered_then_its_events_follow_them_in_one_group() -> None:
    pool, recorder = venue(seeded=False)
    submit(pool, 1, Side.SELL, 100, "100")
    recorder.take()
    canceled_on: list[str] = []

    def react(event: Any) -> None:  # as a risk breach does: the first fill cancels both orders
        recorder(event)
        if isinstance(event, OrderFilled) and not canceled_on:
            canceled_on.append(event.venue_cl_ord_id)
            pool.request(request(CancelAtVenue, 1, 1, "O1", side=Side.SELL))
            pool.request(request(CancelAtVenue, 2, 1, "O2"))

    pool._bus._endpoints[OMS_PROCESS] = react

    with pool._bus.entered():  # as the EMS calls it: inside the bus, one unit of work
        submit(pool, 2, Side.BUY, 150, "100")

    events = recorder.take()
    assert [type(e) for e in events] == [OrderAccepted, OrderFilled, OrderFilled, CancelRejected, OrderCanceled]
    assert [e.venue_cl_ord_id for e in events] == ["O2", "O1", "O2", "O1.1", "O2.1"]
    assert events[3].reason is CxlRejReason.TOO_LATE_TO_CANCEL  # O1 filled one command ago: still known
    assert recorder.depths[-5:] == [1, 1, 1, 1, 1]
    pool.request(request(CancelAtVenue, 1, 2, "O1", side=Side.SELL))
    [late] = recorder.take()
    assert late.reason is CxlRejReason.UNKNOWN_ORDER  # closed two commands ago: forgotten (memory stays flat)
    pool.request(request(QueryAtVenue, 9, 1, "O9"))
    assert pool.exchange._orders == {}


def test_venue_when_started_again_then_exec_ids_do_not_repeat() -> None:
    clock = TestClock()
    first, first_events = venue(clock)
    submit(first, 1, Side.BUY, 100, "100.01")
    clock.advance(1)
    second, second_events = venue(clock)
    submit(second, 2, Side.BUY, 100, "100.01")

    events = first_events.take() + second_events.take()
    assert len({e.venue_exec_id for e in events}) == len(events) == 4
    assert len({e.venue_order_id for e in events}) == 2


def test_a_strategys_order_when_carrying_a_tick_then_its_tick_to_trade_ends_at_the_commit() -> None:
    from domain.latency import Tick, hops, ticks

    deferred: list[Any] = []
    recorder = Recorder()
    bus = MessageBus(unit=recorder.atomic)
    bus.register(OMS_PROCESS, recorder)
    pool = InternalVenue(POOL, bus, TestClock(), MatchingEngine(), ["MSFT"], defer=deferred.append)
    ticks.reset()
    tick = Tick(1, 2, 3).copy(decided=4)
    hops.carry(tick)
    try:
        hops.mark("risk")
        submit(pool, 1, Side.BUY, 100, "99.00")
        hops.mark("route")  # the EMS, after the venue took it
        pool.request(replace(1, 1, 100, "99.01"))  # a second order in the same carry: one sample, not two
    finally:
        hops.carry(None)
    assert len(deferred) == 2 and ticks.summary() == {}  # nothing until the commit
    for action in deferred:
        action()
    summary = ticks.summary()
    assert summary["tick-to-trade"]["count"] == 1 and summary["commit"]["count"] == 1 and "send" not in summary
