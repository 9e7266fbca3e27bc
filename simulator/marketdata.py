"""The venue simulator's market data: its books over FIX, as snapshots (35=W) and increments (35=X).

Theory of operation. Each subscription (a session's MarketDataRequest (35=V) with 263=1, known by its MDReqID (262))
keeps, per symbol, the *view* it was last sent: the price levels of the sides it asked for, to its depth, and the
RptSeq (83) of the last entry it was sent. The view starts from the book when the subscription is made (a 35=W at
RptSeq 0: the next entry is 1). After every command the simulator runs, ``publish`` drains the matching engine's
``BookChanges`` and brings each view up to date with the book: for a full-depth view each changed level becomes a
new, change or delete; for a depth-N view the top N levels are read again from the book and compared with the
view, so a level that enters or leaves the top N is a new or a delete. Trades follow as new entries of type 2.
Each entry takes the next RptSeq of its view; one 35=X per subscription carries all its entries of the command:
trades first, then deletes, changes and news, so that a receiver applying them in order never sees a level twice or
a book crossed by its own update.

Locking. Everything here runs under the simulator's lock, the one its orders run under, so that what the book
holds and what is published agree after every order and messages leave in the order the book changed. Except
``session_ended``: quickfix calls the logout callback holding the session's own mutex, and a thread that holds our
lock while it sends to that session waits for that mutex, so taking our lock there could deadlock. It only queues
the session; the next call under the lock drops its subscriptions, before it does anything else.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from domain.clock import Clock
from domain.enums import Side
from domain.ids import SessionKey, Symbol, VenueId
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
from matching.book import MatchingEngine
from matching.changes import BookChanges, LevelChange, Print

log = logging.getLogger("simulator.marketdata")

MarketDataMessage = BookSnapshot | BookIncrement | MarketDataReject
MarketDataSink = Callable[[SessionKey, MarketDataMessage], None]
"""Where the publisher's messages go: (session, message); the simulator encodes and sends them."""

SIMULATOR = VenueId("VENUE")
"""The venue named in what the publisher makes (it never goes on the wire)."""
Levels = dict[Decimal, Decimal]
_SIDES = ((MDEntryType.BID, "bids"), (MDEntryType.OFFER, "asks"))


@dataclass(slots=True)
class _View:
    """What one subscription was last sent of one symbol."""

    levels: dict[MDEntryType, Levels]
    """Per side subscribed to: price -> total size."""
    rpt_seq: int = 0


@dataclass(slots=True)
class _Subscription:
    session: SessionKey
    md_req_id: str
    depth: int
    sides: tuple[MDEntryType, ...]
    trades: bool
    views: dict[str, _View] = field(default_factory=dict)


