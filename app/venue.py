"""Wire the venue simulator: a FIX acceptor in front of a seeded matching engine that publishes its books, and,
when ``[simulator.flow]`` is enabled, the order flow of its own that moves them; its behaviour
(``[simulator.behaviour]``), changed while it runs through its own admin API (``[simulator] admin_listen``)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from app.admin import AdminServer
from app.config import SimulatorConfig
from app.metrics.server import MetricsServer
from app.metrics.venue import SimulatorMetrics
from app.venue_admin import venue_routes
from domain.clock import Clock, LiveClock
from fixgw.session.connector import Connector
from fixgw.session.settings import SessionsFile
from matching.behaviour import VenueBehaviour
from matching.book import MatchingEngine
from matching.changes import BookChanges
from matching.market import HouseMarket
from simulator.flow import FlowParams
from simulator.flow_runner import FlowRunner
from simulator.venue import VenueSimulator


class VenueServer:
    """The simulated venue, ready to start."""

    def __init__(
        self,
        config: SimulatorConfig,
        sessions: SessionsFile,
        clock: Clock | None = None,
        admin_token: Path | None = None,
    ) -> None:
        """``admin_token``: where the admin API (``[simulator] admin_listen``) writes its address and token."""
        changes = BookChanges()
        engine = MatchingEngine(changes)
        seed(engine, config)
        settings = config.behaviour
        behaviour = VenueBehaviour(settings.behaviour(), settings.seed) if settings else VenueBehaviour()
        # A house that follows a fair value when the behaviour is configured or the flow moves it; else the seeded
        # book is left as members' orders leave it (as before behaviours existed).
        house = (
            HouseMarket(config.symbols, config.tick, config.depth, config.level_qty)
            if settings is not None or config.flow.enabled
            else None
        )
        self.simulator = VenueSimulator(
            clock or LiveClock(), engine, config.symbols, changes, behaviour=behaviour, house=house
        )
        self.acceptor = Connector(self.simulator.app, sessions, "acceptor", sessions.base_dir / "var" / "venue")
        self.flow = (
            FlowRunner(self.simulator, config.symbols, flow_params(config), config.level_qty)
            if config.flow.enabled
            else None
        )
        """The simulator's own order flow; None when ``[simulator.flow] enabled`` is false."""
        self.metrics = (
            MetricsServer(config.metrics_listen, [SimulatorMetrics(self.simulator, config.symbols)], "venue")
            if config.metrics_listen
            else None
        )
        """``GET /metrics`` (``[simulator] metrics_listen``), or None."""
        self.admin = (
            AdminServer(config.admin_listen, admin_token or Path("var/venue-admin.token"), venue_routes(self.simulator))
            if config.admin_listen
            else None
        )
        """The simulator's admin API (``fixgw venue-behaviour``), or None."""
        self._refresh_s = config.md_refresh_ms / 1000
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        """Listen for members; refresh market data subscribers every ``md_refresh_ms``; run the order flow."""
        self.acceptor.start()
        self._stopping.clear()
        if self.metrics is not None:
            self.metrics.start()
        if self.admin is not None:
            self.admin.start()
        if self._refresh_s > 0:
            self._thread(self._refresh, "venue-md-refresh")
        if self.flow is not None:
            self._thread(self.flow.run, "venue-flow", self._stopping)

    def stop(self) -> None:
        """Stop the flow and the refresher, log members out and close."""
        self._stopping.set()
        for thread in self._threads:
            thread.join()
        self._threads.clear()
        if self.metrics is not None:
            self.metrics.stop()
        if self.admin is not None:
            self.admin.stop()
        self.simulator.stop_delays()
        self.acceptor.stop()

    def _thread(self, target: Callable[..., None], name: str, *args: object) -> None:
        thread = threading.Thread(target=target, name=name, args=args, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _refresh(self) -> None:
        while not self._stopping.wait(self._refresh_s):
            self.simulator.refresh_market_data()


def seed(engine: MatchingEngine, config: SimulatorConfig) -> None:
    """Rest the house liquidity ``[simulator]`` configures (the external simulator's and the internal venue's)."""
    for symbol, reference in config.symbols.items():
        engine.seed(symbol, reference, config.tick, config.depth, config.level_qty)


def flow_params(config: SimulatorConfig) -> FlowParams:
    """What ``[simulator.flow]`` and the ladder settings of ``[simulator]`` make of each symbol's flow."""
    flow = config.flow
    return FlowParams(
        seed=flow.seed,
        step_ms=flow.step_ms,
        vol_bps_per_sqrt_s=flow.vol_bps_per_sqrt_s,
        taker_rate_per_s=flow.taker_rate_per_s,
        taker_min_qty=flow.taker_min_qty,
        taker_max_qty=flow.taker_max_qty,
        taker_lot=flow.taker_lot,
        tick=config.tick,
        depth=config.depth,
    )
