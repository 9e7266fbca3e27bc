"""Whether the journal can commit: since when it cannot and why, its last commit, what it set aside."""

from __future__ import annotations

import logging

from domain.clock import Clock
from oms.store.quarantine import one_line

log = logging.getLogger("fixgw.oms.journal")

_STILL_FAILING_EVERY = 15
"""Failures in a row between two "still failing" warnings (at the longest backoff, 2 s: every 30 s)."""


class CommitHealth:
    """The commit side of ``Journal.health``: logged once when it starts failing, and once when it recovers."""

    def __init__(self, clock: Clock, quarantined: int) -> None:
        self._clock = clock
        self.failing_since_ns: int | None = None
        self.last_error: str | None = None
        self.last_commit_ns: int | None = None
        self.quarantined = quarantined
        """Units of the book set aside so far (kept in the quarantine table)."""

    @property
    def ok(self) -> bool:
        """The last commit succeeded."""
        return self.failing_since_ns is None

    def failed(self, exc: Exception, failures: int) -> None:
        """A commit failed for a reason that heals (the ``failures``-th in a row): say so, once, then now and then."""
        now = self._clock.now_ns()
        if self.failing_since_ns is None:
            self.failing_since_ns = now
            log.exception("journal commit failed; the book of record is unavailable, retrying with backoff")
        elif failures % _STILL_FAILING_EVERY == 0:
            log.warning("journal still failing after %.0f s: %s", (now - self.failing_since_ns) / 1e9, one_line(exc))
        self.last_error = one_line(exc)

    def committed(self) -> None:
        """A commit succeeded."""
        self.last_commit_ns = self._clock.now_ns()
        if self.failing_since_ns is not None:
            log.warning("journal recovered after %.1f s", (self.last_commit_ns - self.failing_since_ns) / 1e9)
            self.failing_since_ns = None
            self.last_error = None
