"""Wire the venue simulator: a FIX acceptor in front of a seeded matching engine."""

from __future__ import annotations

from app.config import SimulatorConfig
from domain.clock import Clock, LiveClock
from fixgw.session.connector import Connector
from fixgw.session.settings import SessionsFile
from matching.book import MatchingEngine
from simulator.venue import VenueSimulator


class VenueServer:
    """The simulated venue, ready to start."""

    def __init__(self, config: SimulatorConfig, sessions: SessionsFile, clock: Clock | None = None) -> None:
        engine = MatchingEngine()
        seed(engine, config)
        self.simulator = VenueSimulator(clock or LiveClock(), engine, config.symbols)
        self.acceptor = Connector(self.simulator.app, sessions, "acceptor", sessions.base_dir / "var" / "venue")

    def start(self) -> None:
        """Listen for members."""
        self.acceptor.start()

    def stop(self) -> None:
        """Log members out and close."""
        self.acceptor.stop()


def seed(engine: MatchingEngine, config: SimulatorConfig) -> None:
    """Rest the house liquidity ``[simulator]`` configures (the external simulator's and the internal venue's)."""
    for symbol, reference in config.symbols.items():
        engine.seed(symbol, reference, config.tick, config.depth, config.level_qty)
