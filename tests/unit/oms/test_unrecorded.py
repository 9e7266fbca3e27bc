"""The OMS told that the book refused what a message changed (issue 12): what never left is undone, and the
message's sender is answered with the reject its message type calls for."""

from __future__ import annotations

from domain.commands import CancelOrder, Unrecorded
from domain.enums import CxlRejReason, ExecType, OrdRejReason, OrdStatus, Side
from domain.events import OrderRouted
from domain.ids import ClOrdId, OrderId, SessionKey, Symbol, VenueId
from domain.reports import BusinessReject, CancelReject, ExecutionReport
from tests.factories import accepted, new_order
from tests.unit.oms.test_engine import setup

SESSION = SessionKey("FIX.4.4:FIXGW->CLIENT1")


def unrecorded(msg_type: str, cl_ord_id: str, order_ids: tuple[str, ...]) -> Unrecorded:
    return Unrecorded(
        quarantine_id=3,
        session=SESSION,
        msg_type=msg_type,
        cl_ord_id=ClOrdId(cl_ord_id),
        order_ids=tuple(OrderId(o) for o in order_ids),
        reason="DataError: numeric field overflow",
    )


def test_unrecorded_when_new_order_never_left_then_refused_unbooked_and_forgotten() -> None:
    oms, journal, _ = setup()
    oms.execute(new_order(order_id=OrderId("")))  # booked PENDING_NEW; its send to the venue waits for the commit
    oms.process(OrderRouted(order_id=OrderId("O1"), venue=VenueId("VENUE"), venue_cl_ord_id=ClOrdId("O1"), ts_ns=1))

    oms.execute(unrecorded("D", "C1", ("O1",)))

    [report] = journal.reports
    assert isinstance(report, ExecutionReport)
    assert (report.order_id, report.exec_type, report.ord_status, report.ord_rej_reason) == (
        "NONE",
        ExecType.REJECTED,
        OrdStatus.REJECTED,
        OrdRejReason.OTHER,
    )
    assert report.text is not None and "quarantine Q3" in report.text and "numeric field overflow" in report.text
    assert oms.book.by_id == {} and oms.book.used(SESSION, ClOrdId("C1"))  # gone; its ClOrdID stays taken


def test_unrecorded_when_cancel_never_left_then_35_9_and_order_working_again() -> None:
    oms, journal, _ = setup()
    oms.execute(new_order(order_id=OrderId("")))
    oms.process(OrderRouted(order_id=OrderId("O1"), venue=VenueId("VENUE"), venue_cl_ord_id=ClOrdId("O1"), ts_ns=1))
    oms.process(accepted())
    oms.execute(
        CancelOrder(
            session=SESSION,
            cl_ord_id=ClOrdId("C2"),
            orig_cl_ord_id=ClOrdId("C1"),
            symbol=Symbol("MSFT"),
            side=Side.BUY,
            ts_received_ns=3,
        )
    )

    oms.execute(unrecorded("F", "C2", ("O1",)))

    reject = journal.entries[-1][2]
    assert isinstance(reject, CancelReject)
    assert (reject.cl_ord_id, reject.reason, reject.ord_status) == ("C2", CxlRejReason.OTHER, OrdStatus.NEW)
    order = oms.book.by_id[OrderId("O1")]
    assert (order.status, order.pending) == (OrdStatus.NEW, None)


def test_unrecorded_when_no_order_stands_for_the_message_then_business_reject() -> None:
    oms, journal, _ = setup()

    oms.execute(unrecorded("H", "Q1", ()))

    [(_, _, reject)] = journal.entries
    assert isinstance(reject, BusinessReject)
    assert (reject.cl_ord_id, reject.ref_msg_type, reject.reason) == ("Q1", "H", 0)
