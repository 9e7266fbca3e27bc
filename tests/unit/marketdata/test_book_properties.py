"""Random snapshots and increments against a plain model of the rules: the books always equal it while they are live,
a snapshot always replaces, crossed input is flagged, and a book awaiting a snapshot ignores increments."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import event, given, settings
from hypothesis import strategies as st

from domain.clock import TestClock
from domain.ids import Symbol, VenueId
from domain.marketdata import MDEntry, MDEntryType
from marketdata.book import L2Book, Problem
from marketdata.books import MarketBooks
from tests.unit.marketdata.factories import BID, CHANGE, DELETE, NEW, OFFER, TRADE, increment, snapshot

SYMBOLS = ("MSFT", "AAPL")
PRICES = [Decimal(95) + Decimal(i) / 2 for i in range(21)]  # 95.0 .. 105.0: few enough that levels collide


class Model:
    """One symbol's book as the rules say, rebuilt naively: dicts of levels, no sorting, no text keys."""

    def __init__(self) -> None:
        self.sides: dict[MDEntryType, dict[Decimal, Decimal]] = {BID: {}, OFFER: {}}
        self.last: tuple[Decimal, Decimal] | None = None
        self.live = False
        self.expected: int | None = None

    def crossed(self) -> bool:
        bids, asks = self.sides[BID], self.sides[OFFER]
        return bool(bids and asks and max(bids) >= min(asks))

    def snapshot(self, entries: list[MDEntry], seq: int | None) -> Problem | None:
        self.sides = {BID: {}, OFFER: {}}
        self.last = None
        for entry in entries:
            if entry.entry_type is TRADE:
                self.last = (entry.price, entry.size)
            elif entry.size > 0:
                side = self.sides[entry.entry_type]
                side[entry.price] = side.get(entry.price, Decimal(0)) + entry.size
        self.expected = None if seq is None else seq + 1
        self.live = not self.crossed()
        return None if self.live else Problem.CROSSED

    def update(self, entries: list[MDEntry]) -> Problem | None:
        if not self.live:
            return None
        for entry in entries:
            problem = self.apply(entry)
            if problem is not None:
                self.live = False
                return problem
        self.live = not self.crossed()
        return None if self.live else Problem.CROSSED

    def apply(self, entry: MDEntry) -> Problem | None:
        if self.expected is not None and entry.rpt_seq is not None:
            if entry.rpt_seq != self.expected:
                return Problem.GAP
            self.expected += 1
        if entry.entry_type is TRADE:
            self.last = (entry.price, entry.size)
            return None
        side = self.sides[entry.entry_type]
        if entry.action is not NEW and entry.price not in side:
            return Problem.MISSING_LEVEL
        if entry.action is DELETE or not entry.size:
            side.pop(entry.price, None)
        else:
            side[entry.price] = entry.size
        return None


def other(kind: MDEntryType) -> MDEntryType:
    return OFFER if kind is BID else BID


def written(draw: st.DrawFn, price: Decimal) -> Decimal:
    """The same price, as a venue may write it: 100.5, 100.50 or 1.005E+2."""
    form = draw(st.sampled_from(["plain", "zeros", "exponent"]))
    if form == "zeros":
        return price.quantize(Decimal("0.001"))
    return Decimal(f"{price:E}") if form == "exponent" else price


@st.composite
def snapshot_entries(draw: st.DrawFn) -> list[MDEntry]:
    """Levels below 100 for bids and above for offers, now and then crossing; maybe a trade."""
    crossing = draw(st.integers(0, 4)) == 0
    low, high = (PRICES, PRICES) if crossing else (PRICES[:10], PRICES[11:])
    entries = [
        MDEntry(entry_type=kind, price=price, size=Decimal(draw(st.integers(1, 9))))
        for kind, prices in ((BID, low), (OFFER, high))
        for price in draw(st.lists(st.sampled_from(prices), max_size=6))
    ]
    if draw(st.booleans()):
        entries.append(MDEntry(entry_type=TRADE, price=draw(st.sampled_from(PRICES)), size=Decimal(1)))
    return entries


