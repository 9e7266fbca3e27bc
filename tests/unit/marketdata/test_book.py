"""L2Book: a snapshot replaces, increments apply per level, and a gap, a missing level or a cross stops the book."""

from __future__ import annotations

import sys
import threading

import pytest

from domain.ids import Symbol, VenueId
from domain.marketdata import MDUpdateAction
from marketdata import book as book_module
from marketdata.book import L2Book, Problem, price_key
from tests.unit.marketdata.factories import BID, CHANGE, DELETE, NEW, OFFER, TRADE, D, inc, ladder, level, snapshot


def live_book(seq: int | None = 10) -> L2Book:
    book = L2Book(VenueId("V1"), Symbol("MSFT"))
    book.snapshot(snapshot(*ladder(), seq=seq, ts_ns=5))
    return book


def test_snapshot_when_applied_then_book_is_live_with_its_levels_and_top() -> None:
    book = live_book()

    assert book.live and not book.crossed
    assert book.best_bid() == (D("99.5"), D(10)) and book.best_ask() == (D(100), D(5))
    assert book.levels(BID) == [(D("99.5"), D(10)), (D(99), D(20))]
    assert book.levels(OFFER, 1) == [(D(100), D(5))]
    assert book.last_update_ns == 5 and book.snapshots == 1


def test_snapshot_when_book_had_other_levels_and_trade_then_replaces_them_all() -> None:
    book = live_book()
    book.update([inc(NEW, TRADE, "100", "3", seq=11)], ts_ns=6)

    book.snapshot(snapshot(level(BID, "98", "1"), level(OFFER, "101", "2"), seq=None))

    assert book.levels(BID) == [(D(98), D(1))] and book.levels(OFFER) == [(D(101), D(2))]
    assert book.last_trade is None


def test_snapshot_when_it_lists_one_price_twice_then_sizes_are_summed() -> None:
    book = L2Book(VenueId("V1"), Symbol("MSFT"))

    book.snapshot(snapshot(level(BID, "99", "1"), level(BID, "99", "2"), level(TRADE, "99.5", "7")))

    assert book.levels(BID) == [(D(99), D(3))]
    assert book.last_trade == (D("99.5"), D(7), 0)


def test_snapshot_when_crossed_then_counted_and_book_awaits_another() -> None:
    book = L2Book(VenueId("V1"), Symbol("MSFT"))

    problem = book.snapshot(snapshot(*ladder(bids="100:1", offers="100:1")))

    assert problem is Problem.CROSSED and book.crossed and not book.live
    assert book.problems[Problem.CROSSED] == 1


def test_update_when_no_snapshot_yet_then_ignored_and_counted_dropped() -> None:
    book = L2Book(VenueId("V1"), Symbol("MSFT"))

    problem = book.update([inc(NEW, BID, "99", "1", seq=1)], ts_ns=1)

    assert problem is None and book.dropped == 1 and book.levels(BID) == [] and not book.live


def test_update_when_new_better_bid_then_it_is_the_best() -> None:
    book = live_book()

    assert book.update([inc(NEW, BID, "99.75", "4", seq=11)], ts_ns=7) is None

    assert book.best_bid() == (D("99.75"), D(4))
    assert book.levels(BID) == [(D("99.75"), D(4)), (D("99.5"), D(10)), (D(99), D(20))]
    assert book.last_update_ns == 7 and book.increments == 1


def test_update_when_new_on_existing_level_then_size_replaced_and_counted() -> None:
    book = live_book()

    assert book.update([inc(NEW, OFFER, "100", "8", seq=11)], ts_ns=7) is None

    assert book.levels(OFFER) == [(D(100), D(8)), (D("100.5"), D(15))]
    assert book.new_on_existing == 1 and book.live


@pytest.mark.parametrize("same", ["100.0", "100.000", "1E+2", "1.00E+2"])
def test_update_when_price_written_otherwise_then_it_is_the_same_level(same: str) -> None:
    book = live_book()

    book.update([inc(CHANGE, OFFER, same, "7", seq=11)], ts_ns=7)
    assert book.best_ask() == (D(100), D(7))
    book.update([inc(DELETE, OFFER, same, seq=12)], ts_ns=8)

    assert book.best_ask() == (D("100.5"), D(15)) and book.live


