"""Market data sessions (initiator side, one per venue): subscribe to the venue's books, feed what arrives to them.

Theory of operation: on logon the gateway asks the venue for a snapshot plus updates (35=V 263=1, full depth, bids,
offers and trades) of each symbol it trades there, one MDReqID per symbol and subscription (``MSFT-1``, ``MSFT-2``
...). A book that finds a problem (a RptSeq gap, a change to a level it does not hold, a crossed or locked book) is
resubscribed: 263=2 ends the old subscription and 263=1 under a new MDReqID brings a fresh 35=W; whatever still
arrives under the old MDReqID is dropped, so a book is only ever rebuilt from a snapshot and the increments after it.
A resent message (PossDupFlag 43=Y) is dropped too: it was applied, or belongs to a subscription the logon ended.
The session's store is in memory and unlogged (``Connector(ephemeral=True)``): quotes are not part of the order
audit trail, and after a reconnect nothing is resent, a new snapshot rebuilds each book.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable

from domain.clock import Clock
from domain.ids import SessionKey, Symbol, VenueId
from domain.latency import now_ns, ticks
from domain.marketdata import BookFeed, MarketDataRequest, MDEntryType, SubscriptionRequestType
from fixgw.codec import marketdata as codec
from fixgw.codec.fields import QfFields
from fixgw.errors import UnsupportedMessageType
from fixgw.session.application import FixApplication

log = logging.getLogger("fixgw.marketdata")

_ENTRY_TYPES = (MDEntryType.BID, MDEntryType.OFFER, MDEntryType.TRADE)
_POSS_DUP = "\x0143=Y\x01"
RETRY_NS = 2_000_000_000
"""A subscription whose snapshot has not come within this is asked for again (e.g. after a 35=Y)."""


class _Subscription:
    __slots__ = ("asked_ns", "md_req_id", "snapshot_seen")

    def __init__(self, md_req_id: str, asked_ns: int) -> None:
        self.md_req_id = md_req_id
        self.asked_ns = asked_ns
        self.snapshot_seen = False


class MarketDataHandler:
    """Subscribe each venue's market data session to its symbols and feed the books what arrives."""

    def __init__(
        self,
        feed: BookFeed,
        clock: Clock,
        venues_by_session: dict[SessionKey, VenueId],
        symbols: Iterable[str],
    ) -> None:
        self._feed = feed
        self._clock = clock
        self._venues = venues_by_session
        self._sessions = {venue: session for session, venue in venues_by_session.items()}
        self._symbols = tuple(Symbol(s) for s in symbols)
        self._lock = threading.Lock()
        self._subscriptions: dict[tuple[VenueId, Symbol], _Subscription] = {}
        self._current: dict[str, tuple[VenueId, Symbol]] = {}
        """MDReqID -> the book it feeds, for the subscriptions in force."""
        self._serial = 0
        self.received = 0
        self.dropped_poss_dup = 0
        self.dropped_old = 0
        self.rejects = 0
        self.resubscribed = 0
        self.app = FixApplication(self, "marketdata")

    # -- SessionHandler ------------------------------------------------------------------------------

    def on_logon(self, session: SessionKey) -> None:
        """Start from nothing: every book of the venue waits for the snapshot its new subscription brings."""
        venue = self._venues.get(session)
        if venue is None:
            return
        self._feed.reset(venue)
        with self._lock:
            for symbol in self._symbols:
                self._subscriptions.pop((venue, symbol), None)
        for symbol in self._symbols:
            self._subscribe(venue, symbol, unsubscribe_old=False)

    def on_logout(self, session: SessionKey) -> None:
        """The books of the venue are no longer fed: not used until the next logon's snapshots."""
        venue = self._venues.get(session)
        if venue is not None:
            self._feed.reset(venue)

    def on_message(self, session: SessionKey, msg_type: str, fields: QfFields) -> None:
        """Apply a snapshot (W) or a refresh (X); note a reject (Y)."""
        arrived = now_ns()  # tick-to-trade starts here (domain.latency)
        venue = self._venues.get(session)
        if msg_type == "j":  # never answered in kind: two sessions would trade 35=j back and forth
            log.warning("%s: business message reject: %s", session, fields.get(58))
            return
        if venue is None or msg_type not in ("W", "X", "Y"):
            raise UnsupportedMessageType(msg_type)
        self.received += 1
        if _POSS_DUP in fields.raw:  # PossDupFlag (43), a header field: found in the text, not split out of it
            self.dropped_poss_dup += 1
            return
        if msg_type == "X":
            self._on_increment(venue, fields, arrived)
        elif msg_type == "W":
            self._on_snapshot(venue, fields, arrived)
        else:
            reject = codec.decode_market_data_request_reject(fields, session)
            self.rejects += 1
            log.warning("%s refused market data request %s: %s", venue, reject.md_req_id, reject.text)

    # -- what arrives --------------------------------------------------------------------------------

    def _on_snapshot(self, venue: VenueId, fields: QfFields, arrived: int) -> None:
        snapshot = codec.decode_snapshot_full_refresh(fields, venue, self._clock)
        ticks.received(arrived, now_ns())
        with self._lock:
            book = self._current.get(snapshot.md_req_id or "")
            subscription = self._subscriptions.get(book) if book is not None else None
            if subscription is None or book != (venue, snapshot.symbol):
                self.dropped_old += 1
                return
            subscription.snapshot_seen = True
        if self._feed.on_snapshot(snapshot):
            self._subscribe(venue, snapshot.symbol, unsubscribe_old=True)

    def _on_increment(self, venue: VenueId, fields: QfFields, arrived: int) -> None:
        increment = codec.decode_incremental_refresh(fields, venue, self._clock)
        ticks.received(arrived, now_ns())
        with self._lock:
            book = self._current.get(increment.md_req_id or "")
            if book is None:
                self.dropped_old += 1
                return
        for symbol in self._feed.on_increment(increment):
            self._subscribe(venue, symbol, unsubscribe_old=True)

    # -- asking ----------------------------------------------------------------------------------------

    def overdue(self, now_ns: int) -> int:
        """Ask again for every snapshot not received within ``RETRY_NS`` of asking; return how many were asked."""
        with self._lock:
            late = [
                key
                for key, sub in self._subscriptions.items()
                if not sub.snapshot_seen and now_ns - sub.asked_ns > RETRY_NS
            ]
        for venue, symbol in late:
            if self.app.is_logged_on(self._sessions[venue]):
                self._subscribe(venue, symbol, unsubscribe_old=True)
        return len(late)

    def _subscribe(self, venue: VenueId, symbol: Symbol, *, unsubscribe_old: bool) -> None:
        session = self._sessions[venue]
        with self._lock:
            old = self._subscriptions.get((venue, symbol))
            if old is not None:
                self._current.pop(old.md_req_id, None)
            self._serial += 1
            new = _Subscription(f"{symbol}-{self._serial}", self._clock.now_ns())
            self._subscriptions[venue, symbol] = new
            self._current[new.md_req_id] = (venue, symbol)
        if old is not None and unsubscribe_old:
            self.resubscribed += 1
            self._send(session, old.md_req_id, SubscriptionRequestType.UNSUBSCRIBE, symbol)
        self._send(session, new.md_req_id, SubscriptionRequestType.SUBSCRIBE, symbol)

    def _send(self, session: SessionKey, md_req_id: str, kind: SubscriptionRequestType, symbol: Symbol) -> None:
        request = MarketDataRequest(
            session=session,
            md_req_id=md_req_id,
            subscription=kind,
            depth=0,
            entry_types=_ENTRY_TYPES,
            symbols=(symbol,),
        )
        self.app.send(session, codec.market_data_request(request))

    def counters(self) -> dict[str, int]:
        """What arrived and what was dropped, for the admin API."""
        return {
            "received": self.received,
            "dropped_poss_dup": self.dropped_poss_dup,
            "dropped_old": self.dropped_old,
            "rejects": self.rejects,
            "resubscribed": self.resubscribed,
        }