@st.composite
def message_entry(draw: st.DrawFn, model: Model, symbol: str, seq: int) -> MDEntry:
    """Mostly valid entries for the model as it stands, with some gaps, missing levels and crossing prices."""
    kind = draw(st.sampled_from([BID, OFFER, TRADE]))
    held = sorted(model.sides.get(kind, {}))
    action = draw(st.sampled_from([NEW, CHANGE, DELETE]))
    if kind is TRADE:
        action = NEW
    if action is not NEW and held and draw(st.integers(0, 9)) > 0:
        price = draw(st.sampled_from(held))
    elif action is NEW and draw(st.integers(0, 5)) > 0:  # on its own side of 100
        price = draw(st.sampled_from(PRICES[:10] if kind is BID else PRICES[11:]))
    elif action is NEW and kind is not TRADE and model.sides[other(kind)] and draw(st.booleans()):
        other_side = model.sides[other(kind)]
        price = max(other_side) if kind is OFFER else min(other_side)  # locks the book
    else:  # anywhere: a missing level, or a crossing one
        price = draw(st.sampled_from(PRICES))
    size = Decimal(draw(st.integers(0, 9))) if action is not DELETE else Decimal(0)
    rpt_seq = seq if draw(st.integers(0, 11)) > 0 else draw(st.sampled_from([seq - 1, seq + 1, seq + 5]))
    return MDEntry(
        entry_type=kind,
        price=written(draw, price),
        size=size,
        action=action,
        symbol=Symbol(symbol),
        rpt_seq=rpt_seq,
    )


def assert_levels_are_model(book: L2Book, model: Model) -> None:
    bids = sorted(model.sides[BID].items(), reverse=True)
    asks = sorted(model.sides[OFFER].items())
    assert book.levels(BID) == bids and book.levels(OFFER) == asks
    assert book.best_bid() == (bids[0] if bids else None) and book.best_ask() == (asks[0] if asks else None)
    assert (book.last_trade and book.last_trade[:2]) == model.last and book.crossed == model.crossed()


def waiting_books(books: MarketBooks) -> dict[str, tuple[L2Book, tuple[object, ...]]]:
    """The books awaiting a snapshot, with what an increment must not change."""
    return {
        symbol: (book, (book.generation, book.top, book.levels(BID), book.levels(OFFER), book.dropped))
        for symbol in SYMBOLS
        if (book := books.book("V1", symbol)) is not None and not book.live
    }


def snapshot_step(data: st.DataObject, books: MarketBooks, model: Model, symbol: str) -> int:
    """Send a snapshot: it replaces the book whatever the book held, and is flagged if it is crossed."""
    entries = data.draw(snapshot_entries())
    seq = data.draw(st.one_of(st.none(), st.integers(0, 50)))
    problem = books.on_snapshot(snapshot(*entries, seq=seq, symbol=symbol))
    assert problem == model.snapshot(entries, seq)
    event(f"snapshot: {problem}")
    book = books.book("V1", symbol)
    assert book is not None
    assert_levels_are_model(book, model)
    return seq or 0


def increment_step(data: st.DataObject, books: MarketBooks, models: dict[str, Model], sent: dict[str, int]) -> None:
    """Send one 35=X with entries for one symbol or both: problems as the model finds them, waiting books unmoved."""
    message: list[MDEntry] = []
    for _ in range(data.draw(st.integers(1, 5))):
        symbol = data.draw(st.sampled_from(SYMBOLS))
        sent[symbol] += 1
        message.append(data.draw(message_entry(models[symbol], symbol, sent[symbol])))
    waiting = waiting_books(books)

    problems = books.on_increment(increment(*message))

    expected = set()
    for symbol, model in models.items():
        problem = model.update([entry for entry in message if entry.symbol == symbol])
        if problem is not None:
            expected.add((VenueId("V1"), Symbol(symbol), problem))
    assert set(problems) == expected
    for _, _, problem in problems:
        event(f"problem: {problem}")
    if waiting:
        event("increment while a book awaited a snapshot")
    if not problems and not waiting:
        event("increment applied to live books")
    for symbol, (book, (generation, top, bids, asks, dropped)) in waiting.items():
        had_entries = any(entry.symbol == symbol for entry in message)
        assert (book.generation, book.top, book.levels(BID), book.levels(OFFER)) == (generation, top, bids, asks)
        assert book.dropped == dropped + had_entries


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_books_when_random_snapshots_and_increments_then_always_equal_the_model(data: st.DataObject) -> None:
    books = MarketBooks(TestClock(), stale_after_ms=1_000)
    models = {symbol: Model() for symbol in SYMBOLS}
    sent = dict.fromkeys(SYMBOLS, 0)  # the venue's RptSeq per symbol
    for _ in range(data.draw(st.integers(1, 30), label="steps")):
        if data.draw(st.integers(0, 5), label="snapshot if 0") == 0:
            symbol = data.draw(st.sampled_from(SYMBOLS))
            sent[symbol] = snapshot_step(data, books, models[symbol], symbol)
        else:
            increment_step(data, books, models, sent)
        for symbol, model in models.items():
            book = books.book("V1", symbol)
            assert (book is not None and book.live) == model.live
            if book is not None and model.live:
                assert_levels_are_model(book, model)
                best_bid, best_ask = book.top
                assert books.bid_ask(symbol) == (best_bid and best_bid[0], best_ask and best_ask[0])
