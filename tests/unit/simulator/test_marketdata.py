"""The simulator's market data publisher against the matching engine itself: what a strict subscriber rebuilds
always equals the book (full depth, top 5, one side), and each request gets its answer."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from domain.clock import TestClock
from domain.enums import OrdType, Side, TimeInForce
from domain.ids import SessionKey, Symbol
from domain.marketdata import (
    BookIncrement,
    BookSnapshot,
    MarketDataReject,
    MarketDataRequest,
    MDEntry,
    MDEntryType,
    MDReqRejReason,
    MDUpdateAction,
    SubscriptionRequestType,
)
from matching.book import MatchingEngine, SimOrder
from matching.changes import BookChanges
from simulator.marketdata import MarketDataMessage, MarketDataPublisher
from tests.mdbook import ReferenceBooks

A = SessionKey("FIX.4.4:VENUEMD->FIXGW")
B = SessionKey("FIX.4.4:VENUE->FIXGW")
SYMBOLS = ("MSFT", "AAPL", "IBM")
ALL_TYPES = (MDEntryType.BID, MDEntryType.OFFER, MDEntryType.TRADE)


class Venue:
    """A seeded matching engine, its publisher, and everything the publisher sent."""

    def __init__(self) -> None:
        changes = BookChanges()
        self.engine = MatchingEngine(changes)
        for symbol in SYMBOLS:
            self.engine.seed(symbol, Decimal(100), Decimal("0.01"), 5, Decimal(500))
        self.sent: list[tuple[SessionKey, MarketDataMessage]] = []
        self.publisher = MarketDataPublisher(
            self.engine, changes, SYMBOLS, lambda s, m: self.sent.append((s, m)), TestClock(7)
        )
        self._ids = 0

    def request(
        self,
        md_req_id: str,
        subscription: SubscriptionRequestType = SubscriptionRequestType.SUBSCRIBE,
        *,
        session: SessionKey = A,
        depth: int = 0,
        types: tuple[MDEntryType, ...] = ALL_TYPES,
        symbols: tuple[str, ...] = SYMBOLS,
    ) -> list[MarketDataMessage]:
        before = len(self.sent)
        self.publisher.request(
            MarketDataRequest(
                session=session,
                md_req_id=md_req_id,
                subscription=subscription,
                depth=depth,
                entry_types=types,
                symbols=tuple(Symbol(s) for s in symbols),
            )
        )
        return [m for _, m in self.sent[before:]]

    def order(self, symbol: str, side: Side, qty: int, price: str | None, tif: TimeInForce = TimeInForce.DAY) -> None:
        self._ids += 1
        kind = OrdType.LIMIT if price else OrdType.MARKET
        self.engine.submit(
            SimOrder(f"O{self._ids}", symbol, side, kind, Decimal(qty), Decimal(price) if price else None, tif, "m")
        )
        self.publisher.publish()


def rebuild(venue: Venue, session: SessionKey, md_req_id: str, depth: int = 0) -> ReferenceBooks:
    books = ReferenceBooks(depth)
    for to, message in venue.sent:
        if to != session or getattr(message, "md_req_id", None) != md_req_id:
            continue
        if isinstance(message, BookSnapshot):
            books.on_snapshot(message)
        elif isinstance(message, BookIncrement):
            books.on_increment(message)
    return books


def random_orders(venue: Venue, rng: random.Random, count: int) -> None:
    for _ in range(count):
        symbol = rng.choice(SYMBOLS)
        side = rng.choice((Side.BUY, Side.SELL))
        kind = rng.random()
        price = None if kind < 0.05 else f"{Decimal(100) + Decimal(rng.randint(-12, 12)) / 100:.2f}"
        tif = TimeInForce.IMMEDIATE_OR_CANCEL if kind > 0.9 else TimeInForce.DAY
        venue.order(symbol, side, rng.randint(1, 900), price, tif)


@pytest.mark.parametrize("depth", [0, 5, 1])
def test_publisher_when_random_orders_then_every_rebuilt_book_equals_the_engine(depth: int) -> None:
    venue = Venue()
    venue.request("FULL", depth=depth)
    venue.request("BIDS", session=B, depth=depth, types=(MDEntryType.BID,))
    rng = random.Random(15)

    for _ in range(60):
        random_orders(venue, rng, 5)

        full, bids = rebuild(venue, A, "FULL", depth), rebuild(venue, B, "BIDS", depth)
        for symbol in SYMBOLS:
            expected = venue.engine.book(symbol).depth(depth)
            assert full.book(symbol).levels() == expected
            assert bids.book(symbol).levels() == (expected[0], [])
    assert any(book.trades for book in full.books.values()), "no trade in 300 orders: the test exercised too little"
    assert not any(book.trades for book in bids.books.values())


def test_publisher_when_subscribed_then_a_snapshot_per_symbol_at_rpt_seq_0() -> None:
    venue = Venue()

    sent = venue.request("S1", depth=2, symbols=("MSFT",))

    assert sent == [
        BookSnapshot(
            venue=sent[0].venue,  # type: ignore[union-attr]
            md_req_id="S1",
            symbol=Symbol("MSFT"),
            entries=(
                MDEntry(entry_type=MDEntryType.BID, price=Decimal("99.99"), size=Decimal(500)),
                MDEntry(entry_type=MDEntryType.BID, price=Decimal("99.98"), size=Decimal(500)),
                MDEntry(entry_type=MDEntryType.OFFER, price=Decimal("100.01"), size=Decimal(500)),
                MDEntry(entry_type=MDEntryType.OFFER, price=Decimal("100.02"), size=Decimal(500)),
            ),
            rpt_seq=0,
            ts_ns=7,
        )
    ]


def test_publisher_when_an_order_trades_then_trade_delete_and_new_in_that_order() -> None:
    venue = Venue()
    venue.request("S1", depth=1, symbols=("MSFT",))

    venue.order("MSFT", Side.BUY, 600, "100.01")  # takes the best offer (500), rests 100 as the best bid

    [(_, increment)] = venue.sent[1:]
    assert isinstance(increment, BookIncrement)
    assert [(e.action, e.entry_type, e.price, e.size, e.rpt_seq) for e in increment.entries] == [
        (MDUpdateAction.NEW, MDEntryType.TRADE, Decimal("100.01"), Decimal(500), 1),
        (MDUpdateAction.DELETE, MDEntryType.BID, Decimal("99.99"), Decimal(0), 2),
        (MDUpdateAction.DELETE, MDEntryType.OFFER, Decimal("100.01"), Decimal(0), 3),
        (MDUpdateAction.NEW, MDEntryType.BID, Decimal("100.01"), Decimal(100), 4),
        (MDUpdateAction.NEW, MDEntryType.OFFER, Decimal("100.02"), Decimal(500), 5),
    ]
    assert {e.symbol for e in increment.entries} == {"MSFT"}


def test_publisher_when_a_change_is_beyond_the_depth_then_nothing_is_sent() -> None:
    venue = Venue()
    venue.request("TOP", depth=1)

    venue.order("MSFT", Side.BUY, 10, "99.90")

    assert len(venue.sent) == 3  # the three snapshots


def test_publisher_when_unknown_symbol_then_reject_0_naming_it_and_no_subscription() -> None:
    venue = Venue()

    sent = venue.request("S1", symbols=("MSFT", "NOPE"))

    assert sent == [
        MarketDataReject(
            session=A, md_req_id="S1", reason=MDReqRejReason.UNKNOWN_SYMBOL, text="Unknown symbol 'NOPE' at this venue"
        )
    ]
    assert venue.publisher.subscriptions() == []


def test_publisher_when_md_req_id_active_then_reject_1_and_the_first_stays() -> None:
    venue = Venue()
    venue.request("S1", symbols=("MSFT",))

    [reject] = venue.request("S1", symbols=("IBM",))

    assert isinstance(reject, MarketDataReject)
    assert (reject.reason, reject.md_req_id) == (MDReqRejReason.DUPLICATE_MD_REQ_ID, "S1")
    assert "'S1'" in reject.text
    assert venue.publisher.subscriptions() == [(A, "S1")]
    assert venue.request("S1", session=B, symbols=("IBM",))[0].md_req_id == "S1"  # another session's own id


def test_publisher_when_unsubscribed_then_no_more_updates_and_the_id_is_free() -> None:
    venue = Venue()
    venue.request("S1", symbols=("MSFT",))

    venue.request("S1", SubscriptionRequestType.UNSUBSCRIBE)
    venue.order("MSFT", Side.BUY, 10, "100.00")

    assert len(venue.sent) == 1
    assert isinstance(venue.request("S1", symbols=("MSFT",))[0], BookSnapshot)


def test_publisher_when_snapshot_only_then_one_snapshot_per_symbol_and_nothing_after() -> None:
    venue = Venue()

    sent = venue.request("SNAP", SubscriptionRequestType.SNAPSHOT)
    venue.order("MSFT", Side.BUY, 10, "100.00")
    venue.publisher.refresh()

    assert [type(m) for m in sent] == [BookSnapshot] * 3
    assert len(venue.sent) == 3
    assert venue.publisher.subscriptions() == []


def test_publisher_when_the_session_ends_then_its_subscriptions_go_and_others_stay() -> None:
    venue = Venue()
    venue.request("S1", symbols=("MSFT",))
    venue.request("S2", session=B, symbols=("MSFT",))

    venue.publisher.session_ended(A)
    venue.order("MSFT", Side.BUY, 10, "100.00")

    assert [to for to, m in venue.sent if isinstance(m, BookIncrement)] == [B]
    assert venue.publisher.subscriptions() == [(B, "S2")]


def test_publisher_when_refreshed_then_a_snapshot_at_the_current_rpt_seq_with_the_last_trade() -> None:
    venue = Venue()
    venue.request("S1", symbols=("MSFT",))
    venue.order("MSFT", Side.SELL, 100, "99.99")  # trade (1), change of the best bid (2)
    before = rebuild(venue, A, "S1").book("MSFT").levels()

    venue.publisher.refresh()

    [(_, snapshot)] = venue.sent[2:]
    assert isinstance(snapshot, BookSnapshot)
    assert snapshot.rpt_seq == 2
    assert snapshot.entries[-1] == MDEntry(entry_type=MDEntryType.TRADE, price=Decimal("99.99"), size=Decimal(100))
    assert rebuild(venue, A, "S1").book("MSFT").levels() == before
