"""Leader/follower group commit on every database (``oms.store.commit_queue``): the thread that queued a unit commits
it at the end of its section when nobody is committing; when the writer is busy the unit waits for it and batches
with the rest; commits keep the order units were queued in; a leader that cannot commit hands over to the writer."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from domain.clock import TestClock
from domain.reports import ClientReport
from oms.store import repository
from oms.store.commit_queue import LEAD_AFTER, PROBE_EVERY
from oms.store.database import open_database
from oms.store.journal import Journal
from tests.contract.conftest import sqlite_locked
from tests.contract.test_book_store import order_row
from tests.contract.test_journal_poison import report, wait_until


class Deliveries:
    """What was delivered, in order, and on which thread."""

    def __init__(self) -> None:
        self.orders: list[str] = []
        self.threads: list[str] = []

    def __call__(self, reports: list[ClientReport]) -> None:
        for r in reports:
            self.orders.append(str(getattr(r, "order_id", "")))
            self.threads.append(threading.current_thread().name)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    db = open_database(database_url)
    yield db
    db.dispose()


@contextmanager
def started(engine: Engine, deliveries: Deliveries) -> Iterator[Journal]:
    journal = Journal(engine, deliver=deliveries, clock=TestClock())
    journal.start()
    journal.append(order=order_row("O0"), report=report("O0"))  # the writer's first commit opens the connection
    assert journal.flush()
    try:
        yield journal
    finally:
        journal.stop()


@contextmanager
def writer_busy(journal: Journal) -> Iterator[None]:
    """Hold the writer thread inside a batch (an action after its commit) for the block."""
    inside, release = threading.Event(), threading.Event()
    journal.after_commit(lambda: (inside.set(), release.wait(30)))
    assert inside.wait(30)
    try:
        yield
    finally:
        release.set()


def test_leader_when_writer_idle_then_the_appending_thread_commits_and_delivers_at_the_end_of_its_section(
    engine: Engine,
) -> None:
    deliveries = Deliveries()
    with started(engine, deliveries) as journal:
        batches = journal.batches
        with journal.committing():
            journal.append(order=order_row("O1"), report=report("O1"))
            with journal.committing():  # nested: the outermost section commits
                journal.append(order=order_row("O2"), report=report("O2"))
            assert deliveries.orders == ["O0"]  # nothing before the section ends
        # No flush: committed and delivered on this thread, in one transaction, before the section returned.
        assert journal.committed == 3
        assert journal.batches == batches + 1
        assert deliveries.orders == ["O0", "O1", "O2"]
        assert deliveries.threads[1:] == [threading.current_thread().name] * 2
        assert [r["order_id"] for r in repository.load_orders(engine)] == ["O0", "O1", "O2"]


def test_follower_when_writer_busy_then_units_wait_and_the_writer_commits_them_in_one_batch(engine: Engine) -> None:
    deliveries = Deliveries()
    with started(engine, deliveries) as journal:
        with writer_busy(journal):
            batches = journal.batches
            for n in (1, 2, 3):
                with journal.committing():  # returns at once: the writer holds the turn
                    journal.append(order=order_row(f"O{n}"), report=report(f"O{n}"))
            assert deliveries.orders == ["O0"]
        assert journal.flush()
        assert journal.batches == batches + 1  # the three, together
        assert deliveries.orders == ["O0", "O1", "O2", "O3"]
        assert set(deliveries.threads[1:]) == {"journal-writer"}


def test_leader_when_other_units_wait_then_it_follows_and_they_commit_first_in_one_batch(engine: Engine) -> None:
    deliveries = Deliveries()
    with started(engine, deliveries) as journal:
        queued, done = threading.Event(), threading.Event()

        def other_thread() -> None:
            with journal.committing():  # queued, nobody woken: this thread would lead at the end of its section
                journal.append(order=order_row("O1"), report=report("O1"))
                queued.set()
                done.wait(30)

        other = threading.Thread(target=other_thread, name="other")
        other.start()
        assert queued.wait(30)
        batches = journal.batches
        with journal.committing():  # a unit waits before this one: units come faster than commits
            journal.append(order=order_row("O2"), report=report("O2"))
        assert journal.flush()
        assert deliveries.orders == ["O0", "O1", "O2"]  # queue order, in one transaction, by the writer
        assert deliveries.threads[1:] == ["journal-writer"] * 2
        assert journal.batches == batches + 1
        done.set()
        other.join(30)
        assert journal.flush()
        assert deliveries.orders == ["O0", "O1", "O2"]  # the other thread found nothing left to commit


def test_leader_when_writer_busy_then_a_plain_append_before_it_still_commits_first(engine: Engine) -> None:
    deliveries = Deliveries()
    with started(engine, deliveries) as journal:
        with writer_busy(journal):
            journal.append(order=order_row("O1"), report=report("O1"))  # outside any section: the writer's
            with journal.committing():
                journal.append(order=order_row("O2"), report=report("O2"))
        assert journal.flush()
        assert deliveries.orders == ["O0", "O1", "O2"]


@contextmanager
def connection_cut(engine: Engine, journal: Journal) -> Iterator[None]:
    """PostgreSQL: the journal's connection is terminated, as a database restart does (the server stays up)."""
    pid = journal._writer._raw.driver_connection.info.backend_pid
    admin = create_engine(engine.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    admin.dispose()
    yield


def test_leader_when_database_cannot_commit_then_it_hands_over_and_the_writer_commits_in_order(
    engine: Engine, tmp_path: Path
) -> None:
    deliveries = Deliveries()
    sqlite = engine.dialect.name == "sqlite"
    with started(engine, deliveries) as journal:
        outage: Callable[[], AbstractContextManager[None]]
        if sqlite:
            outage = lambda: sqlite_locked(Path(str(engine.url.database)))  # noqa: E731
        else:
            outage = lambda: connection_cut(engine, journal)  # noqa: E731
        with outage():
            with journal.committing():  # the leader's one attempt fails: the section still returns
                journal.append(order=order_row("O1"), report=report("O1"))
            with journal.committing():  # handed over: nobody leads until the writer has committed
                journal.append(order=order_row("O2"), report=report("O2"))
            if sqlite:  # still locked: the writer retries, says so, and nothing is reported
                assert wait_until(lambda: journal.health()["state"] == "failing", 30), journal.health()
                assert deliveries.orders == ["O0"]
        assert journal.flush(30)
        assert journal.health()["state"] == "ok"
        assert deliveries.orders == ["O0", "O1", "O2"]
        assert deliveries.threads[1] == "journal-writer"  # O2 too on SQLite (on PostgreSQL O1 may be done by then)
        with journal.committing():  # healthy again: the appending thread leads again
            journal.append(order=order_row("O3"), report=report("O3"))
        assert deliveries.orders[-1] == "O3" and deliveries.threads[-1] == threading.current_thread().name
    assert [r["order_id"] for r in repository.load_orders(engine)] == ["O0", "O1", "O2", "O3"]


def test_leader_when_journal_stopped_then_nobody_leads_and_the_stop_commits_what_was_queued(engine: Engine) -> None:
    deliveries = Deliveries()
    with started(engine, deliveries) as journal, writer_busy(journal), journal.committing():
        journal.append(order=order_row("O1"), report=report("O1"))
    assert deliveries.orders == ["O0", "O1"]
    assert [r["order_id"] for r in repository.load_orders(engine)] == ["O0", "O1"]


def test_leader_when_a_unit_followed_then_the_thread_hands_over_until_the_writer_is_found_idle_in_a_row(
    engine: Engine,
) -> None:
    deliveries = Deliveries()
    with started(engine, deliveries) as journal:
        with writer_busy(journal), journal.committing():  # a follower: units come faster than commits
            journal.append(order=order_row("O1"), report=report("O1"))
        assert journal.flush()
        for n in range(2, 2 + LEAD_AFTER):
            with journal.committing():  # the writer is idle, but the thread saw load: it hands over until...
                journal.append(order=order_row(f"O{n}"), report=report(f"O{n}"))
            assert journal.flush()
        # ... LEAD_AFTER units in a row found the writer idle: the last of them was led.
        assert deliveries.threads[1:] == ["journal-writer"] * LEAD_AFTER + [threading.current_thread().name]


def test_leader_when_leading_then_one_unit_in_probe_every_goes_to_the_writer(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Only the probe may hand a unit over here. The writer's idle poll (every _MARKER_IDLE_S once leaders commit)
    # takes whatever is queued when it times out and records deliveries after a pause that long: on a slow commit
    # (PostgreSQL under load) it took a unit or the turn between two sections, and the unit read that as load.
    monkeypatch.setattr("oms.store.journal._MARKER_IDLE_S", 3600.0)
    deliveries = Deliveries()
    with started(engine, deliveries) as journal:
        for n in range(1, 2 * PROBE_EVERY + 1):
            with journal.committing():
                journal.append(order=order_row(f"O{n}"), report=report(f"O{n}"))
            assert journal.flush()  # the probe found nothing behind it: the thread keeps leading
        by_writer = [n for n, thread in enumerate(deliveries.threads) if thread == "journal-writer"]
        assert by_writer == [0, PROBE_EVERY, 2 * PROBE_EVERY]  # O0 (before any section), then each probe
        assert [r["order_id"] for r in repository.load_orders(engine)] == [f"O{n}" for n in range(2 * PROBE_EVERY + 1)]
