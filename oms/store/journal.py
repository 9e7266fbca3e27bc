"""The journal writer: group commit of the book, then release of the reports that depend on it.

Theory of operation: the order path never waits on SQL. The OMS appends an entry (order snapshot, optional
execution, position and audit rows, optional outbound report) to an in-memory queue and returns. One writer
thread takes every entry that is waiting, writes them in one transaction, commits, and only then hands the
entries' reports to ``deliver``. So a client never hears of an order or a fill that a crash could lose (the book
is committed first), and one commit (one fsync at most) serves every message that arrived meanwhile: under
load the batch grows and the cost per message falls.

When nothing is waiting, the thread that appended commits its unit itself at the end of its ``committing`` block
(the bus's entry into the domain), with no hand-off to the writer: leader/follower group commit, in
``oms.store.commit_queue``. Either way commits take units from the head of one queue under one turn, so they
happen in the order units were queued; a leader that fails hands its units back to the writer, which retries.

Received messages are recorded with ``record_inbound`` *after* their processing has appended its entries,
so the row of message N never commits before what N caused: the highest committed MsgSeqNum of a session is
a safe point to resume that session from after a crash.

No entry can wedge it (issue 12). A batch is made of *units* — an entry, or a group that must commit whole (one
received message: ``atomic``). A failure that heals (the database down, restarting, locked) is retried with
backoff while ``health`` says so and ``accepting`` refuses new orders; a unit the database refuses is found by
halving the batch, set aside in the quarantine table, and the OMS is told (``on_quarantine``): see
``oms.store.quarantine``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy import Engine

from domain.clock import Clock
from domain.commands import Unrecorded
from domain.latency import hops, now_ns
from domain.reports import ClientReport
from oms.store import quarantine
from oms.store.commit_queue import CommitQueue
from oms.store.entry import Entry, Row, Unit, unit_of, units_of
from oms.store.health import CommitHealth
from oms.store.relay import Outbox, Relay
from oms.store.sent import report_rows, sent_row
from oms.store.writer import BatchWriter, Checkpointer

log = logging.getLogger("fixgw.oms.journal")

Deliver = Callable[[list[ClientReport]], Sequence[str | None] | None]
"""Hand committed reports to their sessions, in order; return the FIX text each went out as (None: not sent), or
None to record none."""
_MAX_BATCH = 2000
_MAX_DEPTH = 50_000
"""Entries waiting beyond which new orders are refused: the queue never grows without end while SQL is slow."""
_BACKOFF_S = (0.05, 0.1, 0.2, 0.5, 1.0, 2.0)
_PROBE_AFTER = 3
"""Failures said to heal, in a row, after which a small write checks whether the database takes writes at all."""
_MARKER_IDLE_S = 0.05
"""How long the writer waits, idle, before recording deliveries in a transaction of their own. Not at once: at
window 1 that second commit after every batch kept the writer busy when the next order arrived. A crash in
between only makes a restart send those reports again with PossResend=Y."""


class Journal:
    """Persist book changes in batches and release their reports after commit."""

    def __init__(
        self,
        engine: Engine,
        deliver: Deliver,
        clock: Clock,
        on_quarantine: Callable[[Unrecorded], None] | None = None,
        outbox: Outbox | None = None,
    ) -> None:
        """``deliver`` sends the reports of a committed batch, in their order (the client sessions' engine), and
        says what text each went out as (recorded with the next commit: ``oms.store.sent``); ``on_quarantine`` is
        told of every unit the book refused (the OMS answers its sender); ``outbox``, when given, relays the reports
        instead of ``deliver`` (the services deployment: the messages table's report rows are the outbox, and
        ``delivered_through`` the relay's position; no sent text is recorded, the edge sends them)."""
        self._engine = engine
        self._deliver = deliver
        self._relay = None if outbox is None else Relay(outbox, self._relayed)
        self._clock = clock
        self._on_quarantine = on_quarantine
        self._queue = CommitQueue(self._lead)
        self._appended = 0
        self._committed = 0
        self._lock = self._queue.lock
        self._running = False
        self._handed_over = False
        """A leader could not commit: the writer retries, and nobody leads until it has committed."""
        self._last_commit = time.monotonic()
        self._progress = threading.Condition()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="journal-writer", daemon=True)
        self._writer = BatchWriter(engine, clock)
        self._checkpointer = Checkpointer(engine) if self._writer.sqlite else None
        self.undelivered_from = self._writer.undelivered_from
        """Outbound rows above this id were committed but maybe never handed to their session (read at start)."""
        self._group: list[Entry] | None = None
        self._group_depth = 0
        self.batches = 0
        """How many transactions have been committed (for benchmarks)."""
        self.led = 0
        """Batches a receiving thread committed itself (``[database] commit = "leader"``), of ``batches``."""
        self._health = CommitHealth(clock, quarantine.count(engine))

    # -- the order path's side -------------------------------------------------------------------

    def start(self) -> None:
        """Start the writer thread (and, on SQLite, the checkpointer; with an outbox, its relay)."""
        if self._relay is not None:
            self._relay.start()
        self._thread.start()
        self._running = True
        if self._checkpointer is not None:
            self._checkpointer.start()

    def append(
        self,
        *,
        order: Row | None = None,
        execution: Row | None = None,
        report: ClientReport | None = None,
        position: Row | None = None,
        audit: Row | None = None,
        owe: Row | None = None,
        owed: str | None = None,
    ) -> None:
        """Queue one change; ``report`` is delivered once the change is committed. ``owe`` records an answer owed
        (``pending_lookups``), ``owed`` the key of one given now."""
        self._put(
            Entry(order, execution, position, audit, report, appended_ns=now_ns() if report else 0, owe=owe, owed=owed)
        )

    def set_state(self, name: str, value: int) -> None:
        """Write ``journal_state`` ``name`` = ``value`` with the transaction of what is appended around it (inside
        ``atomic``: the same one)."""
        self._put(Entry(state={"name": name, "value": value}))

    def relay_early(self, early: Outbox) -> None:
        """With an outbox: also give each committed batch's reports to ``early`` on the writer thread, at once (the
        services' fast path; ``Relay.early``)."""
        if self._relay is not None:
            self._relay.early = early

    def after_commit(self, action: Callable[[], None]) -> None:
        """Run ``action`` on the writer thread once everything appended before it is committed."""
        self._put(Entry(action=action))

    def record_inbound(
        self, session: str, seq: int, msg_type: str, cl_ord_id: str | None, body: str, received_ns: int
    ) -> None:
        """Queue the audit row of a received application message (call after processing it)."""
        row = {
            "ts_ns": received_ns,
            "direction": "in",
            "session": session,
            "msg_type": msg_type,
            "seq": seq,
            "order_id": None,
            "cl_ord_id": cl_ord_id,
            "body": body,
            "sent_from": None,
        }
        self._put(Entry(audit=row))

    def record_sent(
        self, session: str, raw: str, sent_ns: int, *, order_id: str | None = None, sent_from: int | None = None
    ) -> None:
        """Record ``raw``, a message as ``session`` sent it at ``sent_ns`` (when it was handed to the session), with
        the next transaction (``oms.store.sent``); any thread. ``sent_from``: the JSON row of the report it was
        sent from; ``order_id``: the order it is about."""
        self._writer.sent([sent_row(session, raw, sent_ns, order_id=order_id, sent_from=sent_from)])

    def atomic(self) -> _Group:
        """Make everything appended inside ``with journal.atomic():`` commit in one transaction.

        For changes that are true only together, such as both sides of a trade at the internal venue, whose
        book is rebuilt from this one. Nested blocks join the outermost.
        """
        return _Group(self)

    def accepting(self) -> str | None:
        """None while new orders may come; else why not (the book cannot commit, or too much is waiting)."""
        if not self._health.ok:
            return f"book of record unavailable ({self._health.last_error}); new orders are refused until it recovers"
        if self._appended - self._committed > _MAX_DEPTH:
            return f"book of record is {self._appended - self._committed} changes behind; retry shortly"
        return None

    def health(self) -> dict[str, Any]:
        """The journal's state for ``/health``: ok or failing (since when, why), queue depth, quarantined units."""
        health = self._health
        return {
            "state": "ok" if health.ok else "failing",
            "failing_since_ns": health.failing_since_ns,
            "last_error": health.last_error,
            "last_commit_ns": health.last_commit_ns,
            "queue_depth": self._appended - self._committed,
            "quarantined": health.quarantined,
        }

    @property
    def committed(self) -> int:
        """Entries committed (and their reports handed to the sessions) since the journal started."""
        return self._committed

    @property
    def last_error(self) -> str | None:
        """Why the last commit failed, while it is failing."""
        return self._health.last_error

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

    def committing(self) -> AbstractContextManager[None]:
        """A block at whose end this thread commits what it queued in it, when nobody is committing then (leader/
        follower: ``oms.store.commit_queue``); else the writer does, with whatever else is waiting. The bus wraps
        every entry into the domain in one, outside its lock."""
        return self._queue.section()

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until everything appended so far is committed and delivered; False on timeout."""
        target = self._appended
        if self._queue.holding():  # a unit this thread queued in a section it is still in: the writer takes it
            self._queue.wake()  # (only then: a wake-up for nothing costs the order path a thread switch)
        with self._progress:
            return self._progress.wait_for(lambda: self._committed >= target, timeout)

    def stop(self, timeout: float = 10.0) -> None:
        """Commit what is queued, then stop the writer."""
        self._stopping.set()  # a retry waiting out its backoff gives up: what is queued is lost only in memory
        self._running = False  # nobody leads any more: what is queued before the stop is the writer's
        if self._thread.is_alive():
            self._queue.stop()
            self._thread.join(timeout)
        if self._relay is not None:  # after the writer: what it committed last is relayed too, then recorded so
            self._relay.stop(timeout)
            self._write_marker()  # a clean stop leaves nothing to relay again at the next start
            self._writer.close()
        if self._checkpointer is not None:
            self._checkpointer.stop(timeout)

    # -- the writer thread -------------------------------------------------------------------------

    def _run(self) -> None:
        queue = self._queue
        while True:
            # Idle for a moment with deliveries not yet recorded: record them (one small transaction). A leader's
            # commit leaves the marker behind without waking the writer, so once leaders commit the writer polls.
            idle = _MARKER_IDLE_S if self.led or self._writer.marker_behind else None
            if not queue.wait(idle) and not self._marker_due():
                continue
            with queue.turn:
                items, stop = queue.take(_MAX_BATCH)
                if items:
                    self._commit_and_deliver(units_of(items))
                elif stop:
                    self._write_marker()  # a clean stop leaves nothing to send again at the next start
                    self._writer.close()
                    return
                elif self._marker_due():
                    self._write_marker()
            if items:  # once the turn is free: whoever waited for these then finds nobody committing
                self._progressed(items)

    def _marker_due(self) -> bool:
        return self._writer.marker_behind and time.monotonic() - self._last_commit >= _MARKER_IDLE_S

    def _lead(self) -> None:
        """At the end of a section that queued units: commit them on this thread if nobody is committing (and the
        database was taking writes), else leave them to the writer."""
        queue = self._queue
        if not (self._running and self._health.ok and not self._handed_over and self._writer.connected):
            queue.wake()  # the first commit opens the connection, and a failing database is retried: the writer's
            return
        if not queue.claim():  # under load (or probing for it): the writer takes these with what else waits
            return
        try:
            items, stop = queue.take(_MAX_BATCH)
            if not items:
                return
            started = now_ns()
            try:
                self._writer.write([entry for item in items for entry in unit_of(item)], leader=True)
            except Exception:  # noqa: BLE001 - the writer retries, classifies and, if need be, quarantines
                self._handed_over = True
                queue.put_back(items)
                return
            self.led += 1
            self._committed_ok()
            self._deliver_committed(units_of(items), started)
        finally:
            queue.turn.release()
        self._progressed(items)
        if stop or queue.pending():  # more than one batch was waiting, or a stop: the writer takes the rest
            queue.wake()

    def _commit_and_deliver(self, units: list[Unit]) -> None:
        # A report may only go out after its change is durable: retry rather than drop or send early.
        started = now_ns()
        self._deliver_committed(self._commit(units), started)

    def _deliver_committed(self, committed: list[Unit], started: int) -> None:
        """Run the committed units' actions and hand their reports on, in their order (the caller holds the turn)."""
        done = now_ns()
        self._last_commit = time.monotonic()
        hops.record("journal write", done - started)
        reports: list[Entry] = []
        for unit in committed:
            for entry in unit:
                if entry.report is not None:
                    hops.record("book commit", done - entry.appended_ns)
                    reports.append(entry)
                elif entry.action is not None:
                    self._deliver_safely(reports)  # what was appended before the action goes out before it
                    reports = []
                    self._run_safely(entry.action)
        self._deliver_safely(reports)
        if self._relay is not None:  # delivered once relayed: the relay moves the marker (_relayed)
            self._relay.put([], [], self._writer.last_id)
        else:
            self._writer.deliveries_done()  # recorded with the next batch, or after _MARKER_IDLE_S idle

    def _progressed(self, items: list[Entry]) -> None:
        """These items, taken from the queue, are done: committed and delivered, or quarantined."""
        with self._progress:
            self._committed += sum(len(unit_of(item)) for item in items)
            self._progress.notify_all()

    def _commit(self, units: list[Unit]) -> list[Unit]:
        """Commit ``units`` in their order; return those committed (all but any the database refuses)."""
        failures = 0
        while True:
            try:
                self._writer.write([entry for unit in units for entry in unit])
            except Exception as exc:  # noqa: BLE001 - whatever the driver raises is classified right here
                heals = quarantine.heals(exc, self._writer.dbapi, self._writer.sqlite)
                if heals and (failures < _PROBE_AFTER or not self._probe()):
                    self._health.failed(exc, failures)
                    if self._stopping.wait(_BACKOFF_S[min(failures, len(_BACKOFF_S) - 1)]):
                        return []  # stopping: what is queued was never acknowledged to anyone
                    failures += 1
                    continue
                return self._isolate(units, exc)
            self._committed_ok()
            return units

    def _committed_ok(self) -> None:
        """A batch is committed, by the writer or a leader: count it; the book is healthy and leaders may lead."""
        self.batches += 1
        self._health.committed()
        self._handed_over = False

    def _isolate(self, units: list[Unit], exc: Exception) -> list[Unit]:
        """The database refuses this batch: commit each half on its own, down to the unit it refuses."""
        if len(units) == 1:
            self._quarantine(units[0], exc)
            return []
        middle = len(units) // 2
        return self._commit(units[:middle]) + self._commit(units[middle:])

    def _quarantine(self, unit: Unit, exc: Exception) -> None:
        row = quarantine.quarantine_row(unit, exc, self._clock.now_ns())
        for attempt in range(len(_BACKOFF_S) * 10):
            try:
                quarantine_id = quarantine.save(self._engine, row)
                break
            except Exception:
                log.exception("could not write quarantine row (attempt %d); retrying", attempt + 1)
                if self._stopping.wait(_BACKOFF_S[min(attempt, len(_BACKOFF_S) - 1)]):
                    return
        else:  # it is kept in the log at least: the journal must go on
            log.error("quarantine row lost, the unit was: %s", row)
            quarantine_id = 0
        self._health.quarantined += 1
        log.error(
            "quarantined Q%d: the book of record refused the changes of %s %s seq %s (orders %s): %s",
            quarantine_id,
            row["session"],
            row["msg_type"],
            row["seq"],
            row["order_ids"],
            row["error"],
        )
        if self._on_quarantine is not None:
            self._run_safely(lambda: self._on_quarantine(quarantine.unrecorded(row, quarantine_id)))  # type: ignore[misc]

    def _probe(self) -> bool:
        """Whether the database takes a small write now (then a failure said to heal is the batch's own)."""
        try:
            self._writer.write_marker()
        except Exception:  # noqa: BLE001 - any failure means no
            return False
        return True

    def _write_marker(self) -> None:
        if not self._writer.marker_behind:
            return
        try:
            self._writer.write_marker()
        except Exception:
            log.exception("could not record delivered reports; a restart may resend some with PossResend=Y")

    def _run_safely(self, action: Callable[[], None]) -> None:
        try:
            action()
        except Exception:
            log.exception("post-commit action failed")

    def _deliver_safely(self, entries: list[Entry]) -> None:
        if not entries:
            return
        reports: list[ClientReport] = [entry.report for entry in entries]  # type: ignore[misc]
        if self._relay is not None:
            ids = [entry.report_row["id"] for entry in entries]  # type: ignore[index]
            self._relay.put(reports, ids, 0)
            return
        sent_ns = self._clock.now_ns()
        try:
            texts = self._deliver(reports)  # in one call: the engine takes them with one release of the GIL
        except Exception:
            log.exception(
                "delivery of %d report(s) failed (first: to %s, ClOrdID %s)",
                len(reports),
                reports[0].session,
                reports[0].cl_ord_id,
            )
            return
        if texts:  # after the sends: what each went out as, for the audit trail
            self._writer.sent(report_rows([entry.report_row for entry in entries], texts, sent_ns))

    def _relayed(self, row_id: int) -> None:
        """On the relay's thread: every outbound row up to ``row_id`` has been handed on."""
        self._writer.relayed_through(row_id)


class _Group:
    """The block of ``Journal.atomic``."""

    __slots__ = ("_journal",)

    def __init__(self, journal: Journal) -> None:
        self._journal = journal

    def __enter__(self) -> None:
        self._journal._open_group()

    def __exit__(self, *_: object) -> None:
        self._journal._close_group()  # also after an error: what was applied in memory must be committed
