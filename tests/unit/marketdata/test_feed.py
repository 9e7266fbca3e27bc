"""VenueFeeds: venue market data into the books, one snapshot request per broken book, listeners told of changes."""

from __future__ import annotations

from domain.clock import TestClock
from domain.ids import Symbol, VenueId
from domain.marketdata import MDEntry
from marketdata.books import MarketBooks
from marketdata.feed import VenueFeeds
from tests.unit.marketdata.factories import BID, CHANGE, NEW, TRADE, inc, increment, ladder, snapshot


def feeds(clock: TestClock) -> tuple[VenueFeeds, list[tuple[Symbol, tuple[MDEntry, ...]]]]:
    heard: list[tuple[Symbol, tuple[MDEntry, ...]]] = []
    feed = VenueFeeds(MarketBooks(clock, stale_after_ms=500))
    feed.listen(lambda symbol, trades: heard.append((symbol, trades)))
    return feed, heard


def test_on_increment_when_gap_then_snapshot_asked_once_until_it_comes(clock: TestClock) -> None:
    feed, _ = feeds(clock)
    feed.on_snapshot(snapshot(*ladder(), seq=0))

    first = feed.on_increment(increment(inc(CHANGE, BID, "99.5", "11", seq=2)))  # 1 is missing
    again = feed.on_increment(increment(inc(CHANGE, BID, "99.5", "12", seq=3)))
    needs = feed.on_snapshot(snapshot(*ladder(), seq=3))
    after = feed.on_increment(increment(inc(CHANGE, BID, "99.5", "13", seq=5)))

    assert (first, again, needs, after) == (["MSFT"], [], False, ["MSFT"])


def test_on_snapshot_when_crossed_then_another_snapshot_needed(clock: TestClock) -> None:
    feed, _ = feeds(clock)

    assert feed.on_snapshot(snapshot(*ladder("101:1", "100:1"), seq=0)) is True
    assert feed.on_increment(increment(inc(CHANGE, BID, "101", "2", seq=1))) == []  # asked already


def test_listeners_when_trades_then_told_per_symbol_with_its_trades(clock: TestClock) -> None:
    feed, heard = feeds(clock)
    feed.on_snapshot(snapshot(*ladder(), seq=0))
    feed.on_snapshot(snapshot(*ladder(), seq=0, symbol="IBM"))
    heard.clear()

    feed.on_increment(
        increment(
            inc(NEW, TRADE, "100", "5", seq=1),
            inc(CHANGE, BID, "99.5", "4", seq=2),
            inc(NEW, BID, "98", "4", seq=1, symbol="IBM"),
        )
    )

    assert sorted((symbol, len(trades)) for symbol, trades in heard) == [("IBM", 0), ("MSFT", 1)]


def test_reset_when_venue_drops_then_its_books_unused_and_listeners_told(clock: TestClock) -> None:
    feed, heard = feeds(clock)
    feed.on_snapshot(snapshot(*ladder(), seq=0))
    heard.clear()

    feed.reset(VenueId("V1"))

    assert feed.books.mid("MSFT")[0] is None and heard == [("MSFT", ())]
