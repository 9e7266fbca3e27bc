"""One venue's L2 book of one symbol, kept from MarketDataSnapshotFullRefresh (35=W) and
MarketDataIncrementalRefresh (35=X) messages.

Theory of operation
-------------------
A book has one writer (its venue's market data session) and any number of readers (the order path, displays).

*Live.* A book is live once a snapshot has replaced it, and stops being live when a message shows that it no longer
mirrors the venue (a ``Problem``) or its session drops (``await_snapshot``). A book that is not live ignores
increments (counting them in ``dropped``) until the next snapshot: a book is rebuilt from a snapshot, never from
increments that may straddle a hole.

*One message at a time.* ``update`` applies the entries one 35=X carries for this symbol, then judges the result.
A venue sends a message's deletes before its news, so the book may be crossed between two entries of one message;
only the state after the whole message counts. Problems:

- ``GAP``: an entry's RptSeq (83) is not the one after the last (a snapshot's RptSeq says where to start; a snapshot
  without one, or an entry without one, is not checked);
- ``MISSING_LEVEL``: a change or delete of a price level the book does not hold;
- ``CROSSED``: best bid >= best offer after the message (crossed or locked). One venue's own book can never be
  crossed, so a snapshot that is crossed is a problem too.

NEW on a level the book already holds replaces its size and is counted in ``new_on_existing``, not treated as a
problem: the venue's view after the entry is exactly that size, and a missed delete (the only way to get there) is
what RptSeq exists to catch. A NEW or CHANGE to size 0 removes the level (a level of nothing is no level).

*Data structure.* Per side a dict price -> size, the side's prices in a sorted list (ascending on both sides: the
best bid is the last, the best offer the first) and their dict keys in a list in the same order. A size change
touches only the dict; a new or deleted level costs one ``bisect`` and a C ``memmove`` in each list; nothing is
re-sorted. The dict is keyed by the price's canonical text (``price_key``), not by the ``Decimal``: each entry brings
a new ``Decimal``, and hashing one costs about 1 us, several times its ``str`` (``risk.throttle`` found the same):
text keys took ``L2Book.update`` from about 500,000 to 750,000 level updates/s in ``bench/md_bench.py --part apply``
(medians of 11 interleaved rounds each).

*What readers see.* ``top`` (best bid and best offer as one tuple) and ``last_trade`` are replaced by one attribute
assignment each, after the message, so a reader on another thread sees one message's result or the next one's, never
a half-applied message. Depth (``levels``) is read under a sequence lock: ``_version`` is odd while a message is being
applied, and a reader that saw it odd, or changed, reads again.
"""

from __future__ import annotations

import time
from bisect import bisect_left
from collections.abc import Iterable
from decimal import Decimal
from enum import StrEnum

from domain.ids import Symbol, VenueId
from domain.marketdata import BookSnapshot, MDEntry, MDEntryType, MDUpdateAction

Level = tuple[Decimal, Decimal]
"""A price level: (MDEntryPx (270), MDEntrySize (271))."""
Top = tuple[Level | None, Level | None]
"""Best bid and best offer."""
Trade = tuple[Decimal, Decimal, int]
"""A trade: price, size and when it arrived (ns)."""

_BID = MDEntryType.BID
_TRADE = MDEntryType.TRADE
_NEW = MDUpdateAction.NEW
_CHANGE = MDUpdateAction.CHANGE
_DELETE = MDUpdateAction.DELETE
_Side = tuple[dict[str, Decimal], list[Decimal], list[str]]
"""A side's sizes by price key, its prices ascending, and their keys in the same order."""
_NO_TOP: Top = (None, None)
_ZERO = Decimal(0)


class Problem(StrEnum):
    """Why a book stopped mirroring its venue and awaits a snapshot."""

    GAP = "gap"
    MISSING_LEVEL = "missing_level"
    CROSSED = "crossed"


