"""The gateway's market data, read at scrape time: what its market data sessions received and dropped, each book's
state and problems (``MarketBooks``), the clients' feeds, the consolidated mids."""

from __future__ import annotations

from collections.abc import Collection, Iterator

from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric

from app.market_data import GatewayMarketData
from marketdata.book import Problem
from marketdata.books import MarketBooks


class MarketDataMetrics:
    """``fixgw_marketdata_*`` and ``fixgw_book_*``: what arrived, what was dropped, each book's state and problems."""

    def __init__(self, market: GatewayMarketData, venues: Collection[str], symbols: Collection[str]) -> None:
        self._market = market
        self._venues = frozenset(venues)
        self._symbols = sorted(symbols)

    def collect(self) -> Iterator[Metric]:
        """Every family."""
        handler, books, clients = self._market.handler, self._market.books, self._market.clients
        yield _count(
            "fixgw_marketdata_messages_received", "Market data messages (35=W, X, Y) received.", handler.received
        )
        dropped = CounterMetricFamily(
            "fixgw_marketdata_messages_dropped",
            "Market data received and not applied: resent (poss_dup), for an ended subscription (old_subscription), "
            "for a book awaiting its snapshot (awaiting_snapshot), for a symbol with no book (unknown_symbol).",
            labels=["reason"],
        )
        dropped.add_metric(["poss_dup"], handler.dropped_poss_dup)
        dropped.add_metric(["old_subscription"], handler.dropped_old)
        yield from self._books(books, dropped)
        yield _count("fixgw_marketdata_rejects", "MarketDataRequestRejects (35=Y) received.", handler.rejects)
        yield _count(
            "fixgw_marketdata_resubscriptions",
            "Books rebuilt from a new subscription after a problem.",
            handler.resubscribed,
        )
        yield GaugeMetricFamily(
            "fixgw_marketdata_client_subscriptions",
            "Clients' market data subscriptions in force.",
            value=clients.subscriptions(),
        )
        yield _count("fixgw_marketdata_client_messages", "Market data messages sent to clients.", clients.sent)
        yield _count(
            "fixgw_marketdata_client_conflated", "Book changes merged into a later one for clients.", clients.conflated
        )
        mid = GaugeMetricFamily(
            "fixgw_marketdata_mid_price", "Consolidated mid over the usable books.", labels=["symbol"]
        )
        for symbol in self._symbols:
            price, _ = books.mid(symbol)
            if price is not None:
                mid.add_metric([symbol], float(price))
        yield mid

    def _books(self, books: MarketBooks, dropped: CounterMetricFamily) -> Iterator[Metric]:
        labels = ["venue", "symbol"]
        problems = CounterMetricFamily(
            "fixgw_book_problems", "Times a book stopped mirroring its venue, by problem.", labels=[*labels, "problem"]
        )
        updates = CounterMetricFamily(
            "fixgw_book_updates",
            "Snapshots (35=W) and increments (a symbol's part of a 35=X) applied.",
            labels=[*labels, "kind"],
        )
        live = GaugeMetricFamily("fixgw_book_live", "1 while the book is built from a snapshot.", labels=labels)
        stale = GaugeMetricFamily(
            "fixgw_book_stale", "1 while the live book has had no update for too long.", labels=labels
        )
        awaiting = 0
        for symbol in self._symbols:
            for venue in books.venues(symbol):
                book = books.book(venue, symbol)
                if book is None or venue not in self._venues:
                    continue
                key = [venue, symbol]
                for problem in Problem:
                    problems.add_metric([*key, problem.value], book.problems[problem])
                updates.add_metric([*key, "snapshot"], book.snapshots)
                updates.add_metric([*key, "increment"], book.increments)
                live.add_metric(key, 1.0 if book.live else 0.0)
                stale.add_metric(key, 1.0 if book.stale else 0.0)
                awaiting += book.dropped
        dropped.add_metric(["awaiting_snapshot"], awaiting)
        dropped.add_metric(["unknown_symbol"], books.unknown_symbol)
        yield from (dropped, problems, updates, live, stale)


def _count(name: str, documentation: str, value: float) -> CounterMetricFamily:
    family = CounterMetricFamily(name, documentation)
    family.add_metric([], value)
    return family
