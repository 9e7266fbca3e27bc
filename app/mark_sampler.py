"""Sample the consolidated mids once every ``[risk.var] interval_ms`` for portfolio risk (``RISK_MARKS``).

A thread of its own reads the live books (``Quotes.mid``, lock-free) and enters the domain with what it read, as a
session does with a message: the risk engine re-marks the portfolios, updates its volatility estimates and acts on
any breach under the bus lock, in one unit of work (so the cancels a breach makes commit together). Samples keep
to a fixed grid (start + k x interval), so that a late wake-up does not shift the ones after it; a sample later than
one and a half intervals is not taken as a return by the estimator (``risk.var``). A sample without a single mid (no
market data) is not posted: the marks are then the last trades, which fills move.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Collection
from decimal import Decimal

from domain.bus import MessageBus
from domain.channels import RISK_MARKS
from domain.clock import Clock
from domain.marketdata import MarksSampled, Quotes

log = logging.getLogger("fixgw.risk")


class MarkSampler:
    """A thread that posts the mids of ``symbols`` to the risk engine every ``interval_ms``."""

    def __init__(
        self, bus: MessageBus, quotes: Quotes, symbols: Collection[str], clock: Clock, interval_ms: int
    ) -> None:
        self._bus = bus
        self._quotes = quotes
        self._symbols = tuple(symbols)
        self._clock = clock
        self._interval_ns = interval_ms * 1_000_000
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.samples = 0
        """Samples posted since start."""

    def start(self) -> None:
        """Start sampling."""
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="risk-marks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop sampling (waits for a sample being handled)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def sample(self) -> MarksSampled:
        """The mids now (symbols without a usable one left out)."""
        mids: dict[str, Decimal] = {}
        for symbol in self._symbols:
            mid, _ = self._quotes.mid(symbol)
            if mid is not None:
                mids[symbol] = mid
        return MarksSampled(ts_ns=self._clock.now_ns(), mids=mids)

    def _run(self) -> None:
        due = self._clock.now_ns()
        while True:
            due += self._interval_ns
            now = self._clock.now_ns()
            if due < now:  # asleep too long (a stop, a busy machine): the grid starts again from now
                due = now + self._interval_ns
            if self._stop.wait((due - now) / 1e9):
                return
            try:
                sample = self.sample()
                if sample.mids:
                    self._bus.post(RISK_MARKS, sample)
                    self.samples += 1
            except Exception:
                log.exception("sampling the mids for portfolio risk failed")
