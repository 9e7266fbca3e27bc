"""Clients' market data subscriptions: the consolidated book (all venues' usable books, levels of the same price
summed), as a FIX client expects it — 35=W, then 35=X on every change — over the client's own session.

Theory of operation: ``request`` checks a MarketDataRequest (35=V) and answers what cannot be served with its
MarketDataRequestReject (35=Y). A subscription remembers the levels it last sent per symbol (its view: the top
``depth`` levels a side, 0 = all); when a symbol's books change, a publisher thread computes each view again and sends
the difference as one 35=X, deletes first (so the client's book is never crossed by a level that moved), with RptSeq
(83) numbering each subscription's updates per symbol. Changes that arrive while the publisher is busy are conflated:
a client gets the latest levels, never a backlog (trades are not conflated: each one is sent). The books' writer (the
venues' market data sessions) never waits on a client's socket.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from decimal import Decimal

from domain.clock import Clock
from domain.ids import SessionKey, Symbol, VenueId, client_comp_id
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
from marketdata.books import MarketBooks

log = logging.getLogger("fixgw.marketdata")

Send = Callable[[SessionKey, BookSnapshot | BookIncrement], None]
Levels = dict[Decimal, Decimal]
CONSOLIDATED = VenueId("CONSOLIDATED")
"""The venue a consolidated snapshot or refresh names (it is not sent: the client sees FIXGW)."""
_BID, _OFFER, _TRADE = MDEntryType.BID, MDEntryType.OFFER, MDEntryType.TRADE


class _View:
    """What one subscription last sent of one symbol."""

    __slots__ = ("asks", "bids", "rpt_seq")

    def __init__(self) -> None:
        self.bids: Levels = {}
        self.asks: Levels = {}
        self.rpt_seq = 0


class _Subscription:
    __slots__ = ("depth", "md_req_id", "session", "types", "views")

    def __init__(self, request: MarketDataRequest) -> None:
        self.session = request.session
        self.md_req_id = request.md_req_id
        self.depth = request.depth
        self.types = frozenset(request.entry_types)
        self.views = {symbol: _View() for symbol in request.symbols}


class ClientFeeds:
    """Serve clients' 35=V from the consolidated books (``domain.marketdata.MarketDataDesk``)."""

    def __init__(
        self,
        books: MarketBooks,
        symbols: frozenset[str],
        entitlements: Mapping[str, frozenset[str]],
        send: Send,
        clock: Clock,
    ) -> None:
        """``symbols``: the instruments (another gets 281=0); ``entitlements``: the symbols each client CompID may
        see (a symbol outside them gets 281=3)."""
        self._books = books
        self._symbols = symbols
        self._entitlements = entitlements
        self._send = send
        self._clock = clock
        self._lock = threading.Lock()
        self._subscriptions: dict[tuple[SessionKey, str], _Subscription] = {}
        self._by_symbol: dict[Symbol, list[_Subscription]] = {}
        self._dirty: set[Symbol] = set()
        self._trades: list[MDEntry] = []
        self._wake = threading.Condition(self._lock)
        self._running = False
        self._thread: threading.Thread | None = None
        self.sent = 0
        self.conflated = 0

    # -- MarketDataDesk ------------------------------------------------------------------------------

    def request(self, request: MarketDataRequest) -> MarketDataReject | None:
        """Serve or refuse a client's MarketDataRequest."""
        if request.subscription is SubscriptionRequestType.UNSUBSCRIBE:
            with self._lock:
                gone = self._subscriptions.pop((request.session, request.md_req_id), None)
                if gone is not None:
                    self._forget(gone)
            return None
        refusal = self._refusal(request)
        if refusal is not None:
            reason, text = refusal
            return MarketDataReject(session=request.session, md_req_id=request.md_req_id, reason=reason, text=text)
        subscription = _Subscription(request)
        with self._lock:
            if request.subscription is SubscriptionRequestType.SUBSCRIBE:
                self._subscriptions[request.session, request.md_req_id] = subscription
                for symbol in request.symbols:
                    self._by_symbol.setdefault(symbol, []).append(subscription)
            # The snapshots go out under the lock, so no refresh of this subscription can overtake them.
            for symbol in request.symbols:
                self._deliver(subscription.session, self._snapshot(subscription, symbol))
        return None

    def session_down(self, session: SessionKey) -> None:
        """End every subscription of a session that logged out."""
        with self._lock:
            for key in [k for k in self._subscriptions if k[0] == session]:
                self._forget(self._subscriptions.pop(key))

    def subscriptions(self) -> int:
        """How many subscriptions are in force."""
        return len(self._subscriptions)

    # -- what the books tell us ------------------------------------------------------------------------

    def on_change(self, symbol: Symbol, trades: tuple[MDEntry, ...]) -> None:
        """A symbol's books changed (``VenueFeeds`` listener): the publisher sends the differences."""
        if symbol not in self._by_symbol:
            return
        with self._lock:
            if symbol in self._dirty:
                self.conflated += 1
            self._dirty.add(symbol)
            if trades:
                self._trades.extend(trades)
            self._wake.notify()

    def start(self) -> None:
        """Start the publisher thread."""
        self._running = True
        self._thread = threading.Thread(target=self._run, name="md-clients", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the publisher thread."""
        with self._lock:
            self._running = False
            self._wake.notify()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def publish(self) -> None:
        """Send every pending difference now (the publisher's loop body; tests call it directly)."""
        outgoing: list[tuple[SessionKey, BookIncrement]] = []
        with self._lock:
            dirty, self._dirty = self._dirty, set()
            trades, self._trades = self._trades, []
            for symbol in dirty:
                symbol_trades = [t for t in trades if t.symbol == symbol]
                for subscription in self._by_symbol.get(symbol, ()):
                    increment = self._changes(subscription, symbol, symbol_trades)
                    if increment is not None:
                        outgoing.append((subscription.session, increment))
        # Sent outside the lock: the books' writer, which takes it to mark a symbol dirty, never waits on a socket.
        # Only this thread sends refreshes, so they leave in the order they were computed.
        for session, increment in outgoing:
            self._deliver(session, increment)

    def _run(self) -> None:
        while True:
            with self._lock:
                self._wake.wait_for(lambda: self._dirty or not self._running)
                if not self._running:
                    return
            try:
                self.publish()
            except Exception:  # a client's failure must not stop everyone's feed
                log.exception("market data publisher failed")

    # -- under the lock --------------------------------------------------------------------------------

    def _refusal(self, request: MarketDataRequest) -> tuple[MDReqRejReason, str] | None:
        # SubscriptionRequestType, MarketDepth and MDEntryType were judged by the codec (decode_market_data_request
        # refuses what is not served with its 35=Y): what is left is this desk's, ids and symbols.
        if (request.session, request.md_req_id) in self._subscriptions:
            return MDReqRejReason.DUPLICATE_MD_REQ_ID, f"MDReqID(262) {request.md_req_id} is already subscribed"
        known = self._symbols
        allowed = self._entitlements.get(client_comp_id(request.session), frozenset())
        for symbol in request.symbols:
            if symbol not in known:
                return MDReqRejReason.UNKNOWN_SYMBOL, f"unknown symbol {symbol}"
            if symbol not in allowed:
                return MDReqRejReason.INSUFFICIENT_PERMISSIONS, f"not entitled to market data for {symbol}"
        return None

    def _forget(self, subscription: _Subscription) -> None:
        for symbol in subscription.views:
            listed = self._by_symbol.get(symbol)
            if listed is not None and subscription in listed:
                listed.remove(subscription)
                if not listed:
                    del self._by_symbol[symbol]

    def _levels(self, subscription: _Subscription, symbol: Symbol) -> tuple[Levels, Levels]:
        bids, asks = self._books.depth(symbol, subscription.depth)
        return (
            dict(bids) if _BID in subscription.types else {},
            dict(asks) if _OFFER in subscription.types else {},
        )

    def _deliver(self, session: SessionKey, message: BookSnapshot | BookIncrement) -> None:
        self._send(session, message)
        self.sent += 1

    def _snapshot(self, subscription: _Subscription, symbol: Symbol) -> BookSnapshot:
        view = subscription.views[symbol]
        view.bids, view.asks = self._levels(subscription, symbol)
        entries = [MDEntry(entry_type=_BID, price=p, size=s) for p, s in view.bids.items()]
        entries += [MDEntry(entry_type=_OFFER, price=p, size=s) for p, s in view.asks.items()]
        last = self._last_trade(symbol) if _TRADE in subscription.types else None
        if last is not None:
            entries.append(last)
        return BookSnapshot(
            venue=CONSOLIDATED,
            md_req_id=subscription.md_req_id,
            symbol=symbol,
            entries=tuple(entries),
            rpt_seq=view.rpt_seq,
            ts_ns=self._clock.now_ns(),
        )

    def _last_trade(self, symbol: Symbol) -> MDEntry | None:
        trades = [b.last_trade for v in self._books.venues(symbol) if (b := self._books.book(v, symbol)) is not None]
        latest = max((t for t in trades if t is not None), key=lambda t: t[2], default=None)
        return None if latest is None else MDEntry(entry_type=_TRADE, price=latest[0], size=latest[1])

    def _changes(self, subscription: _Subscription, symbol: Symbol, trades: list[MDEntry]) -> BookIncrement | None:
        view = subscription.views[symbol]
        bids, asks = self._levels(subscription, symbol)
        deletes: list[tuple[MDEntryType, Decimal]] = []
        updates: list[tuple[MDEntryType, MDUpdateAction, Decimal, Decimal]] = []
        for entry_type, old, new in ((_BID, view.bids, bids), (_OFFER, view.asks, asks)):
            deletes += [(entry_type, price) for price in old if price not in new]
            for price, size in new.items():
                before = old.get(price)
                if before is None:
                    updates.append((entry_type, MDUpdateAction.NEW, price, size))
                elif before != size:
                    updates.append((entry_type, MDUpdateAction.CHANGE, price, size))
        wanted_trades = trades if _TRADE in subscription.types else []
        if not deletes and not updates and not wanted_trades:
            return None
        entries: list[MDEntry] = []
        seq = view.rpt_seq
        for entry_type, price in deletes:
            seq += 1
            entries.append(_entry(entry_type, MDUpdateAction.DELETE, price, Decimal(0), symbol, seq))
        for entry_type, action, price, size in updates:
            seq += 1
            entries.append(_entry(entry_type, action, price, size, symbol, seq))
        for trade in wanted_trades:
            seq += 1
            entries.append(_entry(_TRADE, MDUpdateAction.NEW, trade.price, trade.size, symbol, seq))
        view.bids, view.asks, view.rpt_seq = bids, asks, seq
        return BookIncrement(
            venue=CONSOLIDATED, md_req_id=subscription.md_req_id, entries=tuple(entries), ts_ns=self._clock.now_ns()
        )


def _entry(
    entry_type: MDEntryType, action: MDUpdateAction, price: Decimal, size: Decimal, symbol: Symbol, seq: int
) -> MDEntry:
    return MDEntry(entry_type=entry_type, action=action, price=price, size=size, symbol=symbol, rpt_seq=seq)
