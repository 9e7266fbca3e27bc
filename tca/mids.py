"""The mid series for markouts (issue 18): the consolidated mid of every symbol, coalesced to a few rows a second.

Theory of operation. The market data thread calls ``on_book_change`` on every change of a symbol's books: it only
notes the symbol and the time (under a lock held for a dict store), never computes on that thread. Every sample
period the recorder's thread calls ``sample``: for each symbol whose books changed it reads the consolidated mid
(and so for the configured symbols, whose first mid may come without a change seen here) and, if it differs
from the last row written, makes a row stamped with the time of the symbol's last change (the
mid has held since then, so the row's time is exact to the change, not to the sampling). Intermediate mids within
one period are dropped: at most one row per symbol per period.

A row says "the mid was this from here on". So that a markout's horizon can be told covered from not yet, a mid
that has not changed gets a row again every heartbeat (stamped with the sampling time); a symbol without a usable
mid (no book, one-sided, crossed, stale) gets none, and the series stops covering it until it has one again.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import msgspec

from domain.clock import Clock
from domain.marketdata import MDEntry, Quotes


class MidRow(msgspec.Struct, frozen=True):
    """One row of the ``mids`` table."""

    symbol: str
    ts_ns: int
    mid: Decimal

    def as_row(self) -> dict[str, Any]:
        """The row as the book's writer takes it."""
        return {"symbol": self.symbol, "ts_ns": self.ts_ns, "mid": self.mid}


class MidSampler:
    """Coalesce the consolidated mids into rows: at most one per symbol per ``sample``, and one per heartbeat."""

    def __init__(self, quotes: Quotes, clock: Clock, heartbeat_ns: int, symbols: Iterable[str] = ()) -> None:
        """``symbols``: looked at in every sample even before their books change (the instruments)."""
        self._quotes = quotes
        self._symbols = frozenset(symbols)
        self._clock = clock
        self._heartbeat_ns = heartbeat_ns
        self._lock = threading.Lock()
        self._changed: dict[str, int] = {}
        """Symbols whose books changed since the last sample, and when they last did."""
        self._written: dict[str, MidRow] = {}
        """The last row made per symbol that has a usable mid."""

    def on_book_change(self, symbol: str, trades: tuple[MDEntry, ...] = ()) -> None:
        """A symbol's books changed (the market data thread): note when, nothing more."""
        now = self._clock.now_ns()
        with self._lock:
            self._changed[symbol] = now

    def sample(self, now_ns: int) -> list[MidRow]:
        """The rows due now: a changed mid (stamped with its last change), or an unchanged one whose heartbeat is
        due (stamped ``now_ns``)."""
        with self._lock:
            changed, self._changed = self._changed, {}
        rows: list[MidRow] = []
        for symbol in sorted(changed.keys() | self._written.keys() | self._symbols):
            mid, _ = self._quotes.mid(symbol)
            last = self._written.get(symbol)
            if mid is None:
                self._written.pop(symbol, None)  # no row: the series stops covering it until it has a mid again
                continue
            if last is not None and mid == last.mid:
                if now_ns - last.ts_ns < self._heartbeat_ns:
                    continue
                ts = now_ns
            else:
                ts = changed.get(symbol, now_ns)
            if last is not None and ts <= last.ts_ns:
                ts = last.ts_ns + 1  # one row per symbol and ns (the table's key), in order
            row = MidRow(symbol, ts, mid)
            self._written[symbol] = row
            rows.append(row)
        return rows
