"""Wire the venue simulator: a FIX acceptor in front of a seeded matching engine that publishes its books."""

from __future__ import annotations

import threading

from app.config import SimulatorConfig
from app.metrics.server import MetricsServer
from app.metrics.venue import SimulatorMetrics
from domain.clock import Clock, LiveClock
from fixgw.session.connector import Connector
from fixgw.session.settings import SessionsFile
from matching.book import MatchingEngine
from matching.changes import BookChanges
from simulator.venue import VenueSimulator


class VenueServer:
    """The simulated venue, ready to start."""

    def __init__(self, config: SimulatorConfig, sessions: SessionsFile, clock: Clock | None = None) -> None:
        changes = BookChanges()
        engine = MatchingEngine(changes)
        seed(engine, config)
        self.simulator = VenueSimulator(clock or LiveClock(), engine, config.symbols, changes)
        self.acceptor = Connector(self.simulator.app, sessions, "acceptor", sessions.base_dir / "var" / "venue")
        self.metrics = (
            MetricsServer(config.metrics_listen, [SimulatorMetrics(self.simulator, config.symbols)], "venue")
            if config.metrics_listen
            else None
        )
        """``GET /metrics`` (``[simulator] metrics_listen``), or None."""
        self._refresh_s = config.md_refresh_ms / 1000
        self._stopping = threading.Event()
        self._refresher: threading.Thread | None = None

    def start(self) -> None:
        """Listen for members; refresh market data subscribers every ``md_refresh_ms``."""
        self.acceptor.start()
        if self.metrics is not None:
            self.metrics.start()
        if self._refresh_s > 0:
            self._stopping.clear()
            self._refresher = threading.Thread(target=self._refresh, name="venue-md-refresh", daemon=True)
            self._refresher.start()

    def stop(self) -> None:
        """Stop refreshing, log members out and close."""
        self._stopping.set()
        if self._refresher is not None:
            self._refresher.join()
            self._refresher = None
        if self.metrics is not None:
            self.metrics.stop()
        self.acceptor.stop()

    def _refresh(self) -> None:
        while not self._stopping.wait(self._refresh_s):
            self.simulator.refresh_market_data()


def seed(engine: MatchingEngine, config: SimulatorConfig) -> None:
    """Rest the house liquidity ``[simulator]`` configures (the external simulator's and the internal venue's)."""
    for symbol, reference in config.symbols.items():
        engine.seed(symbol, reference, config.tick, config.depth, config.level_qty)
