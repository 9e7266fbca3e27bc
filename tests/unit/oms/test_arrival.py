"""Arrival prices: the OMS books each order with the consolidated bid and offer of that moment (issue 15)."""

from __future__ import annotations

from decimal import Decimal

from domain.bus import MessageBus
from domain.channels import EMS_EXECUTE
from domain.clock import TestClock
from domain.events import OrderRouted
from domain.ids import ClOrdId, ExecId, OrderId, Symbol, VenueId
from domain.marketdata import Quotes
from oms.book import Book
from oms.engine import OmsEngine
from tests.factories import accepted, fill, new_order
from tests.quotes import MemoryQuotes
from tests.unit.oms.snapshots import last_rows, snapshot
from tests.unit.oms.test_engine import RecordingJournal

D = Decimal


def setup(quotes: Quotes | None, journal: RecordingJournal | None = None, **kwargs: object) -> OmsEngine:
    bus = MessageBus()
    bus.register(EMS_EXECUTE, lambda _: None)
    return OmsEngine(bus, TestClock(), journal or RecordingJournal(), Book(), quotes=quotes, **kwargs)  # type: ignore[arg-type]


def arrival(row: dict[str, object] | None) -> tuple[object, object]:
    assert row is not None
    return row["arrival_bid"], row["arrival_ask"]


def test_execute_when_books_have_a_top_then_the_order_is_booked_with_its_bid_and_ask() -> None:
    quotes, journal = MemoryQuotes(), RecordingJournal()
    quotes.set("MSFT", "100.00", "100.02")
    quotes.set("IBM", "50.10", "50.20")
    oms = setup(quotes, journal)

    oms.execute(new_order(order_id=OrderId("")))

    order = oms.book.by_id[OrderId("O1")]
    assert (order.arrival_bid, order.arrival_ask) == (D("100.00"), D("100.02"))
    [(row, _, _)] = journal.entries  # the booking (Pending New) row carries them
    assert arrival(row) == (D("100.00"), D("100.02"))


def test_execute_when_the_book_moves_after_booking_then_every_later_row_keeps_the_arrival_prices() -> None:
    quotes, journal = MemoryQuotes(), RecordingJournal()
    quotes.set("MSFT", "100.00", "100.02")
    oms = setup(quotes, journal)
    oms.execute(new_order())

    quotes.set("MSFT", "101.00", "101.02")
    oms.process(OrderRouted(order_id=OrderId("O1"), venue=VenueId("VENUE"), venue_cl_ord_id=ClOrdId("O1"), ts_ns=1))
    oms.process(accepted())
    oms.process(fill("100", "101.01", venue_exec_id=ExecId("E2")))

    rows = [row for row, _, _ in journal.entries if row is not None]
    assert [row["status"] for row in rows] == ["A", "A", "0", "2"]
    assert {arrival(row) for row in rows} == {(D("100.00"), D("100.02"))}


def test_execute_when_no_market_data_then_arrival_prices_are_null() -> None:
    journal = RecordingJournal()
    oms = setup(None, journal)

    oms.execute(new_order())

    [(row, _, _)] = journal.entries
    assert arrival(row) == (None, None)


def test_execute_when_the_book_is_one_sided_or_stale_then_only_what_it_has_is_recorded() -> None:
    quotes, journal = MemoryQuotes(), RecordingJournal()
    quotes.set("MSFT", bid="100.00")
    quotes.set("IBM", "50.10", "50.20", stale=True)
    oms = setup(quotes, journal)

    oms.execute(new_order())
    oms.execute(new_order(cl_ord_id=ClOrdId("C2"), symbol=Symbol("IBM")))

    assert [arrival(row) for row, _, _ in journal.entries] == [(D("100.00"), None), (None, None)]


def test_restart_when_an_order_was_booked_with_arrival_prices_then_its_later_rows_keep_them() -> None:
    quotes, before = MemoryQuotes(), RecordingJournal()
    quotes.set("MSFT", "100.00", "100.02")
    setup(quotes, before).execute(new_order())
    committed = last_rows(row for row, _, _ in before.entries)

    after = RecordingJournal()
    oms = setup(MemoryQuotes(), after, snapshot=snapshot(committed, last_seq=1))
    oms.process(OrderRouted(order_id=OrderId("O1"), venue=VenueId("VENUE"), venue_cl_ord_id=ClOrdId("O1"), ts_ns=1))

    assert (oms.book.by_id[OrderId("O1")].arrival_bid, oms.book.by_id[OrderId("O1")].arrival_ask) == (
        D("100.00"),
        D("100.02"),
    )
    assert arrival(after.entries[-1][0]) == (D("100.00"), D("100.02"))
