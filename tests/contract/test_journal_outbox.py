"""The journal as the services' core uses it: a consumer's applied stream sequence commits with the changes, and
committed reports go to the outbox relay with the ids of their rows (their Nats-Msg-Id), on SQLite and
PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, select

from domain.clock import TestClock
from domain.reports import ClientReport
from oms.store import repository
from oms.store.database import open_database
from oms.store.journal import Journal
from oms.store.recovery import recover
from oms.store.schema import messages
from tests.factories import execution_report


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    db = open_database(database_url)
    yield db
    db.dispose()


def test_journal_when_state_set_in_a_group_then_committed_with_it(engine: Engine) -> None:
    relayed: list[tuple[ClientReport, int]] = []
    journal = Journal(
        engine, deliver=lambda _: None, clock=TestClock(), outbox=lambda r, i: relayed.extend(zip(r, i, strict=True))
    )
    journal.start()
    with journal.atomic():
        journal.append(report=execution_report())
        journal.record_inbound("S", 3, "D", "C1", "8=FIX.4.4|35=D|", 1)
        journal.set_state("core-0", 41)
    with journal.atomic():
        journal.set_state("core-0", 42)
    assert journal.flush()
    journal.stop()

    assert repository.journal_value(engine, "core-0") == 42
    assert repository.journal_value(engine, "never-written") == 0
    with engine.connect() as conn:
        out_ids = conn.execute(select(messages.c.id).where(messages.c.direction == "out")).scalars().all()
    assert [(type(r), i) for r, i in relayed] == [(type(execution_report()), out_ids[0])]


def test_journal_when_relay_fails_then_retried_and_never_marked_delivered_before(engine: Engine) -> None:
    calls: list[int] = []

    def flaky(reports: list[ClientReport], ids: list[int]) -> None:
        calls.append(len(reports))
        if len(calls) == 1:
            raise ConnectionError("JetStream away")

    journal = Journal(engine, deliver=lambda _: None, clock=TestClock(), outbox=flaky)
    journal.start()
    journal.append(report=execution_report())
    assert journal.flush(timeout=10)
    journal.stop()

    assert calls == [1, 1]
    assert recover(engine, 0, {}).undelivered == []  # delivered once relayed: nothing to send again at start
