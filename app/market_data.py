"""Wire the gateway's market data: the live books, the venues' market data sessions that feed them, the clients'
subscriptions they serve, and the watch that flags a silent feed.

Each FIX venue with an ``md_session`` gets its books over that initiator session (sessions.cfg), apart from its order
session, so quotes never queue behind orders; the session keeps no store or log (``Connector(ephemeral=True)``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from app.config import GatewayConfig
from domain.clock import Clock
from domain.ids import SessionKey, VenueId
from domain.marketdata import BookIncrement, BookSnapshot
from fixgw.errors import ConfigError
from fixgw.marketdata import MarketDataHandler
from fixgw.session.connector import Connector
from fixgw.session.settings import SessionsFile
from marketdata.books import MarketBooks
from marketdata.clients import ClientFeeds
from marketdata.feed import VenueFeeds

log = logging.getLogger("fixgw.marketdata")

WATCH_INTERVAL_S = 0.05
"""How often the watch looks for stale books and overdue snapshots: a stale feed is flagged within its
``stale_after_ms`` plus this."""


class GatewayMarketData:
    """The books and everything around them, ready to start."""

    def __init__(
        self,
        config: GatewayConfig,
        sessions: SessionsFile,
        clock: Clock,
        work_dir: Path,
        send_to_client: Callable[[SessionKey, BookSnapshot | BookIncrement], None],
    ) -> None:
        self.books = MarketBooks(clock, config.marketdata.stale_after_ms)
        self.stale_after_ms = config.marketdata.stale_after_ms
        self.feeds = VenueFeeds(self.books)
        venues = {SessionKey(v.md_session): VenueId(name) for name, v in config.venues.items() if v.md_session}
        self.sessions, _ = sessions.split(set(venues))
        configured = {c.key: c for c in self.sessions.configs()}
        for key in venues:
            if key not in configured or configured[key].connection_type != "initiator":
                raise ConfigError(f"md_session {key}: no such initiator session in the sessions file")
        self.handler = MarketDataHandler(self.feeds, clock, venues, config.instruments)
        self.connector = Connector(
            self.handler.app, self.sessions, "initiator", work_dir / "marketdata", ephemeral=True
        )
        self.clients = ClientFeeds(
            self.books, frozenset(config.instruments), config.market_data_entitlements(), send_to_client, clock
        )
        self.feeds.listen(self.clients.on_change)
        self.watch = MarketDataWatch(self.books, self.handler, clock, self.stale_after_ms)

    def start(self) -> None:
        """Serve clients, watch the books, connect to the venues' market data."""
        self.clients.start()
        self.watch.start()
        self.connector.start()

    def stop(self) -> None:
        """After the connector has stopped (``stop_all``): stop the threads."""
        self.watch.stop()
        self.clients.stop()

    def counters(self) -> dict[str, object]:
        """What the admin API reports."""
        return {
            "session": self.handler.counters(),
            "books": self.books.counters(),
            "client_subscriptions": self.clients.subscriptions(),
            "client_messages_sent": self.clients.sent,
            "client_conflated": self.clients.conflated,
        }


class MarketDataWatch:
    """A thread that flags stale books (logged once each) and asks again for snapshots that did not come."""

    def __init__(self, books: MarketBooks, handler: MarketDataHandler, clock: Clock, stale_after_ms: int) -> None:
        self._books = books
        self._stale_after_ms = stale_after_ms
        self._handler = handler
        self._clock = clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start watching."""
        self._thread = threading.Thread(target=self._run, name="md-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop watching."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def check(self) -> None:
        """One look (the thread's loop body)."""
        now = self._clock.now_ns()
        for venue, symbol in self._books.check_stale(now):
            log.warning(
                "market data for %s at %s is stale: no update for %d ms while the session is up; not used",
                symbol,
                venue,
                self._stale_after_ms,
            )
        self._handler.overdue(now)

    def _run(self) -> None:
        while not self._stop.wait(WATCH_INTERVAL_S):
            try:
                self.check()
            except Exception:
                log.exception("market data watch failed")
