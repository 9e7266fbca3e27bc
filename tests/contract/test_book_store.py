"""The book's store on every database: migrations, group-committed journal, exactly-once executions."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from domain.clock import TestClock
from domain.reports import ClientReport
from oms.store import repository
from oms.store.database import current_revision, head_revision, open_database
from oms.store.journal import Journal
from oms.store.schema import executions


def order_row(order_id: str, status: str = "0", cum: str = "0") -> dict[str, Any]:
    return {
        "order_id": order_id,
        "seq": int(order_id[1:]),
        "session": "S",
        "cl_ord_id": f"C{order_id}",
        "orig_cl_ord_id": None,
        "account": "A",
        "symbol": "MSFT",
        "side": "1",
        "ord_type": "2",
        "time_in_force": "0",
        "price": Decimal("100.123456789"),
        "order_qty": Decimal(100),
        "cum_qty": Decimal(cum),
        "leaves_qty": Decimal(100) - Decimal(cum),
        "avg_px": Decimal("100.01"),
        "status": status,
        "venue": "V",
        "venue_cl_ord_id": order_id,
        "venue_order_id": None,
        "ord_rej_reason": None,
        "text": None,
        "requests_sent": 0,
        "pending": None,
        "created_ns": 1,
        "updated_ns": 2,
    }


def execution_row(exec_id: str, venue_exec_id: str) -> dict[str, Any]:
    return {
        "exec_id": exec_id,
        "order_id": "O1",
        "venue": "V",
        "venue_exec_id": venue_exec_id,
        "account": "A",
        "symbol": "MSFT",
        "side": "1",
        "last_qty": Decimal(40),
        "last_px": Decimal("100.01"),
        "ts_ns": 3,
    }


@pytest.fixture
def engine(database_url: str) -> Engine:
    db = open_database(database_url)
    yield db  # type: ignore[misc]
    db.dispose()


def test_open_database_when_empty_then_migrated_to_head(engine: Engine) -> None:
    assert current_revision(engine) == head_revision()


def test_journal_when_changes_appended_then_committed_exactly_and_reports_released_after(engine: Engine) -> None:
    delivered: list[ClientReport] = []
    journal = Journal(engine, deliver=delivered.extend, clock=TestClock())
    journal.start()
    journal.append(order=order_row("O1"))
    journal.append(order=order_row("O1", status="1", cum="40"), execution=execution_row("X1", "E1"))
    journal.record_inbound("S", 7, "D", "CO1", "8=FIX.4.4|35=D|11=CO1|", 5)
    assert journal.flush()
    journal.stop()

    [order] = repository.load_orders(engine)
    assert (order["status"], order["cum_qty"], order["price"]) == ("1", Decimal(40), Decimal("100.123456789"))
    [fill] = repository.load_executions(engine)
    assert (fill["venue_exec_id"], fill["last_px"]) == ("E1", Decimal("100.01"))
    assert repository.last_inbound_seq(engine, "S", since_ns=0) == 7
    assert repository.last_inbound_seq(engine, "S", since_ns=6) is None
    assert delivered == []


def test_executions_when_same_venue_exec_id_twice_then_database_refuses(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(executions.insert(), [execution_row("X1", "E1")])
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(executions.insert(), [execution_row("X2", "E1")])
