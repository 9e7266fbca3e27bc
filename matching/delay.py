"""A simulated venue's added latency: requests run after a delay, in the order they arrived, on a thread of their own.

Theory of operation. ``run_after`` never blocks its caller (a quickfix thread, or the gateway's bus): it queues the
action with a due time and returns. One thread per venue waits on a condition until the earliest action is due and
runs it (the action takes the venue's own lock: the simulator's, or the gateway's bus for an internal venue), so the
wait holds up nothing else, neither the other sessions nor the matching. Due times never go backwards:
``due = max(now + delay, previous due)``, so lowering the delay mid-run cannot let a cancel overtake the order it
cancels; FIX requests of one member are handled in the order they were sent.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger("matching.delay")


class DelayLine:
    """Run actions ``delay`` after they were handed in, one at a time, first in first out."""

    def __init__(self, name: str) -> None:
        """``name``: the thread's (seen in logs and stack dumps)."""
        self._name = name
        self._due: list[tuple[int, int, Callable[[], None]]] = []
        self._seq = itertools.count()
        self._last_due = 0
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._stopping = False
        self.ran = 0
        """Actions run so far."""

    def run_after(self, delay_ns: int, action: Callable[[], None]) -> None:
        """Run ``action`` on the line's thread once ``delay_ns`` has passed (and every earlier action has run)."""
        with self._cond:
            if self._thread is None:
                self._start()
            due = max(time.monotonic_ns() + delay_ns, self._last_due)
            self._last_due = due
            heapq.heappush(self._due, (due, next(self._seq), action))
            self._cond.notify()

    def pending(self) -> int:
        """Actions waiting to run."""
        with self._cond:
            return len(self._due)

    def stop(self) -> None:
        """Stop the thread; actions not yet due are dropped (a venue that stops answers nothing more)."""
        with self._cond:
            self._stopping = True
            self._cond.notify()
            thread = self._thread
        if thread is not None:
            thread.join()
        with self._cond:
            dropped, self._due = len(self._due), []
            self._thread, self._stopping, self._last_due = None, False, 0
        if dropped:
            log.warning("%s: %d delayed request(s) dropped at stop", self._name, dropped)

    def _start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopping and (not self._due or self._due[0][0] > time.monotonic_ns()):
                    timeout = (self._due[0][0] - time.monotonic_ns()) / 1e9 if self._due else None
                    self._cond.wait(timeout)
                if self._stopping:
                    return
                _, _, action = heapq.heappop(self._due)
            try:
                action()  # outside the condition: run_after never waits for an action
            except Exception:  # one failing request must not stop the venue answering the others
                log.exception("%s: a delayed request failed", self._name)
            self.ran += 1
