"""The order state machine: table-driven over the legal pairs and their complement."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.enums import OrdRejReason, OrdStatus
from domain.events import (
    CancelRejected,
    CancelRequested,
    OrderAccepted,
    OrderCanceled,
    OrderDenied,
    OrderDoneForDay,
    OrderExpired,
    OrderFilled,
    OrderRejected,
    OrderReplaced,
    ReplaceRequested,
)
from domain.ids import OrderId
from domain.order import _TRANSITIONS, _WORKING, InvalidTransition, Order, Overfill, next_status, working_status
from tests.factories import (
    accepted,
    cancel_rejected,
    cancel_requested,
    canceled,
    denied,
    done_for_day,
    expired,
    fill,
    new_order,
    rejected,
    replace_requested,
    replaced,
)

EVENTS = {
    OrderDenied: denied(),
    OrderRejected: rejected(),
    OrderAccepted: accepted(),
    OrderFilled: fill("10", "100"),
    OrderCanceled: canceled(),
    OrderDoneForDay: done_for_day(),
    OrderExpired: expired(),
    OrderReplaced: replaced("50"),
    CancelRequested: cancel_requested(),
    ReplaceRequested: replace_requested("50"),
    CancelRejected: cancel_rejected(),
}
ILLEGAL = [(s, e) for s in OrdStatus for e in EVENTS if (s, e) not in _TRANSITIONS]


@pytest.mark.parametrize(("status", "event_type"), list(_TRANSITIONS))
def test_next_status_when_pair_is_in_table_then_returns_its_target(status: OrdStatus, event_type: type) -> None:
    result = next_status(OrderId("O1"), status, EVENTS[event_type], Decimal(3), Decimal(5))

    target = _TRANSITIONS[status, event_type]
    assert result is (OrdStatus.PARTIALLY_FILLED if target is _WORKING else target)


@pytest.mark.parametrize(("status", "event_type"), ILLEGAL)
def test_next_status_when_pair_is_not_in_table_then_invalid_transition(status: OrdStatus, event_type: type) -> None:
    with pytest.raises(InvalidTransition, match=f"was {status.name}"):
        next_status(OrderId("O1"), status, EVENTS[event_type], Decimal(0), Decimal(5))


def test_next_status_when_fill_leaves_nothing_then_filled() -> None:
    assert next_status(OrderId("O1"), OrdStatus.NEW, fill("10", "1"), Decimal(10), Decimal(0)) is OrdStatus.FILLED


@pytest.mark.parametrize(("cum", "leaves", "status"), [(0, 10, "NEW"), (4, 6, "PARTIALLY_FILLED"), (10, 0, "FILLED")])
def test_working_status_when_quantities_then_precedence(cum: int, leaves: int, status: str) -> None:
    assert working_status(Decimal(cum), Decimal(leaves)) is OrdStatus[status]


def test_order_when_cancel_pending_and_fill_completes_then_39_6_then_reject_makes_filled() -> None:
    # Appendix D B.1.c: the fill is reported 39=6 even when it completes the order; the cancel is then rejected.
    order = Order(new_order(order_qty=Decimal(10)), OrderId("O1"))
    order.apply(accepted())
    order.apply(cancel_requested())

    order.apply(fill("10", "100"))
    assert (order.status, order.leaves_qty) == (OrdStatus.PENDING_CANCEL, 0)
    order.apply(cancel_rejected())

    assert (order.status, order.pending) == (OrdStatus.FILLED, None)


def test_order_when_cancel_accepted_then_canceled_and_chain_moves_to_cancel_cl_ord_id() -> None:
    order = Order(new_order(order_qty=Decimal(10)), OrderId("O1"))
    order.apply(accepted())
    order.apply(fill("4", "100"))
    order.apply(cancel_requested(cl_ord_id="C2"))

    order.apply(canceled())

    assert (order.status, order.cum_qty, order.leaves_qty) == (OrdStatus.CANCELED, 4, 0)
    assert (order.cl_ord_id, order.orig_cl_ord_id) == ("C2", "C1")


def test_order_when_replace_reduces_below_cum_then_filled_with_order_qty_replaced() -> None:
    # C.3.b: a replace that reduces OrderQty to <= CumQty is reported 150=5 39=2.
    order = Order(new_order(order_qty=Decimal(10)), OrderId("O1"))
    order.apply(accepted())
    order.apply(fill("6", "100"))
    order.apply(replace_requested("5", cl_ord_id="C2", price="99"))

    order.apply(replaced("5"))

    assert (order.status, order.order_qty, order.leaves_qty, order.price) == (OrdStatus.FILLED, 5, 0, Decimal(99))
    assert (order.cl_ord_id, order.orig_cl_ord_id) == ("C2", "C1")


def test_order_when_replace_pending_then_fills_keep_old_terms() -> None:
    order = Order(new_order(order_qty=Decimal(10)), OrderId("O1"))
    order.apply(accepted())
    order.apply(replace_requested("20", cl_ord_id="C2"))

    order.apply(fill("3", "100"))

    assert (order.status, order.order_qty, order.leaves_qty, order.cl_ord_id) == (
        OrdStatus.PENDING_REPLACE,
        10,
        7,
        "C1",
    )


def test_order_when_replaced_without_pending_request_then_invalid() -> None:
    order = Order(new_order(), OrderId("O1"))
    order.apply(accepted())

    with pytest.raises(InvalidTransition):
        order.apply(replaced("5"))


def test_order_when_accepted_then_partially_filled_then_filled_keeps_quantities_consistent() -> None:
    order = Order(new_order(order_qty=Decimal(100)), OrderId("O1"))

    order.apply(accepted())
    order.apply(fill("40", "100.00", venue_exec_id="E2"))
    assert (order.status, order.cum_qty, order.leaves_qty) == (OrdStatus.PARTIALLY_FILLED, 40, 60)
    order.apply(fill("60", "101.00", venue_exec_id="E3"))

    assert (order.status, order.cum_qty, order.leaves_qty) == (OrdStatus.FILLED, 100, 0)
    assert order.avg_px == Decimal("100.60")


def test_order_when_denied_then_rejected_with_reason_and_no_leaves() -> None:
    order = Order(new_order(), OrderId("O1"))

    order.apply(denied(text="limit"))

    assert (order.status, order.leaves_qty, order.ord_rej_reason, order.text) == (
        OrdStatus.REJECTED,
        0,
        OrdRejReason.ORDER_EXCEEDS_LIMIT,
        "limit",
    )


def test_order_when_fill_exceeds_leaves_then_overfill_and_order_unchanged() -> None:
    order = Order(new_order(order_qty=Decimal(10)), OrderId("O1"))
    order.apply(accepted())

    with pytest.raises(Overfill, match="exceeds LeavesQty 10"):
        order.apply(fill("11", "100"))

    assert (order.status, order.cum_qty, order.leaves_qty) == (OrdStatus.NEW, 0, 10)


def test_order_when_fill_after_cancel_then_stays_canceled_and_counts_fill() -> None:
    order = Order(new_order(order_qty=Decimal(10)), OrderId("O1"))
    order.apply(accepted())
    order.apply(canceled())

    order.apply(fill("4", "100"))  # Appendix D J.1.b: a late fill on a canceled order

    assert (order.status, order.cum_qty, order.leaves_qty) == (OrdStatus.CANCELED, 4, 0)


@given(st.lists(st.integers(min_value=1, max_value=50), min_size=1, max_size=20))
def test_order_when_any_fills_then_cum_plus_leaves_is_order_qty(quantities: list[int]) -> None:
    order = Order(new_order(order_qty=Decimal(500)), OrderId("O1"))
    order.apply(accepted())
    for i, qty in enumerate(quantities):
        if Decimal(qty) > order.leaves_qty:
            break
        order.apply(fill(str(qty), "100", venue_exec_id=f"E{i}"))
        assert order.cum_qty + order.leaves_qty == order.order_qty
    assert order.status is (OrdStatus.FILLED if order.leaves_qty == 0 else OrdStatus.PARTIALLY_FILLED)
