"""The venue simulator with a market data storm, for ``bench/md_bench.py --part session`` (run as its own process).

While the file ``<work>/storm.on`` exists, a thread changes the house liquidity of the symbols in turn at ``--rate``
steps a second (open loop: each step is due at start + i / rate, late steps are not skipped): each step adds to, or
takes back from, five resting levels of one symbol's book (no trade), under the simulator's lock as an order would,
and publishes. So every step is one 35=X of five CHANGE entries to the symbol's subscriber. When the file goes away
the thread writes ``storm.count`` (steps so far) and ``books.json`` (the whole book of every symbol, as the venue holds
it) and waits for the next ``storm.on``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import signal
import threading
import time
from decimal import Decimal
from pathlib import Path

from app.config import load_config
from app.venue import VenueServer
from domain.enums import OrdType, Side
from fixgw.session.settings import SessionsFile
from matching.book import SimOrder

POLL_S = 0.005
LEVELS = 5
"""Entries per 35=X: the five levels a step changes."""


class Storm:
    """Move the house liquidity of each symbol, five levels at a time."""

    def __init__(self, server: VenueServer, symbols: list[str], tick: Decimal, rate: float, work: Path) -> None:
        self._server = server
        self._symbols = symbols
        self._tick = tick
        self._interval_ns = int(1e9 / rate)
        self._work = work
        self._resting: dict[str, list[SimOrder]] = {}
        self._ids = itertools.count(1)
        self.steps = 0
        self._stop = threading.Event()

    def run(self) -> None:
        """Storm while ``storm.on`` exists; report when it goes."""
        on = self._work / "storm.on"
        while not self._stop.is_set():
            if not on.exists():
                time.sleep(POLL_S)  # waiting for the bench to switch the storm on (a file: another process)
                continue
            start, i = time.monotonic_ns(), 0
            while on.exists() and not self._stop.is_set():
                due = start + i * self._interval_ns
                if (wait := due - time.monotonic_ns()) > 0:
                    time.sleep(wait / 1e9)
                self._step(self._symbols[i % len(self._symbols)])
                i += 1
            self._report()

    def stop(self) -> None:
        """End the thread."""
        self._stop.set()

    def _step(self, symbol: str) -> None:
        simulator = self._server.simulator
        with simulator.locked():
            book = simulator.engine.book(symbol)
            taken = self._resting.pop(symbol, None)
            if taken is not None:  # take back what the last step added: five CHANGEs back
                for order in taken:
                    book.cancel(order)
            else:  # add to five levels behind the best of each side: five CHANGEs, no trade
                # Never the best level: the latency runs' orders trade there, and a house order ahead of one in
                # the queue would leave it resting.
                bids, asks = book.depth(4)
                orders = [self._order(symbol, Side.BUY, bids[k][0]) for k in range(1, 4)]
                orders += [self._order(symbol, Side.SELL, asks[k][0]) for k in range(1, LEVELS - 2)]
                for order in orders:
                    book.rest(order)
                self._resting[symbol] = orders
            simulator.publish_market_data()
        self.steps += 1

    def _order(self, symbol: str, side: Side, price: Decimal) -> SimOrder:
        return SimOrder(f"STORM-{next(self._ids)}", symbol, side, OrdType.LIMIT, Decimal(100), price)

    def _report(self) -> None:
        simulator = self._server.simulator
        with simulator.locked():
            books = {
                symbol: [[[str(p), str(q)] for p, q in side] for side in simulator.engine.book(symbol).depth()]
                for symbol in self._symbols
            }
        (self._work / "books.json").write_text(json.dumps(books))
        (self._work / "storm.count").write_text(str(self.steps))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", type=Path, required=True, help="the venue's sessions (venue.cfg)")
    parser.add_argument("--settings", type=Path, required=True, help="fixgw.toml ([simulator])")
    parser.add_argument("--rate", type=float, default=2000.0, help="35=X messages a second while storming")
    parser.add_argument("--work", type=Path, required=True)
    args = parser.parse_args()
    simulator = load_config(args.settings).simulator
    server = VenueServer(simulator, SessionsFile.load(args.config))
    storm = Storm(server, sorted(simulator.symbols), simulator.tick, args.rate, args.work)
    stopping = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.set())
    server.start()
    thread = threading.Thread(target=storm.run, name="storm")
    thread.start()
    (args.work / "venue.ready").write_text("ready")
    stopping.wait()
    storm.stop()
    thread.join()
    server.stop()


if __name__ == "__main__":
    main()
