"""An internal venue's books in the gateway's market data, as a FIX venue's arrive over its session.

The internal venue's matching engine is built with a ``BookChanges`` listener; the simulator's own
``MarketDataPublisher`` (the one behind ``fixgw venue``) holds one in-process full-depth subscription to every symbol
and turns each command's changes into the same ``BookSnapshot`` / ``BookIncrement`` values a FIX venue's 35=W / 35=X
decode to, which go straight to the ``VenueFeeds``. It runs after each command of the venue, on the order path under
the bus's lock (the engine is changed nowhere else), so the books follow the venue exactly and are never stale.
"""

from __future__ import annotations

from collections.abc import Iterable

from domain.clock import Clock
from domain.ids import SessionKey, Symbol, VenueId
from domain.marketdata import BookIncrement, BookSnapshot, MarketDataRequest, MDEntryType, SubscriptionRequestType
from marketdata.feed import VenueFeeds
from matching.book import MatchingEngine
from matching.changes import BookChanges
from simulator.marketdata import MarketDataMessage, MarketDataPublisher


class InternalMarketData:
    """Publish an internal venue's books into the gateway's feeds."""

    def __init__(
        self,
        venue: VenueId,
        engine: MatchingEngine,
        changes: BookChanges,
        symbols: Iterable[str],
        feeds: VenueFeeds,
        clock: Clock,
    ) -> None:
        """Subscribe at once: the snapshots are of the engine as it is (restored and seeded)."""
        self._feeds = feeds
        feeds.books.in_process(venue)
        self._publisher = MarketDataPublisher(engine, changes, symbols, self._deliver, clock, venue=venue)
        self._publisher.request(
            MarketDataRequest(
                session=SessionKey(f"{venue}:marketdata"),
                md_req_id=f"{venue}-books",
                subscription=SubscriptionRequestType.SUBSCRIBE,
                depth=0,
                entry_types=(MDEntryType.BID, MDEntryType.OFFER, MDEntryType.TRADE),
                symbols=tuple(Symbol(s) for s in symbols),
            )
        )

    def publish(self) -> None:
        """After a command of the venue: what it changed, to the books."""
        self._publisher.publish()

    def _deliver(self, session: SessionKey, message: MarketDataMessage) -> None:
        if isinstance(message, BookIncrement):
            self._feeds.on_increment(message)
        elif isinstance(message, BookSnapshot):
            self._feeds.on_snapshot(message)
