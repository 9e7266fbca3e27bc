"""CancelWorking (kill switch, cancel-on-disconnect, post-trade cancel): every order in scope is canceled, those
in flight when it comes (39=A, or a cancel/replace pending) as soon as the venue's answer leaves them working."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from domain.commands import CancelAtVenue, CancelWorking
from domain.enums import OrdStatus, TimeInForce
from domain.events import OrderRouted
from domain.ids import ClOrdId, ExecId, OrderId, VenueId
from oms.engine import OmsEngine
from tests.factories import accepted, cancel_rejected, fill, new_order, rejected, replaced
from tests.unit.oms.test_risk_hooks import replace, setup

KILL = CancelWorking(everything=True, reason="kill switch (global ) by ops: test")


def book(oms: OmsEngine, cl_ord_id: str = "C1", **terms: Any) -> OrderId:
    """A new order as far as the venue leg (routed, not acked yet); return its OrderID."""
    oms.execute(new_order(cl_ord_id=ClOrdId(cl_ord_id), order_id=OrderId(""), **terms))
    order_id = OrderId(f"O{len(oms.book.by_id)}")
    oms.process(OrderRouted(order_id=order_id, venue=VenueId("VENUE"), venue_cl_ord_id=ClOrdId(order_id), ts_ns=1))
    return order_id


def pending_replace(oms: OmsEngine) -> None:
    """The order acked, then a replace that risk passed on its way to the venue (39=E)."""
    oms.process(accepted())
    oms.execute(replace())


def cancels(forwarded: list[Any]) -> list[CancelAtVenue]:
    return [m for m in forwarded if isinstance(m, CancelAtVenue)]


def test_cancel_working_when_order_not_acked_yet_then_canceled_once_the_venue_acks() -> None:
    oms, _, _, forwarded = setup()
    order_id = book(oms)

    oms.execute(KILL)
    sent_before_ack = cancels(forwarded)
    oms.process(accepted())

    assert sent_before_ack == []  # a cancel before the ack would cross it
    [cancel] = cancels(forwarded)
    assert (cancel.order_id, cancel.venue_orig_cl_ord_id) == (order_id, "O1")
    assert oms.book.by_id[order_id].status is OrdStatus.PENDING_CANCEL


Answer = Callable[[OmsEngine], None]
ANSWERS: dict[str, tuple[Answer, Answer, bool]] = {
    # case: (what is in flight, the venue's answer, canceled then)
    "a fill before the ack": (lambda _: None, lambda o: o.process(fill("30", "100")), True),
    "filled in full before the ack": (lambda _: None, lambda o: o.process(fill("100", "100")), False),
    "rejected by the venue": (lambda _: None, lambda o: o.process(rejected()), False),
    "replace done": (
        pending_replace,
        lambda o: o.process(replaced("20", venue_cl_ord_id="O1.1", venue_exec_id=ExecId("E2"))),
        True,
    ),
    "replace refused": (pending_replace, lambda o: o.process(cancel_rejected()), True),
}


@pytest.mark.parametrize("case", list(ANSWERS))
def test_cancel_working_when_order_in_flight_then_the_venues_answer_decides(case: str) -> None:
    in_flight, answer, canceled = ANSWERS[case]
    oms, _, _, forwarded = setup()
    order_id = book(oms)
    in_flight(oms)

    oms.execute(KILL)
    assert cancels(forwarded) == []
    answer(oms)

    assert len(cancels(forwarded)) == (1 if canceled else 0)
    assert oms._requests._cancel_once_working == {}  # nothing is kept once the order's fate is known
    order = oms.book.by_id.get(order_id)
    if canceled:
        assert order is not None and order.status is OrdStatus.PENDING_CANCEL


def test_cancel_working_when_in_flight_order_out_of_scope_then_left_alone() -> None:
    oms, _, _, forwarded = setup()
    book(oms)

    oms.execute(CancelWorking(account="ACCT2", reason="risk: post-trade breach"))
    oms.process(accepted())

    assert cancels(forwarded) == [] and oms._requests._cancel_once_working == {}


def test_cancel_working_when_order_working_then_canceled_at_once() -> None:
    oms, _, _, forwarded = setup()
    book(oms, time_in_force=TimeInForce.GOOD_TILL_CANCEL, order_qty=Decimal(10))
    oms.process(accepted())

    oms.execute(KILL)

    assert len(cancels(forwarded)) == 1


@pytest.mark.parametrize(
    ("tif", "canceled"),
    [(TimeInForce.DAY, True), (TimeInForce.GOOD_TILL_CANCEL, False)],
)
def test_cancel_working_when_day_only_then_only_day_orders_canceled(tif: TimeInForce, canceled: bool) -> None:
    oms, _, _, forwarded = setup()
    book(oms, time_in_force=tif)
    oms.process(accepted())

    oms.execute(CancelWorking(client="CLIENT1", day_only=True, reason="cancel on disconnect of CLIENT1"))

    assert len(cancels(forwarded)) == (1 if canceled else 0)
