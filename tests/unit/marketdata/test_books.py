"""MarketBooks: per-venue books fed by sessions, consolidated quotes over the usable ones, staleness, counters."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.clock import TestClock
from marketdata.book import Problem
from marketdata.books import MarketBooks
from tests.unit.marketdata.factories import BID, DELETE, NEW, OFFER, TRADE, D, inc, increment, ladder, level, snapshot

MS = 1_000_000


@pytest.fixture
def books(clock: TestClock) -> MarketBooks:
    return MarketBooks(clock, stale_after_ms=500)


def feed(books: MarketBooks, venue: str, bids: str, offers: str, symbol: str = "MSFT", seq: int | None = 0) -> None:
    books.on_snapshot(snapshot(*ladder(bids, offers), seq=seq, symbol=symbol, venue=venue))


def test_on_snapshot_when_new_venue_and_symbol_then_book_made_and_listed(books: MarketBooks) -> None:
    feed(books, "V1", "99:1", "101:1")
    feed(books, "V2", "99:1", "101:1")
    feed(books, "V1", "9:1", "11:1", symbol="AAPL")

    assert books.symbols() == ["AAPL", "MSFT"] and books.venues("MSFT") == ["V1", "V2"]
    book = books.book("V1", "MSFT")
    assert book is not None and book.live and books.book("V3", "MSFT") is None


def test_on_snapshot_when_crossed_then_problem_returned(books: MarketBooks) -> None:
    problem = books.on_snapshot(snapshot(*ladder("101:1", "100:1")))

    assert problem is Problem.CROSSED and books.counters()["crossed"] == 1


def test_on_increment_when_symbol_has_no_book_then_ignored_and_no_book_made(books: MarketBooks) -> None:
    problems = books.on_increment(increment(inc(NEW, BID, "99", "1", seq=1, symbol="IBM")))

    assert problems == [] and books.symbols() == [] and books.counters()["unknown_symbol"] == 1


def test_on_increment_when_entries_of_two_symbols_then_each_book_gets_its_own(books: MarketBooks) -> None:
    feed(books, "V1", "99:1", "101:1", symbol="MSFT")
    feed(books, "V1", "9:1", "11:1", symbol="AAPL")

    problems = books.on_increment(
        increment(
            inc(NEW, BID, "99.5", "2", seq=1, symbol="MSFT"),
            inc(NEW, OFFER, "10.5", "3", seq=1, symbol="AAPL"),
            inc(DELETE, BID, "99", seq=2, symbol="MSFT"),
        )
    )

    assert problems == []
    assert books.depth("MSFT") == ([(D("99.5"), D(2))], [(D(101), D(1))])
    assert books.depth("AAPL") == ([(D(9), D(1))], [(D("10.5"), D(3)), (D(11), D(1))])


def test_on_increment_when_books_fail_then_each_problem_named_with_its_book(books: MarketBooks) -> None:
    feed(books, "V1", "99:1", "101:1", symbol="MSFT")
    feed(books, "V1", "9:1", "11:1", symbol="AAPL")

    problems = books.on_increment(
        increment(inc(NEW, BID, "99.5", "2", seq=5, symbol="MSFT"), inc(DELETE, BID, "8", seq=1, symbol="AAPL"))
    )

    assert sorted(problems) == [("V1", "AAPL", Problem.MISSING_LEVEL), ("V1", "MSFT", Problem.GAP)]
    assert books.mid("MSFT") == (None, "no book")


def test_reset_when_venue_session_dropped_then_its_books_await_a_snapshot_and_others_stay(books: MarketBooks) -> None:
    feed(books, "V1", "99:1", "101:1")
    feed(books, "V2", "98:1", "102:1")

    books.reset("V1")
    books.on_increment(increment(inc(NEW, BID, "99.5", "1", seq=1), venue="V1"))

    assert books.bid_ask("MSFT") == (D(98), D(102))
    assert books.counters()["dropped"] == 1
    feed(books, "V1", "99:1", "101:1", seq=7)
    assert books.bid_ask("MSFT") == (D(99), D(101))


def test_bid_ask_when_several_venues_then_highest_bid_and_lowest_offer(books: MarketBooks) -> None:
    feed(books, "V1", "99:1", "101.5:1")
    feed(books, "V2", "98.5:1", "101:1")

    assert books.bid_ask("MSFT") == (D(99), D(101))
    assert books.mid("MSFT") == (D(100), "ok")


def test_mid_when_no_book_then_none_no_book(books: MarketBooks) -> None:
    assert books.mid("MSFT") == (None, "no book")


def test_mid_when_only_bids_then_one_sided(books: MarketBooks) -> None:
    books.on_snapshot(snapshot(level(BID, "99", "1")))

    assert books.mid("MSFT") == (None, "one-sided") and books.bid_ask("MSFT") == (D(99), None)


def test_mid_when_venues_cross_each_other_then_crossed(books: MarketBooks) -> None:
    feed(books, "V1", "100:1", "101:1")
    feed(books, "V2", "98:1", "100:1")

    assert books.mid("MSFT") == (None, "crossed")


def test_mid_when_only_book_crossed_then_crossed_and_not_used(books: MarketBooks) -> None:
    feed(books, "V1", "99:1", "101:1")

    books.on_increment(increment(inc(NEW, BID, "101", "1", seq=1)))

    assert books.mid("MSFT") == (None, "crossed") and books.bid_ask("MSFT") == (None, None)


def test_mid_when_one_venue_crossed_then_the_other_venue_gives_it(books: MarketBooks) -> None:
    feed(books, "V1", "99:1", "101:1")
    feed(books, "V2", "98:1", "102:1")

    books.on_increment(increment(inc(NEW, OFFER, "99", "1", seq=1), venue="V1"))

    assert books.mid("MSFT") == (D(100), "ok")


def test_check_stale_when_no_update_for_the_configured_time_then_newly_stale_once(
    books: MarketBooks, clock: TestClock
) -> None:
    feed(books, "V1", "99:1", "101:1")
    clock.advance(499 * MS)
    assert books.check_stale(clock.now_ns()) == []

    clock.advance(1 * MS)

    assert books.check_stale(clock.now_ns()) == [("V1", "MSFT")]
    assert books.check_stale(clock.now_ns()) == []
    assert books.stale("V1", "MSFT") and books.counters()["stale"] == 1


def test_stale_book_when_updated_then_fresh_again(books: MarketBooks, clock: TestClock) -> None:
    feed(books, "V1", "99:1", "101:1")
    clock.advance(600 * MS)
    books.check_stale(clock.now_ns())

    books.on_increment(increment(inc(NEW, TRADE, "100", "1", seq=1)))

    assert not books.stale("V1", "MSFT") and books.mid("MSFT") == (D(100), "ok")
    clock.advance(600 * MS)
    assert books.check_stale(clock.now_ns()) == [("V1", "MSFT")]


def test_check_stale_when_book_awaits_snapshot_then_not_judged(books: MarketBooks, clock: TestClock) -> None:
    feed(books, "V1", "99:1", "101:1")
    books.reset("V1")
    clock.advance(600 * MS)

    assert books.check_stale(clock.now_ns()) == [] and not books.stale("V1", "MSFT")


def test_mid_when_only_book_stale_then_stale_unless_stale_ok(books: MarketBooks, clock: TestClock) -> None:
    feed(books, "V1", "99:1", "101:1")
    clock.advance(600 * MS)
    books.check_stale(clock.now_ns())

    assert books.mid("MSFT") == (None, "stale") and books.bid_ask("MSFT") == (None, None)
    assert books.mid("MSFT", stale_ok=True) == (D(100), "stale")
    assert books.bid_ask("MSFT", stale_ok=True) == (D(99), D(101))
    assert books.depth("MSFT") == ([], []) and books.depth("MSFT", stale_ok=True) == ([(D(99), D(1))], [(D(101), D(1))])


def test_mid_when_one_venue_stale_then_the_fresh_one_gives_it(books: MarketBooks, clock: TestClock) -> None:
    feed(books, "V1", "99.5:1", "100.5:1")
    clock.advance(300 * MS)
    feed(books, "V2", "98:1", "102:1")
    clock.advance(300 * MS)

    assert books.check_stale(clock.now_ns()) == [("V1", "MSFT")]
    assert books.mid("MSFT") == (D(100), "ok") and books.bid_ask("MSFT") == (D(98), D(102))


def test_last_trade_when_several_venues_traded_then_latest_by_arrival(books: MarketBooks, clock: TestClock) -> None:
    feed(books, "V1", "99:1", "101:1")
    feed(books, "V2", "99:1", "101:1")
    books.on_increment(increment(inc(NEW, TRADE, "100.5", "1", seq=1), venue="V2"))
    clock.advance(1)

    books.on_increment(increment(inc(NEW, TRADE, "99.5", "1", seq=1), venue="V1"))

    assert books.last_trade("MSFT") == D("99.5") and books.last_trade("IBM") is None


def test_depth_when_venues_share_prices_then_sizes_summed_best_first(books: MarketBooks) -> None:
    feed(books, "V1", "99:1 98:2 97:4", "101:1 102:2")
    feed(books, "V2", "99:10 98.5:20", "101:10 101.5:20 103:1")

    bids, asks = books.depth("MSFT", 2)

    assert bids == [(D(99), D(11)), (D("98.5"), D(20))]
    assert asks == [(D(101), D(11)), (D("101.5"), D(20))]
    assert books.depth("MSFT")[0] == [(D(99), D(11)), (D("98.5"), D(20)), (D(98), D(2)), (D(97), D(4))]


def test_depth_when_venue_named_then_only_its_book(books: MarketBooks) -> None:
    feed(books, "V1", "99:1 98:2", "101:1")
    feed(books, "V2", "99:10", "101:10")

    assert books.depth("MSFT", 1, venue="V1") == ([(D(99), D(1))], [(D(101), D(1))])
    assert books.depth("MSFT", venue="V3") == ([], [])


def test_counters_when_books_work_then_totals_by_kind(books: MarketBooks) -> None:
    feed(books, "V1", "99:1", "101:1")
    books.on_increment(increment(inc(NEW, BID, "98", "1", seq=1), inc(NEW, OFFER, "100", "1", seq=2)))
    books.on_increment(increment(inc(NEW, BID, "97", "1", seq=9)))  # a gap
    books.on_increment(increment(inc(NEW, BID, "97", "1", seq=10)))  # dropped: the book awaits a snapshot
    feed(books, "V1", "99:1", "101:1", seq=0)
    books.on_increment(increment(inc(NEW, BID, "99", "3", seq=1)))  # replaces the size of 99
    books.on_increment(increment(inc(DELETE, BID, "97", seq=2)))  # a missing level
    assert books.counters() == {
        "gap": 1,
        "missing_level": 1,
        "crossed": 0,
        "dropped": 1,
        "unknown_symbol": 0,
        "snapshots": 2,
        "increments": 2,
        "new_on_existing": 1,
        "books": 1,
        "live": 0,
        "stale": 0,
    }


def test_mid_when_bid_and_offer_have_odd_cents_then_exact_decimal(books: MarketBooks) -> None:
    feed(books, "V1", "99.99:1", "100.02:1")

    assert books.mid("MSFT") == (Decimal("100.005"), "ok")
