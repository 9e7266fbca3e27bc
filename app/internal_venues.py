"""The gateway's internal venues (``[venues.NAME] kind = "internal"``): each the simulator's matching engine seeded from
``[simulator]``, its books published into the gateway's market data, and, with a ``[venues.NAME.behaviour]``, a
behaviour that can be changed while the gateway runs.

Once any internal venue has a behaviour, every internal venue joins one ``HouseMarket`` (``matching.market``): they
quote the same fair values, so adverse selection at one of them moves the consolidated mid the gateway measures
markouts on, and the pools' books never cross each other (a pool without a behaviour follows the fair value too, but
is rested again only when it moves).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from app.config import GatewayConfig
from app.internal_md import InternalMarketData
from app.venue import seed
from app.venue_admin import describe, updated
from domain.bus import MessageBus
from domain.clock import Clock
from domain.ids import VenueId
from ems.venues.internal import RESTING, InternalVenue
from ems.venues.priority import time_priority
from marketdata.feed import VenueFeeds
from matching.behaviour import Behaviour, VenueBehaviour
from matching.book import MatchingEngine
from matching.changes import BookChanges
from matching.market import HouseMarket
from oms.recovery import RecoverySnapshot

log = logging.getLogger("fixgw.gateway")


class UnknownVenue(LookupError):
    """No internal venue by that name."""


class InternalVenues:
    """Build the internal venues and change their behaviour while they run."""

    def __init__(
        self,
        config: GatewayConfig,
        bus: MessageBus,
        clock: Clock,
        feeds: VenueFeeds,
        defer: Callable[[Callable[[], None]], None],
    ) -> None:
        """``defer``: the journal's ``after_commit`` (a strategy's tick-to-trade ends there)."""
        self._config = config
        self._bus = bus
        self._clock = clock
        self._feeds = feeds
        self._defer = defer
        sim = config.simulator
        self.house = HouseMarket(sim.symbols, sim.tick, sim.depth, sim.level_qty)
        """The fair values the internal venues quote around (once any of them has a behaviour)."""
        self._shared = any(v.behaviour is not None for v in config.venues.values())
        self.venues: dict[VenueId, InternalVenue] = {}

    def build(self, venue_id: VenueId, snapshot: RecoverySnapshot) -> InternalVenue:
        """The venue with the book's working orders there back in their places, then the house liquidity."""
        changes = BookChanges()
        engine = MatchingEngine(changes)
        published: list[InternalMarketData] = []  # made once the book is whole: restored and seeded
        symbols = self._config.simulator.symbols
        settings = self._config.venues[venue_id].behaviour
        behaviour = VenueBehaviour(settings.behaviour(), settings.seed) if settings is not None else None
        venue = InternalVenue(
            venue_id,
            self._bus,
            self._clock,
            engine,
            symbols,
            after_command=lambda: published[0].publish(),
            defer=self._defer,
            behaviour=behaviour,
            house=self.house if behaviour is not None else None,
        )
        working = [o for o in snapshot.orders if o.venue == venue_id and o.status in RESTING]
        if restored := venue.restore(time_priority(working, snapshot.venue_requests.get(venue_id, []))):
            log.info("internal venue %s: %d working order(s) back on its book", venue_id, restored)
        seed(engine, self._config.simulator)
        published.append(InternalMarketData(venue_id, engine, changes, symbols, self._feeds, self._clock))
        if self._shared:
            self.house.join(venue_id, engine, published[0].publish)
        self.venues[venue_id] = venue
        return venue

    def set_behaviour(self, name: str, changes: dict[str, Any]) -> Behaviour:
        """Change some settings of venue ``name``'s behaviour (the others stay, e.g. ``{"reject_ratio": 0.2}``);
        return the settings now in force. Raise ``UnknownVenue``, or ``ValueError`` with a one-line message (a
        venue without a behaviour, an unknown setting, a value out of range)."""
        venue = self._venue(name)
        if venue.behaviour is None:
            raise ValueError(f"venue {name} has no behaviour to change: add a [venues.{name}.behaviour] section")
        settings = updated(venue.behaviour, changes)
        venue.set_behaviour(settings)
        return settings

    def swap(self, first: str, second: str) -> None:
        """Exchange two venues' behaviour settings at once (each keeps its own random stream)."""
        a, b = self._venue(first), self._venue(second)
        if a.behaviour is None or b.behaviour is None:
            raise ValueError("both venues need a [venues.NAME.behaviour] section to swap their behaviours")
        with self._bus.entered():  # between two messages: no order sees one venue swapped and not the other
            a.behaviour.settings, b.behaviour.settings = b.behaviour.settings, a.behaviour.settings

    def describe(self) -> dict[str, dict[str, Any]]:
        """Every internal venue: its behaviour (None: clean, fixed) and what the behaviour did so far."""
        with self._bus.lock:
            return {name: _describe(venue) for name, venue in self.venues.items()}

    def stop(self) -> None:
        """Stop every venue's delay line."""
        for venue in self.venues.values():
            venue.stop()

    def _venue(self, name: str) -> InternalVenue:
        venue = self.venues.get(VenueId(name))
        if venue is None:
            raise UnknownVenue(f"no internal venue {name!r} (internal venues: {', '.join(sorted(self.venues))})")
        return venue


def _describe(venue: InternalVenue) -> dict[str, Any]:
    if venue.behaviour is None:
        return {"kind": "internal", "behaviour": None}
    return {"kind": "internal"} | describe(venue.behaviour)
