"""The OMS engine: booking, duplicate ClOrdIDs, events from venues, exactly-once fills, reports."""

from __future__ import annotations

import contextlib
from decimal import Decimal
from typing import Any

from domain.bus import MessageBus
from domain.channels import EMS_EXECUTE
from domain.clock import TestClock
from domain.enums import ExecType, OrdRejReason, OrdStatus
from domain.events import OrderRouted
from domain.ids import ClOrdId, ExecId, OrderId, SessionKey, VenueId
from domain.reports import ExecutionReport
from domain.verdicts import Denial
from oms.book import Book
from oms.engine import OmsEngine
from tests.factories import accepted, denied, fill, new_order


class RecordingJournal:
    """Stands in for the SQL journal: keeps what the engine appends, in order."""

    def __init__(self) -> None:
        self.entries: list[tuple[dict[str, Any] | None, dict[str, Any] | None, ExecutionReport | None]] = []
        self.owed: dict[str, dict[str, Any]] = {}
        """Answers owed (``pending_lookups``): added with ``owe``, removed with ``owed``."""

    def append(
        self,
        order: Any = None,
        execution: Any = None,
        report: Any = None,
        position: Any = None,
        audit: Any = None,
        *,
        owe: Any = None,
        owed: Any = None,
    ) -> None:
        if owe is not None:
            self.owed[owe["key"]] = owe
        if owed is not None:
            del self.owed[owed]
        if (order, execution, report) != (None, None, None):
            self.entries.append((order, execution, report))

    def atomic(self) -> Any:
        return contextlib.nullcontext()

    @property
    def reports(self) -> list[ExecutionReport]:
        return [r for _, _, r in self.entries if r is not None]


class Risk:
    """Stands in for the risk engine: records what it is asked; refuses or denies what it is told to."""

    def __init__(self) -> None:
        self.checked: list[Any] = []
        self.admitted: list[tuple[str, str | None, str | None]] = []
        self.refuse: Denial | None = None
        self.deny: Denial | None = None

    def admit(self, session: SessionKey, account: str | None, symbol: str | None) -> Denial | None:
        self.admitted.append((session, account, symbol))
        return self.refuse

    def check(self, order: Any) -> Denial | None:
        self.checked.append(order)
        return self.deny


def setup(risk: Risk | None = None) -> tuple[OmsEngine, RecordingJournal, list[Any]]:
    """An OMS on a recording journal; returns it, the journal and what it asked risk to check."""
    bus = MessageBus()
    journal = RecordingJournal()
    risk = risk or Risk()
    bus.register(EMS_EXECUTE, lambda _: None)
    oms = OmsEngine(bus, TestClock(), journal, Book(), risk=risk)  # type: ignore[arg-type]
    return oms, journal, risk.checked


def routed(oms: OmsEngine) -> None:
    oms.process(OrderRouted(order_id=OrderId("O1"), venue=VenueId("VENUE"), venue_cl_ord_id=ClOrdId("O1"), ts_ns=1))


def test_execute_when_new_order_then_booked_pending_new_and_checked_by_risk_with_order_id() -> None:
    oms, journal, to_risk = setup()

    oms.execute(new_order(order_id=OrderId("")))

    [command] = to_risk
    assert command.order_id == "O1"
    assert oms.book.by_id[OrderId("O1")].status is OrdStatus.PENDING_NEW
    [(row, execution, report)] = journal.entries
    assert row is not None and (row["order_id"], row["status"], row["seq"]) == ("O1", "A", 1)
    assert (execution, report) == (None, None)


def test_execute_when_duplicate_cl_ord_id_then_rejected_6_and_not_booked() -> None:
    oms, journal, to_risk = setup()
    oms.execute(new_order())

    oms.execute(new_order(order_qty=Decimal(5)))

    assert len(to_risk) == 1 and len(oms.book.by_id) == 1
    [report] = journal.reports
    assert (report.ord_rej_reason, report.order_id, report.exec_type) == (
        OrdRejReason.DUPLICATE_ORDER,
        "NONE",
        ExecType.REJECTED,
    )


def test_process_when_denied_then_rejected_report_with_reason_and_text() -> None:
    oms, journal, _ = setup()
    oms.execute(new_order())

    oms.process(denied(text="too big"))

    [report] = journal.reports
    assert (report.exec_type, report.ord_status, report.ord_rej_reason, report.text) == (
        ExecType.REJECTED,
        OrdStatus.REJECTED,
        OrdRejReason.ORDER_EXCEEDS_LIMIT,
        "too big",
    )
    assert (report.cl_ord_id, report.exec_id) == ("C1", "O1-1-1")


def test_process_when_fill_resent_then_counted_once() -> None:
    oms, journal, _ = setup()
    oms.execute(new_order(order_qty=Decimal(100)))
    routed(oms)
    oms.process(accepted())

    oms.process(fill("30", "100", venue_exec_id="E7"))
    oms.process(fill("30", "100", venue_exec_id="E7", poss_dup=True))

    order = oms.book.by_id[OrderId("O1")]
    assert (order.cum_qty, order.leaves_qty) == (30, 70)
    executions = [e for _, e, _ in journal.entries if e is not None]
    assert [(e["venue_exec_id"], e["last_qty"]) for e in executions] == [("E7", Decimal(30))]
    assert [(r.exec_type, r.exec_id) for r in journal.reports] == [(ExecType.NEW, "O1-1-1"), (ExecType.TRADE, "O1-1-2")]


def test_process_when_report_for_unknown_venue_order_then_ignored() -> None:
    oms, journal, _ = setup()

    oms.process(accepted(venue_cl_ord_id="NOPE"))

    assert journal.entries == []


def test_process_when_illegal_transition_then_order_unchanged_and_nothing_reported() -> None:
    oms, journal, _ = setup()
    oms.execute(new_order())
    routed(oms)
    oms.process(accepted())
    before = len(journal.entries)

    oms.process(accepted(venue_exec_id=ExecId("E2")))  # a second ack breaks the contract

    assert oms.book.by_id[OrderId("O1")].status is OrdStatus.NEW
    assert len(journal.entries) == before
