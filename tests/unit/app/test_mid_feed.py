"""The mids of the adaptive symbols onto the bus: each venue's and the consolidated one, only when they change."""

from __future__ import annotations

from decimal import Decimal

from app.adaptive import MidFeed
from domain.bus import MessageBus
from domain.channels import MIDS
from domain.clock import TestClock
from domain.ids import Symbol
from marketdata.books import MarketBooks
from marketdata.feed import VenueFeeds
from tests.unit.marketdata.factories import BID, CHANGE, OFFER, inc, increment, ladder, snapshot

MSFT = Symbol("MSFT")


def setup() -> tuple[VenueFeeds, list[tuple[str | None, Decimal]]]:
    clock = TestClock()
    bus = MessageBus()
    books = MarketBooks(clock, stale_after_ms=1000)
    feeds = VenueFeeds(books)
    seen: list[tuple[str | None, Decimal]] = []
    bus.subscribe(MIDS, lambda m: seen.append((m.venue, m.mid)))
    feeds.listen(MidFeed(bus, books, clock, frozenset({"MSFT"})).on_change)
    return feeds, seen


def test_on_change_when_books_move_then_venue_and_consolidated_mids_published_once_per_change() -> None:
    feeds, seen = setup()

    feeds.on_snapshot(snapshot(*ladder("99:10 98:10", "101:10 102:10"), seq=1, venue="A"))
    feeds.on_snapshot(snapshot(*ladder("99.5:10", "100.5:10"), seq=1, venue="B"))
    feeds.on_increment(increment(inc(CHANGE, BID, "98", "30", seq=2), venue="A"))  # deeper: no mid moves
    feeds.on_increment(increment(inc(CHANGE, OFFER, "101", "1", seq=3), venue="A"))  # size at the top: same mid
    feeds.on_snapshot(snapshot(*ladder("99:10", "101:10"), seq=1, symbol="IBM", venue="A"))  # not adaptive

    assert seen == [
        ("A", Decimal(100)),
        (None, Decimal(100)),
        ("B", Decimal(100)),  # B's own mid is 100 too; the consolidated (99.5 / 100.5) still 100
    ]


def test_on_change_when_consolidated_moves_then_published() -> None:
    feeds, seen = setup()
    feeds.on_snapshot(snapshot(*ladder("99:10", "101:10"), seq=1, venue="A"))
    seen.clear()

    feeds.on_snapshot(snapshot(*ladder("99.8:10", "101.2:10"), seq=1, venue="B"))

    assert seen == [("B", Decimal("100.5")), (None, Decimal("100.4"))]  # best 99.8 / 101
