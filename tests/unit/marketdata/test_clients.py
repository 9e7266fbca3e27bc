"""ClientFeeds: clients' subscriptions to the consolidated book: rejects, snapshot, then exact differences."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

from domain.clock import TestClock
from domain.ids import SessionKey, Symbol
from domain.marketdata import (
    BookIncrement,
    BookSnapshot,
    MarketDataRequest,
    MDEntryType,
    MDReqRejReason,
    MDUpdateAction,
    SubscriptionRequestType,
)
from marketdata.books import MarketBooks
from marketdata.clients import ClientFeeds
from tests.unit.marketdata.factories import BID, CHANGE, DELETE, NEW, OFFER, TRADE, inc, increment, ladder, snapshot

SESSION = SessionKey("FIX.4.4:FIXGW->CLIENT1")
Sent = list[tuple[SessionKey, BookSnapshot | BookIncrement]]


@pytest.fixture
def books(clock: TestClock) -> MarketBooks:
    books = MarketBooks(clock, stale_after_ms=500)
    books.on_snapshot(snapshot(*ladder("99.5:10 99:20", "100:5 100.5:15"), seq=0, venue="V1"))
    books.on_snapshot(snapshot(*ladder("99.5:1 98:2", "100.5:3"), seq=0, venue="V2"))
    return books


def desk(
    books: MarketBooks, clock: TestClock, sent: Sent, entitled: frozenset[str] = frozenset({"MSFT"})
) -> ClientFeeds:
    return ClientFeeds(
        books, frozenset({"MSFT", "IBM"}), {"CLIENT1": entitled}, lambda s, m: sent.append((s, m)), clock
    )


def request(
    md_req_id: str = "S1",
    depth: int = 0,
    kind: SubscriptionRequestType = SubscriptionRequestType.SUBSCRIBE,
    symbols: tuple[str, ...] = ("MSFT",),
    types: tuple[MDEntryType, ...] = (BID, OFFER, TRADE),
) -> MarketDataRequest:
    return MarketDataRequest(
        session=SESSION,
        md_req_id=md_req_id,
        subscription=kind,
        depth=depth,
        entry_types=types,
        symbols=tuple(Symbol(s) for s in symbols),
    )


def levels(message: BookSnapshot, kind: MDEntryType) -> list[tuple[str, str]]:
    return [(str(e.price), str(e.size)) for e in message.entries if e.entry_type is kind]


def test_request_when_subscribed_then_consolidated_snapshot_summed_by_price(
    books: MarketBooks, clock: TestClock
) -> None:
    sent: Sent = []
    feeds = desk(books, clock, sent)

    assert feeds.request(request(depth=2)) is None

    ((session, message),) = sent
    assert session == SESSION and isinstance(message, BookSnapshot) and message.md_req_id == "S1"
    assert levels(message, BID) == [("99.5", "11"), ("99", "20")]
    assert levels(message, OFFER) == [("100", "5"), ("100.5", "18")]
    assert message.rpt_seq == 0


@pytest.mark.parametrize(
    ("asked", "reason"),
    [
        (request(symbols=("XYZ",)), MDReqRejReason.UNKNOWN_SYMBOL),
        (request(symbols=("IBM",)), MDReqRejReason.INSUFFICIENT_PERMISSIONS),
    ],
)
def test_request_when_not_servable_then_reject_names_it(
    books: MarketBooks, clock: TestClock, asked: MarketDataRequest, reason: MDReqRejReason
) -> None:
    sent: Sent = []

    reject = desk(books, clock, sent).request(asked)

    assert reject is not None and reject.reason is reason and reject.text and sent == []


def test_request_when_same_md_req_id_subscribed_then_duplicate_reject(books: MarketBooks, clock: TestClock) -> None:
    feeds = desk(books, clock, [])
    feeds.request(request())

    reject = feeds.request(request())

    assert reject is not None and reject.reason is MDReqRejReason.DUPLICATE_MD_REQ_ID


def test_publish_when_book_changes_then_differences_deletes_first_numbered(
    books: MarketBooks, clock: TestClock
) -> None:
    sent: Sent = []
    feeds = desk(books, clock, sent)
    feeds.request(request(depth=2))
    books.on_increment(
        increment(
            inc(DELETE, BID, "99.5", seq=1), inc(NEW, BID, "99.6", "7", seq=2), inc(NEW, TRADE, "99.5", "10", seq=3)
        )
    )
    trades = (inc(NEW, TRADE, "99.5", "10", seq=3),)
    feeds.on_change(Symbol("MSFT"), trades)

    feeds.publish()

    update = sent[-1][1]
    assert isinstance(update, BookIncrement)
    got = [(e.action, e.entry_type, str(e.price), str(e.size), e.rpt_seq) for e in update.entries]
    assert got == [  # 99 leaves the top 2
        (MDUpdateAction.DELETE, BID, "99", "0", 1),
        (MDUpdateAction.NEW, BID, "99.6", "7", 2),
        (MDUpdateAction.CHANGE, BID, "99.5", "1", 3),
        (MDUpdateAction.NEW, TRADE, "99.5", "10", 4),
    ]


def test_publish_when_level_leaves_top_n_then_deleted_and_next_enters(books: MarketBooks, clock: TestClock) -> None:
    sent: Sent = []
    feeds = desk(books, clock, sent)
    feeds.request(request(depth=1, types=(BID,)))
    books.on_increment(increment(inc(DELETE, BID, "99.5", seq=1), venue="V1"))
    books.on_increment(increment(inc(DELETE, BID, "99.5", seq=1), venue="V2"))
    feeds.on_change(Symbol("MSFT"), ())

    feeds.publish()

    update = sent[-1][1]
    assert isinstance(update, BookIncrement)
    got = [(e.action, str(e.price), str(e.size)) for e in update.entries]
    assert got == [(MDUpdateAction.DELETE, "99.5", "0"), (MDUpdateAction.NEW, "99", "20")]


def test_publish_when_unchanged_view_then_nothing_sent(books: MarketBooks, clock: TestClock) -> None:
    sent: Sent = []
    feeds = desk(books, clock, sent)
    feeds.request(request(depth=1))
    books.on_increment(increment(inc(CHANGE, BID, "99", "21", seq=1), venue="V1"))  # below the top level
    feeds.on_change(Symbol("MSFT"), ())

    feeds.publish()

    assert len(sent) == 1


def test_request_when_snapshot_only_or_unsubscribed_then_no_updates(books: MarketBooks, clock: TestClock) -> None:
    sent: Sent = []
    feeds = desk(books, clock, sent)
    feeds.request(request("SNAP", kind=SubscriptionRequestType.SNAPSHOT))
    feeds.request(request("SUB"))
    feeds.request(request("SUB", kind=SubscriptionRequestType.UNSUBSCRIBE))
    books.on_increment(increment(inc(CHANGE, BID, "99.5", "12", seq=1), venue="V1"))
    feeds.on_change(Symbol("MSFT"), ())

    feeds.publish()

    assert [type(m).__name__ for _, m in sent] == ["BookSnapshot", "BookSnapshot"] and feeds.subscriptions() == 0


def test_on_change_when_publisher_busy_then_conflated(books: MarketBooks, clock: TestClock) -> None:
    sent: Sent = []
    feeds = desk(books, clock, sent)
    feeds.request(request())
    for size in ("12", "13", "14"):
        books.on_increment(increment(inc(CHANGE, BID, "99.5", size, seq=int(size) - 11), venue="V1"))
        feeds.on_change(Symbol("MSFT"), ())

    feeds.publish()

    update = sent[-1][1]
    assert isinstance(update, BookIncrement) and [str(e.size) for e in update.entries] == ["15"]
    assert feeds.conflated == 2


def test_session_down_when_subscribed_then_subscriptions_end(books: MarketBooks, clock: TestClock) -> None:
    feeds = desk(books, clock, [])
    feeds.request(request("A"))
    feeds.request(request("B"))

    feeds.session_down(SESSION)

    assert feeds.subscriptions() == 0


def test_start_when_change_then_publisher_thread_sends(books: MarketBooks, clock: TestClock) -> None:
    sent: Sent = []
    feeds = desk(books, clock, sent)
    feeds.request(request())
    feeds.start()
    try:
        books.on_increment(increment(inc(CHANGE, BID, "99.5", "12", seq=1), venue="V1"))
        feeds.on_change(Symbol("MSFT"), ())
        deadline = time.monotonic() + 5
        while len(sent) < 2 and time.monotonic() < deadline:
            time.sleep(0.001)  # the publisher thread sends
    finally:
        feeds.stop()
    update = sent[-1][1]
    assert isinstance(update, BookIncrement) and [e.size for e in update.entries] == [Decimal("13")]
