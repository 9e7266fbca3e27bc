"""Record the mid series (TCA's markouts, issue 18) on a thread of its own, off the order path.

Every ``[marketdata] mids_every_ms`` the thread samples the consolidated mids (``tca.mids.MidSampler``); once a
second it writes what was sampled in one short transaction on its own connection (on SQLite a few rows beside the
journal's group commits; it never waits on the order path nor the order path on it, beyond SQLite's one writer at a
time); once an hour it deletes the rows older than ``mids_keep_days``, a minute of the series per transaction.
A failed write is logged and tried again with the next one (at most ``_BACKLOG`` rows are kept waiting).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable

from domain.clock import Clock
from domain.marketdata import Quotes
from oms.store import tca as store
from oms.store.database import BookDb
from tca.mids import MidRow, MidSampler

log = logging.getLogger("fixgw.tca")

_WRITE_EVERY_NS = 1_000_000_000
_PRUNE_EVERY_NS = 3600 * 1_000_000_000
_BACKLOG = 100_000
_DAY_NS = 86_400 * 1_000_000_000


class MidRecorder:
    """The sampler and the thread that writes its rows to the book of record."""

    def __init__(
        self,
        quotes: Quotes,
        db: BookDb,
        clock: Clock,
        symbols: Iterable[str],
        *,
        every_ms: int,
        heartbeat_ms: int,
        keep_days: int,
    ) -> None:
        """``symbols``: the instruments (sampled from the start); ``every_ms``: the sample period (at most one row
        per symbol per period); ``heartbeat_ms``: an unchanged mid is written again this often; ``keep_days``: rows
        older than this are deleted (0: kept forever)."""
        self.sampler = MidSampler(quotes, clock, heartbeat_ms * 1_000_000, symbols)
        self._db = db
        self._clock = clock
        self._every_s = every_ms / 1000
        self._keep_ns = keep_days * _DAY_NS
        self._pending: list[MidRow] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tca-mids", daemon=True)
        self.written = 0
        """Rows written since start (monitoring, tests)."""

    def start(self) -> None:
        """Start sampling and writing."""
        self._thread.start()

    def stop(self) -> None:
        """Write what was sampled and stop (before the database is disposed of)."""
        if self._thread.is_alive():
            self._stop.set()
            self._thread.join(10)

    def _run(self) -> None:
        last_write = last_prune = 0
        while not self._stop.wait(self._every_s):
            now = self._clock.now_ns()
            self._sample(now)
            if now - last_write >= _WRITE_EVERY_NS:
                last_write = now
                self._write()
            if self._keep_ns and now - last_prune >= _PRUNE_EVERY_NS:
                last_prune = now
                self._prune(now - self._keep_ns)
        self._sample(self._clock.now_ns())
        self._write()

    def _sample(self, now: int) -> None:
        try:
            self._pending += self.sampler.sample(now)
        except Exception:
            log.exception("mid series: sampling failed")
        if len(self._pending) > _BACKLOG:
            log.error("mid series: %d rows could not be written; the oldest are dropped", len(self._pending))
            del self._pending[: len(self._pending) - _BACKLOG]

    def _write(self) -> None:
        if not self._pending:
            return
        rows = self._pending
        try:
            store.write_mids(self._db, [row.as_row() for row in rows])
        except Exception as exc:  # noqa: BLE001 - whatever the driver raises: try again with the next write
            log.warning("mid series: %d rows not written yet (%s); trying again", len(rows), exc)
            return
        self._pending = []
        self.written += len(rows)

    def _prune(self, before_ns: int) -> None:
        try:
            deleted = store.prune_mids(self._db, before_ns)
        except Exception:
            log.exception("mid series: retention failed; trying again in an hour")
            return
        if deleted:
            log.info("mid series: %d rows older than the retention deleted", deleted)
