"""The journal's atomic groups on every database: nothing of a group commits before all of it, in one transaction."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from domain.clock import TestClock
from oms.store import repository
from oms.store.database import open_database
from oms.store.journal import Journal
from tests.contract.test_book_store import execution_row, order_row


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    db = open_database(database_url)
    yield db
    db.dispose()


def test_atomic_when_block_open_then_nothing_of_it_commits_until_it_ends(engine: Engine) -> None:
    journal = Journal(engine, deliver=lambda _: None, clock=TestClock())
    journal.start()
    journal.append(order=order_row("O1"))

    with journal.atomic():
        journal.append(order=order_row("O1", status="1", cum="40"), execution=execution_row("X1", "E1"))
        with journal.atomic():  # nested: joins the outer group
            journal.append(order=order_row("O2"))
        assert journal.flush()  # everything appended outside the group is committed; the group is not queued
        assert [(r["order_id"], r["status"]) for r in repository.load_orders(engine)] == [("O1", "0")]
        assert repository.load_executions(engine) == []
    assert journal.flush()
    journal.stop()

    assert [(r["order_id"], r["status"]) for r in repository.load_orders(engine)] == [("O1", "1"), ("O2", "0")]
    assert [e["venue_exec_id"] for e in repository.load_executions(engine)] == ["E1"]


def test_atomic_when_group_is_larger_than_a_batch_then_one_transaction(engine: Engine) -> None:
    journal = Journal(engine, deliver=lambda _: None, clock=TestClock())
    with journal.atomic():
        for n in range(1, 2502):  # more than the writer takes in one batch (2,000)
            journal.append(order=order_row(f"O{n}"))
    journal.start()
    assert journal.flush()
    journal.stop()

    assert journal.batches == 1
    assert len(repository.load_orders(engine)) == 2501
