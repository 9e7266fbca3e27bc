"""The journal writer: group commit of the book, then release of the reports that depend on it.

Theory of operation: the order path never waits on SQL. The OMS appends an entry (order snapshot, optional
execution row, optional outbound report) to an in-memory queue and returns. One writer thread takes every
entry that is waiting, writes them in one transaction, commits, and only then hands the entries' reports to
``deliver``. So a client never hears of an order or a fill that a crash could lose (the book is committed
first), and one commit (one fsync at most) serves every message that arrived meanwhile: under load the batch
grows and the cost per message falls.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, Insert
from sqlalchemy.dialects import postgresql, sqlite

from domain.reports import ClientReport
from oms.store.schema import executions, orders

log = logging.getLogger("fixgw.oms.journal")

Row = dict[str, Any]
Entry = tuple[Row | None, Row | None, ClientReport | None]
_STOP = object()
_MAX_BATCH = 2000
_RETRY_SECONDS = 0.5


class Journal:
    """Persist book changes in batches and release their reports after commit."""

    def __init__(self, engine: Engine, deliver: Callable[[ClientReport], None]) -> None:
        self._engine = engine
        self._deliver = deliver
        self._queue: queue.SimpleQueue[Entry | object] = queue.SimpleQueue()
        self._appended = 0
        self._committed = 0
        self._progress = threading.Condition()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="journal-writer", daemon=True)
        self._order_upsert = _upsert(engine, orders, "order_id")

    def start(self) -> None:
        """Start the writer thread."""
        self._thread.start()

    def append(self, order: Row | None, execution: Row | None = None, report: ClientReport | None = None) -> None:
        """Queue one change; ``report`` is delivered once the change is committed."""
        self._appended += 1  # only the bus thread appends
        self._queue.put((order, execution, report))

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until everything appended so far is committed and delivered; False on timeout."""
        target = self._appended
        with self._progress:
            return self._progress.wait_for(lambda: self._committed >= target, timeout)

    def stop(self, timeout: float = 10.0) -> None:
        """Commit what is queued, then stop the writer."""
        if self._thread.is_alive():
            self._queue.put(_STOP)
            self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            batch, stop = self._drain(first)
            if batch:
                self._commit_until_done(batch)
            if stop:
                return

    def _drain(self, first: object) -> tuple[list[Entry], bool]:
        batch: list[Entry] = []
        item = first
        while True:
            if item is _STOP:
                return batch, True
            batch.append(item)  # type: ignore[arg-type]
            if len(batch) >= _MAX_BATCH:
                return batch, False
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return batch, False

    def _commit_until_done(self, batch: list[Entry]) -> None:
        # A report may only go out after its change is durable: retry rather than drop or send early.
        while True:
            try:
                self._write(batch)
                break
            except Exception:
                log.exception("journal commit of %d entries failed; retrying", len(batch))
                self._stopping.wait(_RETRY_SECONDS)
        for _, _, report in batch:
            if report is not None:
                self._deliver_safely(report)
        with self._progress:
            self._committed += len(batch)
            self._progress.notify_all()

    def _write(self, batch: list[Entry]) -> None:
        latest: dict[str, Row] = {}
        fills: list[Row] = []
        for order, execution, _ in batch:
            if order is not None:
                latest[order["order_id"]] = order  # the last snapshot of an order wins
            if execution is not None:
                fills.append(execution)
        with self._engine.begin() as conn:
            if latest:
                conn.execute(self._order_upsert, list(latest.values()))
            if fills:
                conn.execute(executions.insert(), fills)

    def _deliver_safely(self, report: ClientReport) -> None:
        try:
            self._deliver(report)
        except Exception:
            log.exception("delivery of a report to %s (ClOrdID %s) failed", report.session, report.cl_ord_id)


def _upsert(engine: Engine, table: Any, key: str) -> Insert:
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table)
    updates = {c.name: statement.excluded[c.name] for c in table.columns if c.name != key}
    return statement.on_conflict_do_update(index_elements=[key], set_=updates)  # type: ignore[no-any-return]
