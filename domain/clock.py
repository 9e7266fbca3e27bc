"""Clocks: time is an injected dependency so that tests and replays are deterministic."""

import time
from typing import Protocol


class Clock(Protocol):
    """A source of UTC time in integer nanoseconds since the epoch."""

    def now_ns(self) -> int:
        """Return the current UTC time in nanoseconds."""
        ...


class LiveClock:
    """The system's UTC wall clock."""

    now_ns = staticmethod(time.time_ns)


class TestClock:
    """A clock that only moves when told to."""

    __test__ = False  # not a pytest test class

    def __init__(self, start_ns: int = 1_700_000_000_000_000_000) -> None:
        self._now = start_ns

    def now_ns(self) -> int:
        """Return the frozen time."""
        return self._now

    def advance(self, ns: int) -> None:
        """Move time forward by ``ns`` nanoseconds."""
        self._now += ns