@pytest.mark.parametrize(
    ("price", "key"),
    [("100", "100"), ("100.10", "100.1"), ("-5.50", "-5.5"), ("-0.00", "0"), ("0", "0"), ("1.5E-7", "0.00000015")],
)
def test_price_key_when_equal_prices_then_equal_text(price: str, key: str) -> None:
    assert price_key(D(price)) == key


def test_update_when_change_then_level_size_set() -> None:
    book = live_book()

    book.update([inc(CHANGE, BID, "99.5", "12", seq=11)], ts_ns=7)

    assert book.best_bid() == (D("99.5"), D(12))


@pytest.mark.parametrize("action", [NEW, CHANGE])
def test_update_when_size_zero_then_level_removed(action: MDUpdateAction) -> None:
    book = live_book()

    book.update([inc(action, BID, "99.5", "0", seq=11)], ts_ns=7)

    assert book.levels(BID) == [(D(99), D(20))] and book.live


def test_update_when_best_offer_deleted_then_next_is_best() -> None:
    book = live_book()

    book.update([inc(DELETE, OFFER, "100", seq=11)], ts_ns=7)

    assert book.best_ask() == (D("100.5"), D(15)) and book.levels(OFFER) == [(D("100.5"), D(15))]


@pytest.mark.parametrize("action", [CHANGE, DELETE])
def test_update_when_level_missing_then_missing_level_and_book_awaits_snapshot(action: MDUpdateAction) -> None:
    book = live_book()

    problem = book.update([inc(action, BID, "98", "1", seq=11)], ts_ns=7)

    assert problem is Problem.MISSING_LEVEL and not book.live
    assert book.problems == {Problem.GAP: 0, Problem.MISSING_LEVEL: 1, Problem.CROSSED: 0}


def test_update_when_trade_then_last_trade_set_and_levels_untouched() -> None:
    book = live_book()

    book.update([inc(NEW, TRADE, "100", "3", seq=11)], ts_ns=8)

    assert book.last_trade == (D(100), D(3), 8)
    assert book.levels(OFFER) == [(D(100), D(5)), (D("100.5"), D(15))]


def test_update_when_rpt_seq_skips_then_gap() -> None:
    book = live_book(seq=10)
    assert book.update([inc(NEW, BID, "98", "1", seq=11), inc(NEW, BID, "97", "1", seq=12)], ts_ns=7) is None

    problem = book.update([inc(NEW, BID, "96", "1", seq=14)], ts_ns=8)

    assert problem is Problem.GAP and not book.live and book.problems[Problem.GAP] == 1


def test_update_when_rpt_seq_repeats_then_gap() -> None:
    book = live_book(seq=10)
    book.update([inc(NEW, BID, "98", "1", seq=11)], ts_ns=7)

    assert book.update([inc(NEW, BID, "97", "1", seq=11)], ts_ns=8) is Problem.GAP


def test_update_when_snapshot_had_no_rpt_seq_then_sequence_not_checked() -> None:
    book = live_book(seq=None)

    assert book.update([inc(NEW, BID, "98", "1", seq=500)], ts_ns=7) is None
    assert book.update([inc(NEW, BID, "97", "1", seq=3)], ts_ns=8) is None


def test_update_when_entry_has_no_rpt_seq_then_it_is_not_checked_nor_counted() -> None:
    book = live_book(seq=10)

    assert book.update([inc(NEW, BID, "98", "1", seq=None), inc(NEW, BID, "97", "1", seq=11)], ts_ns=7) is None


def test_update_when_message_crosses_only_between_its_entries_then_no_problem() -> None:
    book = live_book()

    problem = book.update(
        [inc(NEW, BID, "100", "1", seq=11), inc(DELETE, OFFER, "100", seq=12), inc(NEW, OFFER, "100.25", "1", seq=13)],
        ts_ns=7,
    )

    assert problem is None and book.live
    assert book.best_bid() == (D(100), D(1)) and book.best_ask() == (D("100.25"), D(1))


