"""Stateful flow checks: sliding one-second rate windows and recently seen orders (duplicate detection).

Theory of operation. A limit of N per second is exceeded when the N-th most recent admitted message is less than a
second old. A window therefore keeps only the last ``cap`` timestamps (``cap`` = the largest N configured for its
kind at any scope, so every effective N <= cap): appending drops the oldest in C, with no pruning loop on the order
path, and a check is one index and one subtraction. Because no admitted message ever exceeded its N <= cap, a
one-second span never holds more than ``cap`` admissions: the window always has every timestamp a check can need.

Recently seen orders are keyed by their terms with quantities and prices as canonical text (``normalize``: 100,
100.0 and 1E+2 are one key) because hashing a ``Decimal`` costs several times as much as making the text. Entries
older than twice the longest configured window are forgotten, so memory follows the order rate, not the length of
the day.
"""

from __future__ import annotations

from collections import deque
from decimal import Decimal

SECOND_NS = 1_000_000_000


class RateWindow:
    """The most recent admissions of one account or session, for limits up to ``cap`` per second."""

    __slots__ = ("times",)

    def __init__(self, cap: int) -> None:
        self.times: deque[int] = deque(maxlen=cap)

    def full(self, limit: int, now_ns: int) -> bool:
        """True when ``limit`` admissions already happened in the second before ``now_ns``."""
        times = self.times
        return len(times) >= limit and now_ns - times[-limit] < SECOND_NS

    def add(self, now_ns: int) -> None:
        """Count one admission."""
        self.times.append(now_ns)

    def resize(self, cap: int) -> None:
        """Keep the newest ``cap`` admissions (after a live limit change)."""
        if cap != self.times.maxlen:
            self.times = deque(self.times, maxlen=cap)


def terms_prefix(account: str, symbol: str, side: str) -> str:
    """The part of ``terms_key`` that does not change from order to order of one account, symbol and side."""
    return f"{account}\x1f{symbol}\x1f{side}"


def terms_key(prefix: str, qty: Decimal, price: Decimal | None) -> str:
    """The identity of an order's terms for duplicate detection (equal values give equal keys).

    One string, because a string keeps its hash: the dictionary operations of an order hash it once.
    """
    return f"{prefix}\x1f{qty.normalize()!s}\x1f{'' if price is None else str(price.normalize())}"


class RecentOrders:
    """When each set of order terms was last seen, forgetting what no duplicate window can reach.

    Two generations of ``horizon_ns`` each: lookups try the current one, then the previous; when the current one
    is ``horizon_ns`` old it becomes the previous and the one before is dropped whole. So nothing a window can
    reach is ever forgotten (it is at most two generations old), memory follows the order rate, and the order
    path pays two dictionary lookups instead of an eviction queue.
    """

    __slots__ = ("_current", "_previous", "_started_ns", "horizon_ns")

    def __init__(self, horizon_ns: int) -> None:
        self._current: dict[str, int] = {}
        self._previous: dict[str, int] = {}
        self._started_ns = 0
        self.horizon_ns = horizon_ns
        """The longest duplicate window configured: anything older may be forgotten."""

    def seen(self, key: str, now_ns: int) -> int | None:
        """Record ``key`` as seen now; return when it was seen before (if not forgotten yet)."""
        if now_ns - self._started_ns >= self.horizon_ns:
            self._previous, self._current, self._started_ns = self._current, {}, now_ns
        last = self._current.get(key)
        if last is None:
            last = self._previous.get(key)
        self._current[key] = now_ns
        return last

    def __len__(self) -> int:
        return len(self._current.keys() | self._previous.keys())
