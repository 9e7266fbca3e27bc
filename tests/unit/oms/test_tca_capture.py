"""TCA captured at the time (issue 18): each fill is booked with the consolidated bid and offer of that moment, and
an order keeps the sender's decision price (DecisionPx 5900) in every row, across a restart."""

from __future__ import annotations

from decimal import Decimal

from domain.events import OrderRouted
from domain.ids import ClOrdId, ExecId, OrderId, VenueId
from tests.factories import accepted, fill, new_order
from tests.quotes import MemoryQuotes
from tests.unit.oms.snapshots import last_rows, snapshot
from tests.unit.oms.test_arrival import setup
from tests.unit.oms.test_engine import RecordingJournal

D = Decimal


def _routed() -> OrderRouted:
    return OrderRouted(order_id=OrderId("O1"), venue=VenueId("VENUE"), venue_cl_ord_id=ClOrdId("O1"), ts_ns=1)


def test_process_when_fills_arrive_as_the_book_moves_then_each_execution_row_has_the_quote_of_its_moment() -> None:
    quotes, journal = MemoryQuotes(), RecordingJournal()
    quotes.set("MSFT", "100.00", "100.02")
    oms = setup(quotes, journal)
    oms.execute(new_order(order_qty=D(200)))
    oms.process(_routed())
    oms.process(accepted())

    quotes.set("MSFT", "100.01", "100.03")
    oms.process(fill("100", "100.02", venue_exec_id=ExecId("E2")))
    quotes.set("MSFT", bid="100.05")  # one-sided: what there is is recorded
    oms.process(fill("100", "100.04", venue_exec_id=ExecId("E3")))

    executions = [execution for _, execution, _ in journal.entries if execution is not None]
    assert [(e["bid"], e["ask"]) for e in executions] == [(D("100.01"), D("100.03")), (D("100.05"), None)]


def test_process_when_no_market_data_then_fill_rows_have_no_quote() -> None:
    journal = RecordingJournal()
    oms = setup(None, journal)
    oms.execute(new_order())
    oms.process(_routed())
    oms.process(accepted())

    oms.process(fill("100", "100.02", venue_exec_id=ExecId("E2")))

    [execution] = [execution for _, execution, _ in journal.entries if execution is not None]
    assert (execution["bid"], execution["ask"]) == (None, None)


def test_execute_when_the_sender_gives_a_decision_price_then_every_row_of_the_order_keeps_it() -> None:
    journal = RecordingJournal()
    oms = setup(MemoryQuotes(), journal)

    oms.execute(new_order(decision_px=D("99.985")))
    oms.process(_routed())
    oms.process(accepted())
    oms.execute(new_order(cl_ord_id=ClOrdId("C2")))

    rows = [row for row, _, _ in journal.entries if row is not None]
    assert [(r["order_id"], r["decision_px"]) for r in rows] == [
        ("O1", D("99.985")),
        ("O1", D("99.985")),
        ("O1", D("99.985")),
        ("O2", None),
    ]


def test_restart_when_an_order_had_a_decision_price_then_its_later_rows_keep_it() -> None:
    before = RecordingJournal()
    setup(MemoryQuotes(), before).execute(new_order(decision_px=D("99.985")))
    committed = last_rows(row for row, _, _ in before.entries)

    after = RecordingJournal()
    oms = setup(MemoryQuotes(), after, snapshot=snapshot(committed, last_seq=1))
    oms.process(_routed())

    assert oms.book.by_id[OrderId("O1")].decision_px == D("99.985")
    row = after.entries[-1][0]
    assert row is not None
    assert row["decision_px"] == D("99.985")