class MarketDataPublisher:
    """Answer MarketDataRequests (35=V) and publish every change of the matching engine's books to subscribers."""

    def __init__(
        self,
        engine: MatchingEngine,
        changes: BookChanges,
        symbols: Iterable[str],
        sink: MarketDataSink,
        clock: Clock,
        venue: VenueId = SIMULATOR,
    ) -> None:
        """``changes``: the listener ``engine`` was built with; what it holds now (seeding) is already in the books."""
        self._engine = engine
        self._changes = changes
        self._symbols = frozenset(symbols)
        self._sink = sink
        self._clock = clock
        self._venue = venue
        self._subscriptions: dict[tuple[SessionKey, str], _Subscription] = {}
        self._last_trade: dict[str, Print] = {}
        self._ended: deque[SessionKey] = deque()
        changes.drain()

    # -- requests --------------------------------------------------------------------------------------------------

    def request(self, request: MarketDataRequest) -> None:
        """Serve a MarketDataRequest (35=V): snapshot (263=0), subscribe (263=1) or unsubscribe (263=2); a request
        that cannot be served is answered with a MarketDataRequestReject (35=Y)."""
        self._drop_ended()
        key = (request.session, request.md_req_id)
        if request.subscription is SubscriptionRequestType.UNSUBSCRIBE:
            if self._subscriptions.pop(key, None) is None:
                log.info("%s: unsubscribe from %r, which is not active: nothing to end", *key)
            return
        problem = self._problem(request)
        if problem is not None:
            reason, text = problem
            self._sink(
                request.session, MarketDataReject(session=request.session, md_req_id=key[1], reason=reason, text=text)
            )
            return
        subscription = _Subscription(
            request.session,
            request.md_req_id,
            request.depth,
            tuple(t for t, _ in _SIDES if t in request.entry_types),
            MDEntryType.TRADE in request.entry_types,
        )
        for symbol in dict.fromkeys(request.symbols):  # a symbol named twice is served once
            view = self._view_from_book(subscription, symbol)
            self._sink(request.session, self._snapshot(subscription, symbol, view))
            subscription.views[symbol] = view
        if request.subscription is SubscriptionRequestType.SUBSCRIBE:
            self._subscriptions[key] = subscription

    def _problem(self, request: MarketDataRequest) -> tuple[MDReqRejReason, str] | None:
        if (request.session, request.md_req_id) in self._subscriptions:
            text = f"Duplicate MDReqID {request.md_req_id!r}: a subscription with this id is active on the session"
            return MDReqRejReason.DUPLICATE_MD_REQ_ID, text
        unknown = [s for s in request.symbols if s not in self._symbols]
        if unknown:
            return MDReqRejReason.UNKNOWN_SYMBOL, f"Unknown symbol {unknown[0]!r} at this venue"
        return None

    def session_ended(self, session: SessionKey) -> None:
        """Drop the session's subscriptions (it logged out or dropped); safe from any thread, takes no lock."""
        self._ended.append(session)

    def _drop_ended(self) -> None:
        while self._ended:
            session = self._ended.popleft()
            for key in [k for k in self._subscriptions if k[0] == session]:
                del self._subscriptions[key]

    # -- publishing ------------------------------------------------------------------------------------------------

    def publish(self) -> None:
        """Send every subscriber the 35=X that brings its views up to date with the books (after each command)."""
        self._drop_ended()
        changes = self._changes.drain()
        for trade in changes.trades:
            self._last_trade[trade.symbol] = trade
        if not changes or not self._subscriptions:
            return
        by_side: dict[tuple[str, Side], list[LevelChange]] = {}
        for change in changes.levels:
            by_side.setdefault((change.symbol, change.side), []).append(change)
        touched = changes.symbols()
        for subscription in self._subscriptions.values():
            entries = self._increment(subscription, touched, changes.trades, by_side)
            if entries:
                increment = BookIncrement(
                    venue=self._venue,
                    md_req_id=subscription.md_req_id,
                    entries=tuple(entries),
                    ts_ns=self._clock.now_ns(),
                )
                self._sink(subscription.session, increment)

    def refresh(self) -> None:
        """Send every subscriber a fresh 35=W of each symbol it follows, at its current RptSeq, so that a quiet
        book does not look stale."""
        self._drop_ended()
        for subscription in self._subscriptions.values():
            for symbol, view in subscription.views.items():
                self._sink(subscription.session, self._snapshot(subscription, symbol, view))

    def _increment(
        self,
        subscription: _Subscription,
        touched: set[str],
        trades: list[Print],
        by_side: dict[tuple[str, Side], list[LevelChange]],
    ) -> list[MDEntry]:
        entries: list[MDEntry] = []
        for symbol, view in subscription.views.items():  # in the order the request named them
            if symbol not in touched:
                continue
            updates: list[_Update] = []
            for entry_type in subscription.sides:
                changed = by_side.get((symbol, _BOOK_SIDE[entry_type]))
                if changed is None:
                    continue
                levels = view.levels[entry_type]
                if subscription.depth:  # levels may enter or leave the top N: compare with the book's top N
                    updates += _diff(entry_type, levels, self._levels(symbol, entry_type, subscription.depth))
                else:
                    updates += _apply(entry_type, levels, changed)
            updates.sort(key=lambda u: _ACTION_ORDER[u[0]])
            if subscription.trades:
                for trade in trades:
                    if trade.symbol == symbol:
                        view.rpt_seq += 1
                        entries.append(_entry(_NEW, MDEntryType.TRADE, symbol, trade.price, trade.qty, view.rpt_seq))
            for action, entry_type, price, size in updates:
                view.rpt_seq += 1
                entries.append(_entry(action, entry_type, symbol, price, size, view.rpt_seq))
        return entries

    # -- views and snapshots ---------------------------------------------------------------------------------------

    def _levels(self, symbol: str, entry_type: MDEntryType, depth: int) -> Levels:
        book = self._engine.book(symbol)
        side = book.bids if entry_type is MDEntryType.BID else book.asks
        return dict(side.depth(depth))

    def _view_from_book(self, subscription: _Subscription, symbol: str) -> _View:
        return _View({t: self._levels(symbol, t, subscription.depth) for t in subscription.sides})

    def _snapshot(self, subscription: _Subscription, symbol: str, view: _View) -> BookSnapshot:
        entries = [
            MDEntry(entry_type=entry_type, price=price, size=size)
            for entry_type in subscription.sides
            for price, size in sorted(view.levels[entry_type].items(), reverse=entry_type is MDEntryType.BID)
        ]
        last = self._last_trade.get(symbol)
        if subscription.trades and last is not None:
            entries.append(MDEntry(entry_type=MDEntryType.TRADE, price=last.price, size=last.qty))
        return BookSnapshot(
            venue=self._venue,
            md_req_id=subscription.md_req_id,
            symbol=Symbol(symbol),
            entries=tuple(entries),
            rpt_seq=view.rpt_seq,
            ts_ns=self._clock.now_ns(),
        )

    def subscriptions(self) -> list[tuple[SessionKey, str]]:
        """Every active subscription as (session, MDReqID), for tests and tools (read under the simulator's lock,
        or when nothing runs)."""
        return [k for k in self._subscriptions if k[0] not in self._ended]

    def rpt_seqs(self, session: SessionKey, md_req_id: str) -> dict[str, int]:
        """The RptSeq (83) each symbol of an active subscription has reached, for tests and tools (as
        ``subscriptions``)."""
        subscription = self._subscriptions.get((session, md_req_id))
        return {s: v.rpt_seq for s, v in subscription.views.items()} if subscription else {}


