"""Retirement: a final order leaves the OMS's memory, and every question about it is still answered as before."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import msgspec

from domain.bus import MessageBus
from domain.channels import EMS_EXECUTE
from domain.clock import TestClock
from domain.commands import AnswerAgain, CancelOrder, QueryOrder, VenueRequest
from domain.enums import CxlRejReason, ExecType, OrdRejReason, OrdStatus, Side
from domain.events import OrderRouted
from domain.ids import ClOrdId, ExecId, OrderId, SessionKey, Symbol, VenueId
from domain.order import Order
from domain.reports import CancelReject, ExecutionReport
from oms.book import Book
from oms.engine import OmsEngine
from oms.ports import Found
from oms.recovery import RecoverySnapshot
from oms.store.repository import order_from_row
from tests.factories import accepted, canceled, fill, new_order
from tests.unit.oms.snapshots import snapshot
from tests.unit.oms.test_engine import RecordingJournal

SESSION = SessionKey("FIX.4.4:FIXGW->CLIENT1")
GRACE_NS = 1_000_000_000


class BookOfRecord:
    """Stands in for ``oms.store.retired.RetiredOrders``: finds the last row journaled, but only when ``run``."""

    def __init__(self, journal: RecordingJournal) -> None:
        self._journal = journal
        self.waiting: list[Callable[[], None]] = []

    def find(self, session: SessionKey, cl_ord_id: ClOrdId | None, order_id: OrderId | None, then: Found) -> None:
        self.waiting.append(lambda: self._answer(session, cl_ord_id, order_id, then))

    def _answer(self, session: SessionKey, cl_ord_id: ClOrdId | None, order_id: OrderId | None, then: Found) -> None:
        rows = [row for row, _, _ in reversed(self._journal.entries) if row is not None and row["session"] == session]
        row = next(
            (
                r
                for r in rows
                if cl_ord_id in (r["cl_ord_id"], r["orig_cl_ord_id"])
                or (order_id is not None and r["order_id"] == order_id)
            ),
            None,
        )
        then(order_from_row(row) if row else None)

    def run(self) -> None:
        waiting, self.waiting = self.waiting, []
        for lookup in waiting:
            lookup()


class Harness:
    def __init__(self, committed: RecoverySnapshot | None = None) -> None:
        self.clock = TestClock()
        self.bus = MessageBus()
        self.journal = RecordingJournal()
        self.to_venue: list[Any] = []
        self.bus.register(EMS_EXECUTE, lambda m: self.to_venue.append(m) if isinstance(m, VenueRequest) else None)
        self.records = BookOfRecord(self.journal)
        self.oms = OmsEngine(
            self.bus,
            self.clock,
            self.journal,
            Book(grace_ns=GRACE_NS),
            find_retired=self.records.find,
            snapshot=committed,
        )  # type: ignore[arg-type]

    def working(self, cl: str, order_id: str) -> None:
        """A new order for 100, routed and acknowledged."""
        self.oms.execute(new_order(cl_ord_id=ClOrdId(cl), order_id=OrderId("")))
        self.oms.process(
            OrderRouted(order_id=OrderId(order_id), venue=VenueId("VENUE"), venue_cl_ord_id=ClOrdId(order_id), ts_ns=1)
        )
        self.oms.process(accepted(venue_cl_ord_id=ClOrdId(order_id), venue_exec_id=ExecId(f"{order_id}-A")))

    def filled(self, cl: str = "C1", order_id: str = "O1") -> None:
        self.working(cl, order_id)
        self.oms.process(fill("100", "100", venue_cl_ord_id=ClOrdId(order_id), venue_exec_id=ExecId(f"{order_id}-F")))

    def reports(self, start: int = 0) -> list[Any]:
        return self.journal.reports[start:]


def _query(cl: str, order_id: str | None = None) -> QueryOrder:
    return QueryOrder(
        session=SESSION,
        cl_ord_id=ClOrdId(cl),
        order_id=OrderId(order_id) if order_id else None,
        symbol=Symbol("MSFT"),
        side=Side.BUY,
        ts_received_ns=5,
    )


def _cancel(cl: str, orig: str) -> CancelOrder:
    return CancelOrder(
        session=SESSION,
        cl_ord_id=ClOrdId(cl),
        orig_cl_ord_id=ClOrdId(orig),
        symbol=Symbol("MSFT"),
        side=Side.BUY,
        ts_received_ns=5,
    )


def test_close_when_order_filled_then_it_leaves_every_index() -> None:
    h = Harness()

    h.filled()

    book = h.oms.book
    assert (book.by_id, book.by_client, book.by_venue, book.executions) == ({}, {}, {}, set())
    assert book.retired == {SESSION: {"C1"}}


def test_submit_when_cl_ord_id_of_retired_order_then_rejected_6_and_not_booked() -> None:
    h = Harness()
    h.filled()
    before = len(h.reports())

    h.oms.execute(new_order(order_id=OrderId(""), order_qty=Decimal(5)))

    [report] = h.reports(before)
    assert (report.exec_type, report.ord_rej_reason, report.order_id) == (
        ExecType.REJECTED,
        OrdRejReason.DUPLICATE_ORDER,
        "NONE",
    )
    assert h.oms.book.by_id == {}


def test_cancel_when_its_cl_ord_id_is_a_retired_orders_then_rejected_6() -> None:
    h = Harness()
    h.filled("C1", "O1")
    h.working("C2", "O2")
    before = len(h.reports())

    h.oms.execute(_cancel("C1", "C2"))

    [reject] = h.reports(before)
    assert isinstance(reject, CancelReject)
    assert (reject.reason, reject.order_id) == (CxlRejReason.DUPLICATE_CL_ORD_ID, "O2")
    assert h.to_venue == []


def test_status_when_order_retired_then_answered_from_the_book_of_record_with_its_final_state() -> None:
    h = Harness()
    h.filled()
    before = len(h.reports())

    h.oms.execute(_query("C1"))
    assert h.reports(before) == []  # not on the order path: once the book of record is read
    h.records.run()

    [report] = h.reports(before)
    assert isinstance(report, ExecutionReport)
    assert (report.exec_type, report.ord_status, report.order_id, report.cum_qty, report.leaves_qty) == (
        ExecType.ORDER_STATUS,
        OrdStatus.FILLED,
        "O1",
        100,
        0,
    )
    assert report.exec_id == "O1-1-3"  # after the ack (O1-1-1) and the fill (O1-1-2): incarnation 1, 3rd report


def test_status_when_asked_by_order_id_of_retired_order_then_answered_and_by_unknown_id_then_rejected() -> None:
    h = Harness()
    h.filled()
    before = len(h.reports())

    h.oms.execute(_query("X", "O1"))
    h.oms.execute(_query("Y", "O9"))
    h.records.run()

    unknown, retired = h.reports(before)  # never issued: answered at once; retired: once looked up
    assert (unknown.ord_status, unknown.ord_rej_reason) == (OrdStatus.REJECTED, OrdRejReason.UNKNOWN_ORDER)
    assert (retired.ord_status, retired.order_id, retired.exec_id) == (OrdStatus.FILLED, "O1", "O1-1-4")


def test_cancel_when_order_retired_then_too_late_with_its_order_id_and_state() -> None:
    h = Harness()
    h.filled()
    before = len(h.reports())

    h.oms.execute(_cancel("C2", "C1"))
    h.records.run()

    [reject] = h.reports(before)
    assert isinstance(reject, CancelReject)
    assert (reject.reason, reject.order_id, reject.ord_status) == (
        CxlRejReason.TOO_LATE_TO_CANCEL,
        "O1",
        OrdStatus.FILLED,
    )
    assert h.to_venue == []


def test_process_when_fill_of_retired_order_resent_or_new_then_ignored() -> None:
    h = Harness()
    h.filled()
    before = len(h.journal.entries)

    h.oms.process(fill("100", "100", venue_cl_ord_id=ClOrdId("O1"), venue_exec_id=ExecId("O1-F"), poss_dup=True))
    h.oms.process(fill("10", "100", venue_cl_ord_id=ClOrdId("O1"), venue_exec_id=ExecId("O1-G")))

    assert len(h.journal.entries) == before


def test_close_when_order_canceled_then_a_late_fill_still_counts_until_the_grace_is_over() -> None:
    h = Harness()
    h.working("C1", "O1")
    h.oms.process(canceled(venue_cl_ord_id=ClOrdId("O1"), venue_exec_id=ExecId("O1-X")))

    h.oms.process(fill("10", "100", venue_cl_ord_id=ClOrdId("O1"), venue_exec_id=ExecId("O1-F")))  # J.1.b
    h.clock.advance(GRACE_NS)
    h.filled("C2", "O2")  # a close after one grace: O1 waits one more
    assert OrderId("O1") in h.oms.book.by_id
    h.clock.advance(GRACE_NS)
    h.filled("C3", "O3")

    assert h.oms.book.by_id == {} and h.oms.book.retired == {SESSION: {"C1", "C2", "C3"}}
    assert [(r.exec_type, r.ord_status, r.cum_qty) for r in h.reports() if r.order_id == "O1"][-1] == (
        ExecType.TRADE,
        OrdStatus.CANCELED,
        10,
    )


def test_restore_when_only_working_orders_loaded_then_ids_go_on_and_retired_cl_ord_ids_stay_taken() -> None:
    working = Order(new_order(cl_ord_id=ClOrdId("C7")), OrderId("O7"))

    h = Harness(snapshot(orders=[working], last_seq=9, retired=[(SESSION, ClOrdId("C1"))]))
    h.oms.execute(new_order(order_id=OrderId("")))
    h.oms.execute(new_order(cl_ord_id=ClOrdId("C10"), order_id=OrderId("")))

    [duplicate] = h.reports()
    assert duplicate.ord_rej_reason is OrdRejReason.DUPLICATE_ORDER
    assert sorted(h.oms.book.by_id) == ["O10", "O7"]


def test_status_when_retired_then_answer_owed_until_given_and_a_restart_answers_again() -> None:
    h = Harness()
    h.filled()
    before = len(h.reports())

    h.oms.execute(_query("C1"))
    [owed] = h.journal.owed.values()  # owed with the request's receipt, until the look-up answers
    assert (owed["session"], owed["kind"]) == (SESSION, "query")
    h.records.waiting.clear()  # a crash: the look-up never ran, the answer never came
    h.oms.execute(AnswerAgain(key=owed["key"], command=msgspec.json.decode(owed["command"], type=QueryOrder)))
    h.records.run()

    [report] = h.reports(before)
    assert (report.exec_type, report.ord_status, report.order_id) == (ExecType.ORDER_STATUS, OrdStatus.FILLED, "O1")
    assert h.journal.owed == {}  # the first owed row went with the second ask, the second with the answer
