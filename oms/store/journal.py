"""The journal writer: group commit of the book, then release of the reports that depend on it.

Theory of operation: the order path never waits on SQL. The OMS appends an entry (order snapshot, optional
execution, position and audit rows, optional outbound report) to an in-memory queue and returns. One writer
thread takes every entry that is waiting, writes them in one transaction, commits, and only then hands the
entries' reports to ``deliver``. So a client never hears of an order or a fill that a crash could lose (the book
is committed first), and one commit (one fsync at most) serves every message that arrived meanwhile: under
load the batch grows and the cost per message falls.

Received messages are recorded with ``record_inbound`` *after* their processing has appended its entries,
so the row of message N never commits before what N caused: the highest committed MsgSeqNum of a session is
a safe point to resume that session from after a crash.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

import msgspec
from sqlalchemy import Engine, Insert, func, select
from sqlalchemy.dialects import postgresql, sqlite

from domain.clock import Clock
from domain.latency import hops, now_ns
from domain.reports import ClientReport
from oms.store.bulk import BulkStatement
from oms.store.schema import executions, journal_state, messages, orders, positions

log = logging.getLogger("fixgw.oms.journal")

Row = dict[str, Any]
_STOP = object()
_MAX_BATCH = 2000
_RETRY_SECONDS = 0.5
_CHECKPOINT_S = 0.1
_MARKER_IDLE_S = 0.05
"""How long the writer waits, idle, before recording deliveries in a transaction of their own. Not at once: at
window 1 that second commit after every batch kept the writer busy when the next order arrived. A crash in
between only makes a restart send those reports again with PossResend=Y."""


class Entry(msgspec.Struct):
    """One change of the book and what depends on it."""

    order: Row | None = None
    execution: Row | None = None
    position: Row | None = None
    audit: Row | None = None
    report: ClientReport | None = None
    action: Callable[[], None] | None = None
    """Something to do once the batch is committed (e.g. send an order to a venue: write-ahead)."""
    group: list[Entry] | None = None
    """Entries that commit in the same transaction (``Journal.atomic``); this entry holds nothing else."""
    appended_ns: int = 0
    """When a report was queued (domain.latency clock): its wait for the commit is the "book commit" hop."""


class Journal:
    """Persist book changes in batches and release their reports after commit."""

    def __init__(self, engine: Engine, deliver: Callable[[list[ClientReport]], None], clock: Clock) -> None:
        """``deliver`` sends the reports of a committed batch, in their order (the client sessions' engine)."""
        self._engine = engine
        self._deliver = deliver
        self._clock = clock
        self._queue: queue.SimpleQueue[Entry | object] = queue.SimpleQueue()
        self._appended = 0
        self._committed = 0
        self._lock = threading.Lock()
        self._progress = threading.Condition()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="journal-writer", daemon=True)
        self._sqlite = engine.dialect.name == "sqlite"
        self._checkpoints_stop = threading.Event()
        self._checkpointer = threading.Thread(target=self._checkpoint_loop, name="journal-checkpoint", daemon=True)
        self._upserts = {
            "orders": _upsert(engine, orders, ["order_id"]),
            "positions": _upsert(engine, positions, ["account", "symbol"]),
        }
        self.batches = 0
        """How many transactions have been committed (for benchmarks)."""
        with engine.connect() as conn:
            self._last_id = int(conn.execute(select(func.coalesce(func.max(messages.c.id), 0))).scalar_one())
            marker = conn.execute(select(journal_state.c.value).where(journal_state.c.name == DELIVERED)).scalar()
        self._delivered_through = int(marker or 0)
        self.undelivered_from = self._delivered_through
        """Outbound rows above this id were committed but maybe never handed to their session (read at start)."""
        self._marker_written = self._delivered_through
        self._marker = _upsert(engine, journal_state, ["name"])
        self._bulk = {
            "orders": BulkStatement(engine, orders, self._upserts["orders"]),
            "executions": BulkStatement(engine, executions, executions.insert()),
            "positions": BulkStatement(engine, positions, self._upserts["positions"]),
            "messages": BulkStatement(engine, messages, messages.insert()),
            "marker": BulkStatement(engine, journal_state, self._marker),
        }
        self._raw: Any = None
        """The writer thread's own DBAPI connection (see oms.store.bulk), opened on first use."""
        self._group: list[Entry] | None = None
        self._group_depth = 0

    def start(self) -> None:
        """Start the writer thread (and, on SQLite, the checkpointer)."""
        self._thread.start()
        if self._sqlite:
            self._checkpointer.start()

    def append(
        self, order: Row | None = None, execution: Row | None = None, report: ClientReport | None = None,
        position: Row | None = None, audit: Row | None = None,
    ) -> None:  # fmt: skip
        """Queue one change; ``report`` is delivered once the change is committed."""
        self._put(Entry(order, execution, position, audit, report, appended_ns=now_ns() if report else 0))

    def after_commit(self, action: Callable[[], None]) -> None:
        """Run ``action`` on the writer thread once everything appended before it is committed."""
        self._put(Entry(action=action))

    def record_inbound(
        self, session: str, seq: int, msg_type: str, cl_ord_id: str | None, body: str, received_ns: int
    ) -> None:
        """Queue the audit row of a received application message (call after processing it)."""
        row = {"ts_ns": received_ns, "direction": "in", "session": session, "msg_type": msg_type,
               "seq": seq, "order_id": None, "cl_ord_id": cl_ord_id, "body": body}  # fmt: skip
        self._put(Entry(audit=row))

    def atomic(self) -> _Group:
        """Make everything appended inside ``with journal.atomic():`` commit in one transaction.

        For changes that are true only together, such as both sides of a trade at the internal venue, whose
        book is rebuilt from this one. Nested blocks join the outermost.
        """
        return _Group(self)

    def _open_group(self) -> None:
        with self._lock:
            self._group_depth += 1
            if self._group is None:
                self._group = []

    def _close_group(self) -> None:
        with self._lock:
            self._group_depth -= 1
            if self._group_depth:
                return
            group, self._group = self._group, None
            if group:
                self._appended += len(group)
                self._queue.put(Entry(group=group))

    def _put(self, entry: Entry) -> None:
        with self._lock:  # the client and venue threads both record
            if self._group is not None:  # another thread's entry joins too: it only commits later
                self._group.append(entry)
                return
            self._appended += 1
            self._queue.put(entry)

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
        if self._checkpointer.is_alive():
            self._checkpoints_stop.set()
            self._checkpointer.join(timeout)

    def _checkpoint_loop(self) -> None:
        """SQLite: move the WAL into the database file off the writer's thread.

        Why: SQLite checkpoints on the committing connection once the WAL passes 1,000 pages, and a checkpoint
        syncs the WAL and the database file (synchronous=NORMAL): a few milliseconds added to one commit, so to
        every report waiting on it (journal write p99 4.5 ms at window 1). The writer's connection turns that
        off (``wal_autocheckpoint=0``); this thread runs a PASSIVE checkpoint, which never blocks a writer,
        every ``_CHECKPOINT_S``.
        """
        raw: Any = None
        while not self._checkpoints_stop.wait(_CHECKPOINT_S):
            try:
                raw = raw or self._engine.raw_connection()
                cursor = raw.cursor()
                cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
                cursor.close()
            except Exception:
                log.exception("WAL checkpoint failed; trying again in %.1f s", _CHECKPOINT_S)
                with suppress(Exception):
                    raw.invalidate()
                raw = None
        if raw is not None:
            raw.close()

    def _run(self) -> None:
        while True:
            try:  # idle for a moment with deliveries not yet recorded: record them (one small transaction)
                first = self._queue.get(timeout=_MARKER_IDLE_S if self._marker_behind() else None)
            except queue.Empty:
                self._write_marker()
                continue
            batch, stop = self._drain(first)
            if batch:
                self._commit_until_done(batch)
            if stop:
                self._write_marker()  # a clean stop leaves nothing to send again at the next start
                if self._raw is not None:
                    self._raw.close()  # back to the pool, which the gateway disposes of
                    self._raw = None
                return

    def _drain(self, first: object) -> tuple[list[Entry], bool]:
        batch: list[Entry] = []
        item = first
        while True:
            if item is _STOP:
                return batch, True
            group = item.group  # type: ignore[attr-defined]
            if group is None:
                batch.append(item)  # type: ignore[arg-type]
            else:
                batch.extend(group)
            if len(batch) >= _MAX_BATCH:
                return batch, False
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return batch, False

    def _commit_until_done(self, batch: list[Entry]) -> None:
        # A report may only go out after its change is durable: retry rather than drop or send early.
        started = now_ns()
        while True:
            try:
                self._write(batch)
                break
            except Exception:
                log.exception("journal commit of %d entries failed; retrying", len(batch))
                self._stopping.wait(_RETRY_SECONDS)
        self.batches += 1
        committed = now_ns()
        hops.record("journal write", committed - started)
        reports: list[ClientReport] = []
        for entry in batch:
            if entry.report is not None:
                hops.record("book commit", committed - entry.appended_ns)
                reports.append(entry.report)
            elif entry.action is not None:
                self._deliver_safely(reports)  # what was appended before the action goes out before it
                reports = []
                self._run_safely(entry.action)
        self._deliver_safely(reports)
        self._delivered_through = self._last_id  # recorded with the next batch, or after _MARKER_IDLE_S idle
        with self._progress:
            self._committed += len(batch)
            self._progress.notify_all()

    def _write(self, batch: list[Entry]) -> None:
        latest_orders: dict[str, Row] = {}
        latest_positions: dict[tuple[str, str], Row] = {}
        fills: list[Row] = []
        audit: list[Row] = []
        for entry in batch:
            if entry.order is not None:
                latest_orders[entry.order["order_id"]] = entry.order  # the last snapshot of an order wins
            if entry.position is not None:
                latest_positions[entry.position["account"], entry.position["symbol"]] = entry.position
            if entry.execution is not None:
                fills.append(entry.execution)
            if entry.audit is not None:
                audit.append(entry.audit)
            if entry.report is not None:
                audit.append(self._report_row(entry.report))
        for row in audit:
            self._last_id += 1
            row["id"] = self._last_id
        marker = self._delivered_through
        with self._transaction() as cursor:
            if marker != self._marker_written:
                self._bulk["marker"].run(cursor, [{"name": DELIVERED, "value": marker}])
            self._bulk["orders"].run(cursor, list(latest_orders.values()))
            self._bulk["executions"].run(cursor, fills)
            self._bulk["positions"].run(cursor, list(latest_positions.values()))
            self._bulk["messages"].run(cursor, audit)
        self._marker_written = marker

    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        """A transaction on the writer's own connection; on any error it is rolled back and the connection
        replaced (the batch is then retried whole by ``_commit_until_done``)."""
        if self._raw is None:
            self._raw = self._engine.raw_connection()
            if self._sqlite:  # checkpoints are _checkpoint_loop's
                self._raw.cursor().execute("PRAGMA wal_autocheckpoint=0")
        raw = self._raw
        try:
            cursor = raw.cursor()
            yield cursor
            cursor.close()
            raw.commit()
        except BaseException:
            self._raw = None
            with suppress(Exception):
                raw.rollback()
            with suppress(Exception):
                raw.invalidate()
            raise

    def _marker_behind(self) -> bool:
        return self._delivered_through != self._marker_written

    def _write_marker(self) -> None:
        marker = self._delivered_through
        if marker == self._marker_written:
            return
        try:
            with self._transaction() as cursor:
                self._bulk["marker"].run(cursor, [{"name": DELIVERED, "value": marker}])
            self._marker_written = marker
        except Exception:
            log.exception("could not record delivered reports; a restart may resend some with PossResend=Y")

    def _run_safely(self, action: Callable[[], None]) -> None:
        try:
            action()
        except Exception:
            log.exception("post-commit action failed")

    def _report_row(self, report: ClientReport) -> Row:
        return {"ts_ns": self._clock.now_ns(), "direction": "out", "session": report.session,
                "msg_type": _MSG_TYPES[type(report).__name__], "seq": None,
                "order_id": getattr(report, "order_id", None), "cl_ord_id": report.cl_ord_id,
                "body": msgspec.json.encode(report).decode()}  # fmt: skip

    def _deliver_safely(self, reports: list[ClientReport]) -> None:
        if not reports:
            return
        try:
            self._deliver(reports)  # in one call: the engine takes them with one release of the GIL
        except Exception:
            log.exception("delivery of %d report(s) failed (first: to %s, ClOrdID %s)", len(reports),
                          reports[0].session, reports[0].cl_ord_id)  # fmt: skip


class _Group:
    """The block of ``Journal.atomic``."""

    __slots__ = ("_journal",)

    def __init__(self, journal: Journal) -> None:
        self._journal = journal

    def __enter__(self) -> None:
        self._journal._open_group()

    def __exit__(self, *_: object) -> None:
        self._journal._close_group()  # also after an error: what was applied in memory must be committed


DELIVERED = "delivered_through"
_MSG_TYPES = {"ExecutionReport": "8", "CancelReject": "9", "MassCancelReport": "r", "BusinessReject": "j"}


def _upsert(engine: Engine, table: Any, keys: list[str]) -> Insert:
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table)
    updates = {c.name: statement.excluded[c.name] for c in table.columns if c.name not in keys}
    return statement.on_conflict_do_update(index_elements=keys, set_=updates)  # type: ignore[no-any-return]
