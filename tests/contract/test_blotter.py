"""The dashboard's queries over the book of record, on SQLite and PostgreSQL: working orders from a seq on, the
newest fills first."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from sqlalchemy import Engine

from oms.store.blotter import recent_fills, working_orders
from oms.store.database import open_database
from oms.store.schema import executions, orders
from tests.contract.test_book_store import execution_row, order_row


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    db = open_database(database_url)
    yield db
    db.dispose()


def test_working_orders_when_some_done_then_only_working_from_the_seq_on(engine: Engine) -> None:
    rows = [order_row("O1"), order_row("O2", status="2", cum="100"), order_row("O3", status="1", cum="40")]
    rows += [order_row("O4", status="A"), order_row("O5", status="4"), order_row("O6", status="6")]
    with engine.begin() as conn:
        conn.execute(orders.insert(), rows)

    assert [r["order_id"] for r in working_orders(engine, 0)] == ["O1", "O3", "O4", "O6"]
    assert [r["order_id"] for r in working_orders(engine, 4)] == ["O4", "O6"]


def test_recent_fills_when_many_then_newest_first_up_to_the_limit(engine: Engine) -> None:
    fills = [execution_row(f"X{n}", f"E{n}") | {"ts_ns": n, "last_qty": Decimal(n)} for n in (3, 1, 4, 2)]
    with engine.begin() as conn:
        conn.execute(executions.insert(), fills)

    assert [f["exec_id"] for f in recent_fills(engine, 3)] == ["X4", "X3", "X2"]