_Update = tuple[MDUpdateAction, MDEntryType, Decimal, Decimal]
_NEW, _CHANGE, _DELETE = MDUpdateAction.NEW, MDUpdateAction.CHANGE, MDUpdateAction.DELETE
_ACTION_ORDER = {_DELETE: 0, _CHANGE: 1, _NEW: 2}
_BOOK_SIDE = {MDEntryType.BID: Side.BUY, MDEntryType.OFFER: Side.SELL}
_ZERO = Decimal(0)


def _apply(entry_type: MDEntryType, view: Levels, changed: list[LevelChange]) -> list[_Update]:
    """The updates a full-depth view takes from the levels that changed (and apply them to it)."""
    updates: list[_Update] = []
    for change in changed:
        old = view.get(change.price)
        if not change.size:
            if old is not None:
                del view[change.price]
                updates.append((_DELETE, entry_type, change.price, _ZERO))
        elif old != change.size:
            view[change.price] = change.size
            updates.append((_NEW if old is None else _CHANGE, entry_type, change.price, change.size))
    return updates


def _diff(entry_type: MDEntryType, view: Levels, book: Levels) -> list[_Update]:
    """The updates that turn a depth-N ``view`` into the book's top N (and make it so)."""
    updates: list[_Update] = [(_DELETE, entry_type, p, _ZERO) for p in view if p not in book]
    for price, size in book.items():
        old = view.get(price)
        if old != size:
            updates.append((_NEW if old is None else _CHANGE, entry_type, price, size))
    view.clear()
    view.update(book)
    return updates


def _entry(
    action: MDUpdateAction, entry_type: MDEntryType, symbol: str, price: Decimal, size: Decimal, rpt_seq: int
) -> MDEntry:
    return MDEntry(entry_type=entry_type, price=price, size=size, action=action, symbol=Symbol(symbol), rpt_seq=rpt_seq)