class L2Book:
    """The price levels and last trade of one symbol at one venue."""

    def __init__(self, venue: VenueId, symbol: Symbol) -> None:
        self.venue = venue
        self.symbol = symbol
        self.live = False
        """Built from a snapshot and not awaiting one: only a live book takes increments."""
        self.top: Top = _NO_TOP
        """Best bid and best offer after the last whole message (one tuple: readers never see half of one)."""
        self.last_trade: Trade | None = None
        self.last_update_ns = 0
        """When the last snapshot or increment was applied."""
        self.generation = 0
        """Counts snapshots and increments applied (written after ``last_update_ns``)."""
        self.stale_at = -1
        """The generation the staleness watcher judged stale (written by the watcher only: the book makes itself
        fresh by moving to the next generation, so the two threads never write one attribute)."""
        self.problems: dict[Problem, int] = dict.fromkeys(Problem, 0)
        self.snapshots = 0
        self.increments = 0
        """Messages (this symbol's part of a 35=X) applied."""
        self.dropped = 0
        """Messages ignored because the book was awaiting a snapshot."""
        self.new_on_existing = 0
        """NEW entries for a level the book held (size replaced)."""
        self._version = 0
        self._expected: int | None = None
        self._bid_side: _Side = ({}, [], [])
        self._ask_side: _Side = ({}, [], [])

    # ----------------------------------------------------------------------------------------------- writer side

    def snapshot(self, snap: BookSnapshot, ts_ns: int | None = None) -> Problem | None:
        """Replace the whole book (levels, last trade, RptSeq) with a 35=W's, and make it live.

        Entries at one price are summed. Returns ``CROSSED`` (counted; the book then awaits another snapshot) when
        the snapshot's best bid is at or above its best offer.
        """
        ts = snap.ts_ns if ts_ns is None else ts_ns
        bids: dict[str, Level] = {}
        asks: dict[str, Level] = {}
        last: Trade | None = None
        for entry in snap.entries:
            if entry.entry_type is _TRADE:
                last = (entry.price, entry.size, ts)
            elif entry.size > 0:
                side, key = bids if entry.entry_type is _BID else asks, price_key(entry.price)
                side[key] = (entry.price, side.get(key, (entry.price, _ZERO))[1] + entry.size)
        self._version += 1
        self._bid_side, self._ask_side = _side(bids), _side(asks)
        self._expected = None if snap.rpt_seq is None else snap.rpt_seq + 1
        self.snapshots += 1
        return self._finish(last, ts)

    def update(self, entries: Iterable[MDEntry], ts_ns: int) -> Problem | None:
        """Apply the entries one 35=X carries for this symbol, in order, and judge the book after all of them.

        A book that is not live ignores them (counted in ``dropped``). A problem is counted and returned, and the
        book awaits a snapshot; entries after the one that showed it are not applied.
        """
        if not self.live:
            self.dropped += 1
            return None
        self._version += 1
        expected = self._expected
        bid_side, ask_side = self._bid_side, self._ask_side
        last = self.last_trade
        for entry in entries:
            seq = entry.rpt_seq
            if expected is not None and seq is not None:
                if seq != expected:
                    return self._fail(Problem.GAP)
                expected += 1
            kind = entry.entry_type
            if kind is _TRADE:
                last = (entry.price, entry.size, ts_ns)
                continue
            # A conditional, not a dict keyed by the kind: an Enum member hashes in Python code.
            sizes, prices, keys = bid_side if kind is _BID else ask_side
            price, size, action = entry.price, entry.size, entry.action
            key = str(price)  # price_key, inlined: most prices' text is the canonical one already
            if key[-1] == "0" or "E" in key:
                key = _canonical(key, price)
            if action is _CHANGE:
                if key not in sizes:
                    return self._fail(Problem.MISSING_LEVEL)
            elif action is _NEW:
                if key in sizes:
                    self.new_on_existing += 1
                elif size:
                    index = bisect_left(prices, price)
                    prices.insert(index, price)
                    keys.insert(index, key)
            elif action is not _DELETE:
                self._fail(Problem.MISSING_LEVEL)
                raise ValueError(f"MDUpdateAction (279) missing from an incremental entry: {entry}")
            if size and action is not _DELETE:
                sizes[key] = size
            elif sizes.pop(key, None) is not None:
                index = bisect_left(prices, price)
                del prices[index], keys[index]
            elif action is _DELETE:
                return self._fail(Problem.MISSING_LEVEL)
        self._expected = expected
        self.increments += 1
        return self._finish(last, ts_ns)

    def await_snapshot(self) -> None:
        """Stop taking increments until the next snapshot (the session dropped, or the caller found a problem)."""
        self.live = False

    def _finish(self, last: Trade | None, ts_ns: int) -> Problem | None:
        bid_sizes, bid_prices, bid_keys = self._bid_side
        ask_sizes, ask_prices, ask_keys = self._ask_side
        bid = (bid_prices[-1], bid_sizes[bid_keys[-1]]) if bid_prices else None
        ask = (ask_prices[0], ask_sizes[ask_keys[0]]) if ask_prices else None
        crossed = bid is not None and ask is not None and bid[0] >= ask[0]
        # Not live before the crossed top is published: a reader never takes a crossed top for a live one.
        self.live = not crossed
        self.top = (bid, ask)
        self.last_trade = last
        self.last_update_ns = ts_ns
        self.generation += 1
        self._version += 1
        if crossed:
            self.problems[Problem.CROSSED] += 1
            return Problem.CROSSED
        return None

    def _fail(self, problem: Problem) -> Problem:
        # The levels are now half a message: ``top`` keeps the last whole message's, and the book is not live.
        self.live = False
        self._version += 1
        self.problems[problem] += 1
        return problem

    # ----------------------------------------------------------------------------------------------- reader side

    def best_bid(self) -> Level | None:
        """The best bid after the last whole message."""
        return self.top[0]

    def best_ask(self) -> Level | None:
        """The best offer after the last whole message."""
        return self.top[1]

    @property
    def stale(self) -> bool:
        """Live, and judged stale by the watcher with no update since."""
        return self.live and self.stale_at == self.generation

    @property
    def crossed(self) -> bool:
        """Best bid at or above best offer (crossed or locked)."""
        bid, ask = self.top
        return bid is not None and ask is not None and bid[0] >= ask[0]

    def levels(self, side: MDEntryType, n: int = 0) -> list[Level]:
        """The top ``n`` levels of a side (0: all), best first, as of one whole message."""
        while True:
            version = self._version
            if not version & 1:
                try:
                    found = self._read_levels(side, n)
                except (KeyError, IndexError, ValueError):  # the writer changed the side under us: read again
                    found = None
                if found is not None and self._version == version:
                    return found
            _let_writer_run()

    def _read_levels(self, side: MDEntryType, n: int) -> list[Level]:
        sizes, prices, keys = self._bid_side if side is _BID else self._ask_side
        pairs = list(zip(prices, keys, strict=True))
        if side is _BID:
            pairs.reverse()
        if n:
            del pairs[n:]
        return [(price, sizes[key]) for price, key in pairs]


def price_key(price: Decimal) -> str:
    """The text of a price, the same for equal prices (100, 100.0 and 1E+2 are one key)."""
    key = str(price)
    return _canonical(key, price) if key[-1] == "0" or "E" in key else key


def _canonical(text: str, price: Decimal) -> str:
    if "E" in text:
        text = format(price, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _side(levels: dict[str, Level]) -> _Side:
    ordered = sorted(levels.items(), key=lambda item: item[1][0])
    return {key: size for key, (_, size) in ordered}, [price for _, (price, _) in ordered], [key for key, _ in ordered]


def _let_writer_run() -> None:
    time.sleep(0)  # releases the GIL, so a reader spins no longer than the writer's message takes
