"""Every venue's L2 books, and the consolidated quotes read from them (``domain.marketdata.Quotes``).

Theory of operation
-------------------
*Threads.* The market data session is the writer: ``on_snapshot``, ``on_increment`` and ``reset``. A watcher thread
calls ``check_stale``. Readers (the order path, displays) take no lock: each book publishes its top of book as one
tuple (``L2Book.top``), and the registries of books are copied, never changed in place, when a book is added (the
one write that takes a lock, in case two sessions add books at once). A reader therefore sees, per book, one whole
message's result.

*Usable.* A book counts for the consolidated quotes when it is live (built from a snapshot, not awaiting one), not
crossed or locked, and not stale. ``stale_ok=True`` lets a human display use a stale book too; ``mid`` then answers
"stale" beside its price.

*Stale.* A live book with no snapshot or increment for ``stale_after_ms`` (the silently stale feed: the session is
up, the venue publishes nothing). ``check_stale`` marks it at its current generation; its next update moves it to the
next generation, which makes it fresh again with no write from the watcher.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from decimal import Decimal

from domain.clock import Clock
from domain.ids import Symbol, VenueId
from domain.marketdata import BookIncrement, BookSnapshot, MDEntry, MDEntryType, Quotes
from marketdata.book import L2Book, Level, Problem, Top

BookKey = tuple[VenueId, Symbol]
Depth = tuple[list[Level], list[Level]]
"""Bids and offers, best first."""

_BID, _OFFER = MDEntryType.BID, MDEntryType.OFFER
_TWO = Decimal(2)


class MarketBooks(Quotes):
    """The L2 books of every venue and symbol, fed by the market data sessions and read by everyone else."""

    def __init__(self, clock: Clock, stale_after_ms: int) -> None:
        self._clock = clock
        self._stale_after_ns = stale_after_ms * 1_000_000
        self._books: dict[BookKey, L2Book] = {}
        self._by_symbol: dict[str, tuple[L2Book, ...]] = {}
        self._adding = threading.Lock()
        self._in_process: frozenset[VenueId] = frozenset()
        """Venues whose books are fed inside this process (internal venues): exact by construction, never stale."""
        self.unknown_symbol = 0
        """Parts of 35=X messages for a symbol with no book (books are made by snapshots only)."""

    # ----------------------------------------------------------------------------------------------- writer side

    def on_snapshot(self, snap: BookSnapshot) -> Problem | None:
        """Replace the venue's book of the snapshot's symbol (making it if new); ``CROSSED`` if the snapshot is."""
        book = self._books.get((snap.venue, snap.symbol)) or self._add(snap.venue, snap.symbol)
        return book.snapshot(snap, self._clock.now_ns())

    def on_increment(self, inc: BookIncrement) -> list[tuple[VenueId, Symbol, Problem]]:
        """Apply a 35=X to the venue's books, symbol by symbol; the problems found (each book then awaits a
        snapshot)."""
        now = self._clock.now_ns()
        entries = inc.entries
        if _one_symbol(entries):  # most 35=X carry one symbol: its entries go on as they are, with no grouping
            problem = self._update(inc.venue, entries[0].symbol, entries, now)
            return [] if problem is None else [problem]
        problems = []
        for symbol in dict.fromkeys(entry.symbol for entry in entries):  # in the order the message names them
            problem = self._update(inc.venue, symbol, [entry for entry in entries if entry.symbol == symbol], now)
            if problem is not None:
                problems.append(problem)
        return problems

    def _update(
        self, venue: VenueId, symbol: Symbol | None, entries: Sequence[MDEntry], now_ns: int
    ) -> tuple[VenueId, Symbol, Problem] | None:
        book = self._books.get((venue, symbol)) if symbol is not None else None
        if book is None:
            self.unknown_symbol += 1
            return None
        problem = book.update(entries, now_ns)
        return None if problem is None else (venue, book.symbol, problem)

    def reset(self, venue: str) -> None:
        """The venue's market data session dropped: each of its books awaits a new snapshot and is not used."""
        for (book_venue, _), book in self._books.items():
            if book_venue == venue:
                book.await_snapshot()

    def _add(self, venue: VenueId, symbol: Symbol) -> L2Book:
        with self._adding:
            book = self._books.get((venue, symbol))
            if book is None:
                book = L2Book(venue, symbol)
                self._books = {**self._books, (venue, symbol): book}
                self._by_symbol = {**self._by_symbol, symbol: (*self._by_symbol.get(symbol, ()), book)}
            return book

    # ---------------------------------------------------------------------------------------------- watcher side

    def in_process(self, venue: VenueId) -> None:
        """The venue's books are fed inside the gateway's process (an internal venue): a quiet book is not stale."""
        self._in_process = self._in_process | {venue}

    def check_stale(self, now_ns: int) -> list[BookKey]:
        """Mark the live books with no update for ``stale_after_ms``; those that were not stale already."""
        newly: list[BookKey] = []
        for key, book in self._books.items():
            if key[0] in self._in_process:
                continue
            generation = book.generation  # before last_update_ns: the writer writes them the other way round
            if book.live and book.stale_at != generation and now_ns - book.last_update_ns >= self._stale_after_ns:
                book.stale_at = generation
                newly.append(key)
        return newly

    # ----------------------------------------------------------------------------------------------- reader side

    def book(self, venue: str, symbol: str) -> L2Book | None:
        """One venue's book of one symbol, if a snapshot ever made it."""
        return self._books.get((VenueId(venue), Symbol(symbol)))

    def books_of(self, symbol: str) -> tuple[L2Book, ...]:
        """Every venue's book of the symbol (read without a lock, as the registry is replaced, never changed)."""
        return self._by_symbol.get(symbol, ())

    def venues(self, symbol: str) -> list[VenueId]:
        """The venues with a book of the symbol."""
        return [book.venue for book in self._by_symbol.get(symbol, ())]

    def symbols(self) -> list[Symbol]:
        """Every symbol with a book, sorted."""
        return sorted(Symbol(symbol) for symbol in self._by_symbol)

    def stale(self, venue: str, symbol: str) -> bool:
        """The book is live and has had no update for ``stale_after_ms``."""
        book = self.book(venue, symbol)
        return book is not None and book.stale

    def bid_ask(self, symbol: str, *, stale_ok: bool = False) -> tuple[Decimal | None, Decimal | None]:
        """The best bid (highest) and best offer (lowest) over the symbol's usable books."""
        bid, ask, _, _ = self._consolidate(symbol, stale_ok)
        return bid, ask

    def mid(self, symbol: str, *, stale_ok: bool = False) -> tuple[Decimal | None, str]:
        """The consolidated mid and "ok" (or "stale" if a stale book was let in), else ``None`` and why not: "no
        book", "one-sided", "stale" (only stale books), "crossed" (only crossed books, or best bid >= best offer
        across venues)."""
        bid, ask, used_stale, why_none = self._consolidate(symbol, stale_ok)
        if bid is None and ask is None:
            return None, why_none
        if bid is None or ask is None:
            return None, "one-sided"
        if bid >= ask:
            return None, "crossed"
        return (bid + ask) / _TWO, "stale" if used_stale else "ok"

    def last_trade(self, symbol: str) -> Decimal | None:
        """The price of the latest trade (by arrival) any venue published for the symbol."""
        trades = [book.last_trade for book in self._by_symbol.get(symbol, ())]
        latest = max((trade for trade in trades if trade is not None), key=lambda trade: trade[2], default=None)
        return None if latest is None else latest[0]

    def depth(self, symbol: str, n: int = 0, venue: str | None = None, *, stale_ok: bool = False) -> Depth:
        """The top ``n`` levels a side (0: all), best first: of one venue's book, or summed by price over the
        symbol's usable books. An unusable book has no depth."""
        books = self._by_symbol.get(symbol, ()) if venue is None else [self.book(venue, symbol)]
        usable = [book for book in books if book is not None and _usable(book, book.top, stale_ok)]
        if len(usable) == 1:
            return usable[0].levels(_BID, n), usable[0].levels(_OFFER, n)
        # A price in the consolidated top n is in the top n of every book that has it.
        return _aggregate(usable, _BID, n), _aggregate(usable, _OFFER, n)

    def counters(self) -> dict[str, int]:
        """Totals over every book, for monitoring: problems by kind, messages dropped, applied, and book states."""
        books = list(self._books.values())
        totals = {problem.value: sum(book.problems[problem] for book in books) for problem in Problem}
        return totals | {
            "dropped": sum(book.dropped for book in books),
            "unknown_symbol": self.unknown_symbol,
            "snapshots": sum(book.snapshots for book in books),
            "increments": sum(book.increments for book in books),
            "new_on_existing": sum(book.new_on_existing for book in books),
            "books": len(books),
            "live": sum(book.live for book in books),
            "stale": sum(book.stale for book in books),
        }

    def _consolidate(self, symbol: str, stale_ok: bool) -> tuple[Decimal | None, Decimal | None, bool, str]:
        bid: Decimal | None = None
        ask: Decimal | None = None
        used_stale = saw_stale = saw_crossed = False
        for book in self._by_symbol.get(symbol, ()):
            top = book.top  # read once: the bid and offer of one whole message
            if _crossed(top):
                saw_crossed = True
                continue
            if not book.live:
                continue
            if book.stale:
                saw_stale = True
                if not stale_ok:
                    continue
                used_stale = True
            best_bid, best_ask = top
            if best_bid is not None and (bid is None or best_bid[0] > bid):
                bid = best_bid[0]
            if best_ask is not None and (ask is None or best_ask[0] < ask):
                ask = best_ask[0]
        why_none = "stale" if saw_stale else "crossed" if saw_crossed else "no book"
        return bid, ask, used_stale, why_none


def _one_symbol(entries: Sequence[MDEntry]) -> bool:
    # A loop, not set(map(attrgetter(...))): measured twice as fast for 5 entries.
    symbol = entries[0].symbol if entries else None
    for entry in entries:
        if entry.symbol != symbol:
            return False
    return bool(entries)


def _crossed(top: Top) -> bool:
    bid, ask = top
    return bid is not None and ask is not None and bid[0] >= ask[0]


def _usable(book: L2Book, top: Top, stale_ok: bool) -> bool:
    return book.live and not _crossed(top) and (stale_ok or not book.stale)


def _aggregate(books: Iterable[L2Book], side: MDEntryType, n: int) -> list[Level]:
    sizes: dict[Decimal, Decimal] = {}
    for book in books:
        for price, size in book.levels(side, n):
            sizes[price] = sizes.get(price, Decimal(0)) + size
    ordered = sorted(sizes.items(), reverse=side is _BID)
    return ordered[:n] if n else ordered
