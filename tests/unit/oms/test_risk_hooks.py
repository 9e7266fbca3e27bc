"""The OMS's side of risk: message throttles answered per message type, and the risk engine's own orders."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from domain.bus import MessageBus
from domain.channels import EMS_EXECUTE
from domain.clock import TestClock
from domain.commands import CancelOrder, MassCancel, QueryOrder, ReplaceOrder, SubmitOrder, SubmitRiskOrder
from domain.enums import CxlRejReason, CxlRejResponseTo, ExecType, OrdRejReason, OrdStatus, OrdType, Side, TimeInForce
from domain.ids import RISK_SESSION, Account, ClOrdId, OrderId, SessionKey, Symbol
from domain.reports import BusinessReject, CancelReject, ExecutionReport, MassCancelReport
from domain.verdicts import Denial
from oms.book import Book
from oms.engine import OmsEngine
from tests.factories import new_order
from tests.unit.oms.test_engine import RecordingJournal, Risk

SESSION = SessionKey("FIX.4.4:FIXGW->CLIENT1")


class Throttle(Risk):
    """Stands in for risk: its message throttles refuse when told to (``refuse``), and it records what it was
    asked (``asked``); orders pass the catalogue."""

    @property
    def asked(self) -> list[tuple[str, str | None, str | None]]:
        return self.admitted

    def refusing(self, on: bool) -> None:
        text = "message rate limit: 1 messages per second for session CLIENT1; retry shortly"
        self.refuse = Denial(OrdRejReason.OTHER, text) if on else None


def setup() -> tuple[OmsEngine, RecordingJournal, Throttle, list[Any]]:
    """An OMS whose orders, once they pass risk, and requests are recorded as they go to the EMS."""
    bus = MessageBus()
    journal = RecordingJournal()
    forwarded: list[Any] = []
    bus.register(EMS_EXECUTE, forwarded.append)
    throttle = Throttle()
    oms = OmsEngine(bus, TestClock(), journal, Book(), risk=throttle)  # type: ignore[arg-type]
    return oms, journal, throttle, forwarded


def cancel(orig: str = "C1", cl_ord_id: str = "C2") -> CancelOrder:
    return CancelOrder(
        session=SESSION,
        cl_ord_id=ClOrdId(cl_ord_id),
        orig_cl_ord_id=ClOrdId(orig),
        symbol=Symbol("MSFT"),
        side=Side.BUY,
        ts_received_ns=1,
    )


def replace(orig: str = "C1", cl_ord_id: str = "C2") -> ReplaceOrder:
    return ReplaceOrder(
        session=SESSION,
        cl_ord_id=ClOrdId(cl_ord_id),
        orig_cl_ord_id=ClOrdId(orig),
        account=Account("ACCT1"),
        symbol=Symbol("MSFT"),
        side=Side.BUY,
        ord_type=OrdType.LIMIT,
        order_qty=Decimal(20),
        price=Decimal(100),
        ts_received_ns=1,
    )


def test_throttle_when_new_order_refused_then_150_8_103_99_not_booked_not_sent_to_risk() -> None:
    oms, journal, throttle, forwarded = setup()
    throttle.refusing(True)

    oms.execute(new_order())

    [report] = journal.reports
    assert isinstance(report, ExecutionReport)
    assert (report.exec_type, report.ord_status, report.ord_rej_reason, report.order_id) == (
        ExecType.REJECTED,
        OrdStatus.REJECTED,
        OrdRejReason.OTHER,
        "NONE",
    )
    assert report.text is not None and "message rate limit" in report.text
    assert forwarded == [] and oms.book.by_id == {}
    assert throttle.asked == [(SESSION, "ACCT1", "MSFT")]


@pytest.mark.parametrize(
    ("command", "response_to"),
    [(cancel(), CxlRejResponseTo.ORDER_CANCEL_REQUEST), (replace(), CxlRejResponseTo.ORDER_CANCEL_REPLACE_REQUEST)],
)
def test_throttle_when_cancel_or_replace_refused_then_35_9_and_order_unchanged(
    command: CancelOrder | ReplaceOrder, response_to: CxlRejResponseTo
) -> None:
    oms, journal, throttle, _ = setup()
    oms.execute(new_order(order_id=OrderId("")))
    throttle.refusing(True)

    oms.execute(command)

    [reject] = journal.reports
    assert isinstance(reject, CancelReject)
    assert (reject.response_to, reject.reason, reject.order_id, reject.ord_status) == (
        response_to,
        CxlRejReason.OTHER,
        "O1",
        OrdStatus.PENDING_NEW,
    )
    assert "message rate limit" in reject.text
    order = oms.book.by_id[OrderId("O1")]
    assert (order.pending, order.order_qty, order.cl_ord_id) == (None, 100, "C1")
    assert throttle.asked[-1] == (SESSION, "ACCT1", "MSFT")  # a cancel counts for its order's account


def test_throttle_when_status_request_refused_then_business_message_reject_380_0() -> None:
    oms, journal, throttle, _ = setup()
    throttle.refusing(True)

    oms.execute(
        QueryOrder(
            session=SESSION,
            cl_ord_id=ClOrdId("Q1"),
            order_id=None,
            symbol=Symbol("MSFT"),
            side=Side.BUY,
            ts_received_ns=1,
        )
    )

    [reject] = journal.reports
    assert throttle.refuse is not None
    assert reject == BusinessReject(
        session=SESSION, cl_ord_id=ClOrdId("Q1"), ref_msg_type="H", reason=0, text=throttle.refuse.text
    )
    assert throttle.asked[0] == (SESSION, None, None)


def test_throttle_when_mass_cancel_refused_then_35_r_531_0_532_99() -> None:
    oms, journal, throttle, _ = setup()
    throttle.refusing(True)

    oms.execute(MassCancel(session=SESSION, cl_ord_id=ClOrdId("M1"), request_type="7", symbol=None, ts_received_ns=1))

    [report] = journal.reports
    assert isinstance(report, MassCancelReport)
    assert (report.response, report.reject_reason, report.total_affected) == ("0", "99", 0)


def test_throttle_when_resend_of_a_processed_order_then_not_counted_and_ignored() -> None:
    oms, journal, throttle, forwarded = setup()
    oms.execute(new_order())
    throttle.refusing(True)

    oms.execute(new_order(poss_dup=True))

    assert len(throttle.asked) == 1 and journal.reports == [] and len(forwarded) == 1


def test_risk_order_when_submitted_then_booked_under_risk_session_and_sent_to_the_ems_as_ioc_market() -> None:
    oms, journal, _, forwarded = setup()

    oms.execute(
        SubmitRiskOrder(
            cl_ord_id=ClOrdId("RISK-7-1"),
            account=Account("ACCT1"),
            symbol=Symbol("MSFT"),
            side=Side.SELL,
            order_qty=Decimal(50),
            reason="risk: post-trade breach: long",
            ts_ns=7,
        )
    )

    [sent] = forwarded
    assert isinstance(sent, SubmitOrder)
    assert (sent.session, sent.ord_type, sent.time_in_force, sent.price, sent.order_id) == (
        RISK_SESSION,
        OrdType.MARKET,
        TimeInForce.IMMEDIATE_OR_CANCEL,
        None,
        "O1",
    )
    [(row, _, report)] = journal.entries
    assert row is not None and report is None
    assert (row["session"], row["cl_ord_id"], row["text"], row["side"]) == (
        "risk",
        "RISK-7-1",
        "risk: post-trade breach: long",
        "2",
    )
