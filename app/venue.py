"""Wire the venue simulator: a FIX acceptor in front of a seeded matching engine that publishes its books, and,
when ``[simulator.flow]`` is enabled, the order flow of its own that moves them."""

from __future__ import annotations

import threading
from collections.abc import Callable

from app.config import SimulatorConfig
from app.metrics.server import MetricsServer
from app.metrics.venue import SimulatorMetrics
from domain.clock import Clock, LiveClock
from fixgw.session.connector import Connector
from fixgw.session.settings import SessionsFile
from matching.book import MatchingEngine
from matching.changes import BookChanges
from simulator.flow import FlowParams
from simulator.flow_runner import FlowRunner
from simulator.venue import VenueSimulator


class VenueServer:
    """The simulated venue, ready to start."""

    def __init__(self, config: SimulatorConfig, sessions: SessionsFile, clock: Clock | None = None) -> None:
        changes = BookChanges()
        engine = MatchingEngine(changes)
        seed(engine, config)
        self.simulator = VenueSimulator(clock or LiveClock(), engine, config.symbols, changes)
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
        self._refresh_s = config.md_refresh_ms / 1000
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        """Listen for members; refresh market data subscribers every ``md_refresh_ms``; run the order flow."""
        self.acceptor.start()
        self._stopping.clear()
        if self.metrics is not None:
            self.metrics.start()
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
