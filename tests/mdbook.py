"""A strict reference rebuilder of L2 books from market data (35=W, 35=X), for tests.

Strict: a snapshot replaces a symbol's book; every increment entry must carry the next RptSeq (83) of its symbol
(the snapshot's + 1, then one more per entry); a new level must not exist yet, a change or a delete must name one
that does; a level's size is positive; with a depth, neither side ever holds more than that many levels. Any breach
raises ``AssertionError`` naming the symbol, the entry and what was expected.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from domain.marketdata import BookIncrement, BookSnapshot, MDEntry, MDEntryType, MDUpdateAction

Depth = tuple[list[tuple[Decimal, Decimal]], list[tuple[Decimal, Decimal]]]


@dataclass
class ReferenceBook:
    """One symbol's book as a subscriber sees it."""

    symbol: str
    depth: int = 0
    bids: dict[Decimal, Decimal] = field(default_factory=dict)
    asks: dict[Decimal, Decimal] = field(default_factory=dict)
    rpt_seq: int | None = None
    """RptSeq of the last update applied; None before the first snapshot."""
    trades: list[tuple[Decimal, Decimal]] = field(default_factory=list)

    def snapshot(self, snapshot: BookSnapshot) -> None:
        """Replace the book with ``snapshot``."""
        assert snapshot.rpt_seq is not None, f"{self.symbol}: a snapshot without RptSeq (83)"
        self.bids, self.asks = {}, {}
        for entry in snapshot.entries:
            if entry.entry_type is MDEntryType.TRADE:
                continue
            side = self._side(entry)
            assert entry.price not in side, f"{self.symbol}: snapshot names level {entry} twice"
            assert entry.size > 0, f"{self.symbol}: snapshot level without size: {entry}"
            side[entry.price] = entry.size
        self.rpt_seq = snapshot.rpt_seq
        self._check_depth()

    def apply(self, entry: MDEntry) -> None:
        """Apply one increment entry."""
        assert self.rpt_seq is not None, f"{self.symbol}: increment before any snapshot: {entry}"
        assert entry.rpt_seq == self.rpt_seq + 1, f"{self.symbol}: expected RptSeq {self.rpt_seq + 1}, got {entry}"
        self.rpt_seq = entry.rpt_seq
        if entry.entry_type is MDEntryType.TRADE:
            assert entry.action is MDUpdateAction.NEW, f"{self.symbol}: a trade is always new: {entry}"
            self.trades.append((entry.price, entry.size))
            return
        side = self._side(entry)
        if entry.action is MDUpdateAction.NEW:
            assert entry.price not in side, f"{self.symbol}: new level that exists already: {entry}"
        else:
            assert entry.price in side, f"{self.symbol}: {entry.action} of a level that does not exist: {entry}"
        if entry.action is MDUpdateAction.DELETE:
            del side[entry.price]
        else:
            assert entry.size > 0, f"{self.symbol}: level without size: {entry}"
            side[entry.price] = entry.size

    def levels(self) -> Depth:
        """(bids, asks) as (price, size), best first: the shape of ``OrderBook.depth``."""
        return sorted(self.bids.items(), reverse=True), sorted(self.asks.items())

    def _side(self, entry: MDEntry) -> dict[Decimal, Decimal]:
        return self.bids if entry.entry_type is MDEntryType.BID else self.asks

    def _check_depth(self) -> None:
        if self.depth:
            assert len(self.bids) <= self.depth and len(self.asks) <= self.depth, f"{self.symbol}: beyond depth"


class ReferenceBooks:
    """Every symbol of one subscription."""

    def __init__(self, depth: int = 0) -> None:
        self.depth = depth
        self.books: dict[str, ReferenceBook] = {}

    def on_snapshot(self, snapshot: BookSnapshot) -> None:
        """Replace a symbol's book."""
        self.book(snapshot.symbol).snapshot(snapshot)

    def on_increment(self, increment: BookIncrement) -> None:
        """Apply every entry in order; the depth bound holds after the whole message."""
        touched = set()
        for entry in increment.entries:
            assert entry.symbol is not None, f"an increment entry without Symbol (55): {entry}"
            self.book(entry.symbol).apply(entry)
            touched.add(entry.symbol)
        for symbol in touched:
            self.books[symbol]._check_depth()

    def book(self, symbol: str) -> ReferenceBook:
        """The symbol's book (empty, before its snapshot)."""
        return self.books.setdefault(symbol, ReferenceBook(symbol, self.depth))

    def rpt_seqs(self) -> dict[str, int | None]:
        """The RptSeq each symbol has reached."""
        return {symbol: book.rpt_seq for symbol, book in self.books.items()}