@pytest.mark.parametrize("bid", ["100", "100.25"])
def test_update_when_message_leaves_book_locked_or_crossed_then_crossed(bid: str) -> None:
    book = live_book()

    problem = book.update([inc(NEW, BID, bid, "1", seq=11)], ts_ns=7)

    assert problem is Problem.CROSSED and book.crossed and not book.live
    assert book.problems[Problem.CROSSED] == 1


def test_update_when_problem_mid_message_then_later_entries_not_applied_and_top_kept() -> None:
    book = live_book()

    problem = book.update([inc(NEW, BID, "99.75", "1", seq=11), inc(DELETE, BID, "42", seq=12)], ts_ns=7)

    assert problem is Problem.MISSING_LEVEL
    assert book.best_bid() == (D("99.5"), D(10)) and book.last_update_ns == 5


def test_update_when_awaiting_snapshot_then_ignored_until_next_snapshot() -> None:
    book = live_book(seq=10)
    book.update([inc(NEW, BID, "96", "1", seq=99)], ts_ns=7)

    assert book.update([inc(NEW, BID, "98", "1", seq=11)], ts_ns=8) is None
    assert book.dropped == 1 and book.levels(BID) == [(D("99.5"), D(10)), (D(99), D(20))]

    book.snapshot(snapshot(*ladder(), seq=200))
    assert book.live
    assert book.update([inc(NEW, BID, "98", "1", seq=201)], ts_ns=9) is None
    assert book.best_bid() == (D("99.5"), D(10)) and book.levels(BID)[-1] == (D(98), D(1))


def test_await_snapshot_when_called_then_increments_dropped() -> None:
    book = live_book()

    book.await_snapshot()

    assert not book.live
    assert book.update([inc(NEW, BID, "98", "1", seq=11)], ts_ns=8) is None and book.dropped == 1


def test_update_when_entry_has_no_update_action_then_raises_and_book_awaits_snapshot() -> None:
    book = live_book()

    with pytest.raises(ValueError, match="279"):
        book.update([inc(None, BID, "98", "1", seq=11)], ts_ns=8)

    assert not book.live


def test_levels_when_a_message_is_being_applied_then_reader_waits_for_the_whole_message(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    book = live_book()
    book._version += 1  # the writer is inside a message...
    yields = []

    def writer_finishes() -> None:
        yields.append(1)
        book.update([inc(NEW, BID, "99.75", "1", seq=11)], ts_ns=7)  # ... and now a whole one is applied
        book._version += 1

    monkeypatch.setattr(book_module, "_let_writer_run", writer_finishes)

    assert book.levels(BID, 1) == [(D("99.75"), D(1))] and yields == [1]


def test_reader_when_writer_applies_messages_that_cross_between_entries_then_never_sees_half_a_message() -> None:
    # Each message moves the inside from 98/100 to 100/102 or back, locking the book and changing the number of
    # levels between its entries; after each whole message both sides hold 3 levels and the book is not crossed.
    book = L2Book(VenueId("V1"), Symbol("MSFT"))
    book.snapshot(snapshot(*ladder("98:1 91:1 90:1", "100:1 110:1 111:1")))
    up = [inc(NEW, BID, "100", "1"), inc(DELETE, OFFER, "100"), inc(NEW, OFFER, "102", "1"), inc(DELETE, BID, "98")]
    down = [inc(NEW, OFFER, "100", "1"), inc(DELETE, OFFER, "102"), inc(DELETE, BID, "100"), inc(NEW, BID, "98", "1")]
    done = threading.Event()

    def writer() -> None:
        for _ in range(3000):
            assert book.update(up, ts_ns=1) is None and book.update(down, ts_ns=2) is None
        done.set()

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as the interpreter can, to interleave reads with writes
    try:
        thread = threading.Thread(target=writer)
        thread.start()
        reads = 0
        while not done.is_set():
            bid, ask = book.top
            assert bid is not None and ask is not None and bid[0] < ask[0]
            assert len(book.levels(BID)) == 3 and len(book.levels(OFFER)) == 3
            reads += 1
        thread.join()
    finally:
        sys.setswitchinterval(interval)

    assert book.live and book.increments == 6000 and reads > 0
