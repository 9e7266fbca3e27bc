"""From the venues' market data sessions to the books, and on to whoever follows the books.

``VenueFeeds`` is the ``domain.marketdata.BookFeed`` the FIX side delivers to: it applies each snapshot and refresh to
``MarketBooks`` and tells its listeners (the client feeds) which symbols changed, with the trades that printed.
A book that reports a problem is asked for a snapshot once; until that snapshot arrives its problems are not asked
about again (the FIX side retries a snapshot that does not come, ``MarketDataHandler.overdue``).
"""

from __future__ import annotations

from collections.abc import Callable

from domain.ids import Symbol, VenueId
from domain.marketdata import BookIncrement, BookSnapshot, MDEntry, MDEntryType
from marketdata.books import MarketBooks

Listener = Callable[[Symbol, tuple[MDEntry, ...]], None]
"""Called after a symbol's books changed, with the trades (MDEntryType 2) the change printed."""

_NO_TRADES: tuple[MDEntry, ...] = ()


class VenueFeeds:
    """Apply venue market data to the books; ask for a snapshot once per broken book; notify listeners."""

    def __init__(self, books: MarketBooks) -> None:
        self.books = books
        self._listeners: list[Listener] = []
        self._awaiting: set[tuple[VenueId, Symbol]] = set()
        """Books that asked for a snapshot and have not had it yet."""

    def listen(self, listener: Listener) -> None:
        """Call ``listener`` after every change of a symbol's books."""
        self._listeners.append(listener)

    def on_snapshot(self, snapshot: BookSnapshot) -> bool:
        """Replace the book; True when the new book itself is unusable (crossed) and another snapshot is needed."""
        self._awaiting.discard((snapshot.venue, snapshot.symbol))
        problem = self.books.on_snapshot(snapshot)
        self._notify(snapshot.symbol, _NO_TRADES)
        if problem is None:
            return False
        self._awaiting.add((snapshot.venue, snapshot.symbol))
        return True

    def on_increment(self, increment: BookIncrement) -> list[Symbol]:
        """Apply a refresh; return the symbols whose book must be rebuilt from a snapshot (asked once each)."""
        problems = self.books.on_increment(increment)
        ask: list[Symbol] = []
        for venue, symbol, _ in problems:
            if (venue, symbol) not in self._awaiting:
                self._awaiting.add((venue, symbol))
                ask.append(symbol)
        if self._listeners:
            self._changed(increment.entries)
        return ask

    def reset(self, venue: VenueId) -> None:
        """The venue's session dropped or logged on again: its books wait for snapshots."""
        self.books.reset(venue)
        self._awaiting = {key for key in self._awaiting if key[0] != venue}
        for symbol in self.books.symbols():
            self._notify(symbol, _NO_TRADES)

    def _changed(self, entries: tuple[MDEntry, ...]) -> None:
        symbol: Symbol | None = None
        trades: list[MDEntry] = []
        seen: set[Symbol] = set()
        for entry in entries:
            if entry.symbol is not None and entry.symbol != symbol:
                symbol = entry.symbol
                seen.add(symbol)
            if entry.entry_type is MDEntryType.TRADE:
                trades.append(entry)
        for each in seen:
            self._notify(each, tuple(t for t in trades if t.symbol == each) if trades else _NO_TRADES)

    def _notify(self, symbol: Symbol, trades: tuple[MDEntry, ...]) -> None:
        for listener in self._listeners:
            listener(symbol, trades)
