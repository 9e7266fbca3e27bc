"""Wire adaptive routing (README "Adaptive routing"): the mids of the adaptive symbols onto the bus, the live TCA
engine that scores the venues from them and the fills, and the router's policy.

Nothing here exists when ``[routing.adaptive] symbols`` is empty: routing is then the static rules' alone, at their
cost.
"""

from __future__ import annotations

from decimal import Decimal

from app.adaptive_config import AdaptiveConfig
from domain.bus import MessageBus
from domain.channels import MIDS
from domain.clock import Clock
from domain.ids import Symbol, VenueId
from domain.marketdata import MDEntry
from domain.tca import MidObserved
from ems.adaptive import AdaptivePolicy
from marketdata.books import MarketBooks
from tca.live import LiveSettings, LiveTca

_TWO = Decimal(2)


def policy(config: AdaptiveConfig) -> AdaptivePolicy | None:
    """The router's side of the settings; None when no symbol is adaptive."""
    if not config.symbols:
        return None
    return AdaptivePolicy(
        symbols=frozenset(config.symbols),
        venues=tuple(VenueId(v) for v in config.venues),
        min_samples=config.min_samples,
        hysteresis_bps=config.hysteresis_bps,
        explore_every=config.explore_every,
    )


def live_tca(bus: MessageBus, config: AdaptiveConfig) -> LiveTca | None:
    """The live TCA engine on the bus; None when no symbol is adaptive."""
    if not config.symbols:
        return None
    settings = LiveSettings(
        symbols=frozenset(config.symbols),
        venues=frozenset(config.venues),
        window=config.window,
        horizon_ns=config.horizon_ms * 1_000_000,
        reject_penalty_bps=config.reject_penalty_bps,
    )
    return LiveTca(bus, settings)


class MidFeed:
    """Follow the books (a ``VenueFeeds`` listener) and publish each adaptive symbol's mids on ``MIDS`` when they
    change: every venue's own, and the consolidated one.

    It is called by whoever changed the books: a FIX venue's market data thread, or the order path itself for an
    internal venue (under the bus's lock, inside a handler: the mids then run after it, in the bus's order). Either
    way it runs under the bus's lock (reentrant), so the mids go out in the order the books took them. Nothing that
    follows ``MIDS`` writes the book of record, so no unit of work is opened for them.
    """

    def __init__(self, bus: MessageBus, books: MarketBooks, clock: Clock, symbols: frozenset[str]) -> None:
        self._bus = bus
        self._books = books
        self._clock = clock
        self._symbols = symbols
        self._last: dict[tuple[VenueId | None, Symbol], Decimal] = {}
        self._tops: dict[tuple[VenueId, Symbol], object] = {}
        """Each book's top as last seen: most changes are deeper in the book, and cost a comparison."""

    def on_change(self, symbol: Symbol, trades: tuple[MDEntry, ...] = ()) -> None:
        """A symbol's books changed."""
        if symbol not in self._symbols:
            return
        with self._bus.lock:  # one caller at a time: a FIX venue's market data thread, or the order path
            self._on_change(symbol)

    def _on_change(self, symbol: Symbol) -> None:
        changed: list[tuple[VenueId | None, Decimal]] = []
        moved = False
        tops, last = self._tops, self._last
        for book in self._books.books_of(symbol):
            key = (book.venue, symbol)
            top = (book.top, book.live, book.stale)
            if tops.get(key) == top:
                continue
            tops[key] = top
            moved = True
            mid = _mid(book.top) if book.live else None
            if mid is not None and last.get(key) != mid:
                last[key] = mid
                changed.append((book.venue, mid))
        if not moved:
            return
        consolidated, _ = self._books.mid(symbol)
        if consolidated is not None and last.get((None, symbol)) != consolidated:
            last[None, symbol] = consolidated
            changed.append((None, consolidated))
        if changed:
            now = self._clock.now_ns()
            for venue, mid in changed:
                self._bus.publish(MIDS, MidObserved(venue=venue, symbol=symbol, mid=mid, ts_ns=now))

    def publish_all(self) -> None:
        """Publish every adaptive symbol's mids as they are now (at start: the books were built before)."""
        for symbol in sorted(self._symbols):
            self.on_change(Symbol(symbol))


def _mid(top: tuple[tuple[Decimal, Decimal] | None, tuple[Decimal, Decimal] | None]) -> Decimal | None:
    bid, ask = top
    if bid is None or ask is None or bid[0] >= ask[0]:
        return None
    return (bid[0] + ask[0]) / _TWO
