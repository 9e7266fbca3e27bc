"""ExecIDs across a restart (issue 13): the report after a restart never reuses the ExecID of one before it.

Each test runs the OMS up to a first report, "crashes" (the journal's rows are all it keeps), starts a new OMS
from those rows as the gateway does from SQL, with the next incarnation, and lets the second report come. The
rows used to carry a per-order report count written one step behind the report, so the restarted OMS numbered
its next report like the one before the crash (O1-2 twice).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.bus import MessageBus
from domain.channels import EMS_EXECUTE
from domain.clock import TestClock
from domain.commands import CancelOrder, QueryOrder, ReplaceOrder
from domain.enums import ExecType, OrdStatus, OrdType, Side
from domain.events import OrderRouted
from domain.ids import ClOrdId, ExecId, OrderId, SessionKey, Symbol, VenueId
from domain.reports import ExecutionReport
from oms.book import Book
from oms.engine import OmsEngine
from oms.exec_ids import ExecIds
from tests.factories import accepted, canceled, fill, new_order, replaced
from tests.unit.oms.snapshots import last_rows, snapshot
from tests.unit.oms.test_engine import RecordingJournal

SESSION = SessionKey("FIX.4.4:FIXGW->CLIENT1")


class Node:
    """An OMS on a recording journal; ``restart`` builds the next incarnation from the rows journaled so far."""

    def __init__(self, journal: RecordingJournal | None = None, incarnation: int = 1) -> None:
        self.bus = MessageBus()
        self.journal = RecordingJournal()
        self.sent: list[object] = []
        """What the OMS sent to the EMS (orders and requests for the venue)."""
        self.bus.register(EMS_EXECUTE, self.sent.append)
        committed = None
        if journal is not None:  # the new process starts from the rows committed, and goes on appending to them
            self.journal.entries = list(journal.entries)
            committed = snapshot(
                last_rows(row for row, _, _ in journal.entries),
                [e for _, e, _ in journal.entries if e is not None],
                incarnation=incarnation,
            )
        self.oms = OmsEngine(self.bus, TestClock(), self.journal, Book(), snapshot=committed)  # type: ignore[arg-type]
        self.incarnation = incarnation

    def restart(self) -> Node:
        return Node(self.journal, self.incarnation + 1)

    def working(self) -> None:
        """O1: buy 100 MSFT @ 100, routed and acknowledged by the venue."""
        self.oms.execute(new_order(order_id=OrderId("")))
        self.oms.process(
            OrderRouted(order_id=OrderId("O1"), venue=VenueId("VENUE"), venue_cl_ord_id=ClOrdId("O1"), ts_ns=1)
        )
        self.oms.process(accepted(venue_exec_id=ExecId("V-ACK")))

    def last_report(self) -> ExecutionReport:
        return self.journal.reports[-1]


def _cancel() -> CancelOrder:
    return CancelOrder(
        session=SESSION,
        cl_ord_id=ClOrdId("C2"),
        orig_cl_ord_id=ClOrdId("C1"),
        symbol=Symbol("MSFT"),
        side=Side.BUY,
        ts_received_ns=3,
    )


def _replace() -> ReplaceOrder:
    return ReplaceOrder(
        session=SESSION,
        cl_ord_id=ClOrdId("C2"),
        orig_cl_ord_id=ClOrdId("C1"),
        account=new_order().account,
        symbol=Symbol("MSFT"),
        side=Side.BUY,
        ord_type=OrdType.LIMIT,
        order_qty=Decimal(80),
        price=Decimal(100),
        ts_received_ns=3,
        order_id=OrderId("O1"),
    )


def _query() -> QueryOrder:
    return QueryOrder(
        session=SESSION, cl_ord_id=ClOrdId("C1"), order_id=None, symbol=Symbol("MSFT"), side=Side.BUY, ts_received_ns=4
    )


def test_exec_id_when_cancel_acked_then_restart_then_canceled_then_the_two_differ() -> None:
    before = Node()
    before.working()
    before.oms.execute(_cancel())
    ack = before.last_report()

    after = before.restart()
    after.oms.process(canceled(venue_cl_ord_id=ClOrdId("O1.1"), venue_exec_id=ExecId("V-CXL")))

    done = after.last_report()
    assert (ack.exec_type, done.exec_type, done.ord_status) == (
        ExecType.PENDING_CANCEL,
        ExecType.CANCELED,
        OrdStatus.CANCELED,
    )
    assert ack.exec_id != done.exec_id


def test_exec_id_when_replace_acked_then_restart_then_replaced_then_the_two_differ() -> None:
    before = Node()
    before.working()
    before.oms.execute(_replace())
    ack = before.last_report()

    after = before.restart()
    after.oms.process(replaced("80", venue_cl_ord_id=ClOrdId("O1.1"), venue_exec_id=ExecId("V-RPL")))

    done = after.last_report()
    assert (ack.exec_type, done.exec_type) == (ExecType.PENDING_REPLACE, ExecType.REPLACED)
    assert ack.exec_id != done.exec_id


def test_exec_id_when_status_reported_then_restart_then_filled_then_the_two_differ() -> None:
    before = Node()
    before.working()
    before.oms.execute(_query())
    status = before.last_report()

    after = before.restart()
    after.oms.process(fill("40", "100", venue_exec_id=ExecId("V-F1")))

    done = after.last_report()
    assert (status.exec_type, done.exec_type) == (ExecType.ORDER_STATUS, ExecType.TRADE)
    assert status.exec_id != done.exec_id


def test_exec_id_when_cancel_pending_then_restart_then_filled_then_the_two_differ() -> None:
    before = Node()
    before.working()
    before.oms.execute(_cancel())
    ack = before.last_report()

    after = before.restart()
    after.oms.process(fill("40", "100", venue_exec_id=ExecId("V-F1")))

    done = after.last_report()
    assert (done.exec_type, done.ord_status) == (ExecType.TRADE, OrdStatus.PENDING_CANCEL)
    assert ack.exec_id != done.exec_id


def test_exec_ids_when_many_reports_over_restarts_then_all_distinct() -> None:
    node = Node()
    node.working()
    for _ in range(3):
        node.oms.execute(_query())
        node = node.restart()
    node.oms.execute(_query())

    ids = [r.exec_id for r in node.journal.reports]
    assert len(ids) == 5 and len(set(ids)) == len(ids)  # the ack and four status reports


@pytest.mark.parametrize("incarnation", [0, -1])
def test_exec_ids_when_incarnation_not_positive_then_refused(incarnation: int) -> None:
    with pytest.raises(ValueError, match="incarnation must be positive"):
        ExecIds(incarnation)
