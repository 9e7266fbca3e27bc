"""Retired orders in the book of record, on every database: what a start loads, and the look-up of one."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine

from domain.clock import TestClock
from domain.ids import ClOrdId, OrderId, SessionKey
from domain.order import Order
from oms.store.database import open_database
from oms.store.journal import Journal
from oms.store.retired import RetiredOrders, find_order, open_orders, retired_names
from tests.contract.test_book_store import order_row

S = SessionKey("S")


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    db = open_database(database_url)
    journal = Journal(db, deliver=lambda _: None, clock=TestClock())
    journal.start()
    rows = [
        order_row("O1", status="2", cum="100"),
        order_row("O2"),
        order_row("O3", status="4") | {"updated_ns": 50},
        order_row("O4", status="4") | {"cl_ord_id": "R4", "orig_cl_ord_id": "CO4"},
    ]
    for row in rows:
        journal.append(order=row)
    assert journal.flush()
    journal.stop()
    yield db
    db.dispose()


def test_open_orders_when_loaded_then_working_and_recently_canceled_only(engine: Engine) -> None:
    assert [r["order_id"] for r in open_orders(engine, closed_since_ns=10)] == ["O2", "O3"]
    assert [r["order_id"] for r in open_orders(engine, closed_since_ns=100)] == ["O2"]


def test_retired_names_when_loaded_then_every_cl_ord_id_of_final_orders(engine: Engine) -> None:
    assert sorted(retired_names(engine)) == [(S, "CO1"), (S, "CO3"), (S, "CO4"), (S, "R4")]


def test_find_order_when_named_by_cl_ord_id_orig_or_order_id_then_its_row(engine: Engine) -> None:
    found = [find_order(engine, S, ClOrdId(c), None) for c in ("CO1", "R4", "CO4", "NOPE")]
    assert [r["order_id"] if r else None for r in found] == ["O1", "O4", "O4", None]
    assert find_order(engine, SessionKey("OTHER"), ClOrdId("CO1"), None) is None
    row = find_order(engine, S, None, OrderId("O1"))
    assert row is not None and row["cl_ord_id"] == "CO1"


def test_retired_orders_when_found_then_called_back_under_the_lock_after_the_deferral(engine: Engine) -> None:
    deferred: list[Callable[[], None]] = []
    lock = threading.RLock()
    answers: list[tuple[Order | None, bool]] = []
    lookup = RetiredOrders(engine, deferred.append, lock)

    lookup.find(S, ClOrdId("CO1"), None, lambda o: answers.append((o, lock._is_owned())))  # type: ignore[attr-defined]
    assert answers == []
    deferred.pop()()

    [(order, locked)] = answers
    assert order is not None and (order.order_id, order.status.value, locked) == ("O1", "2", True)


def test_owed_answers_when_owed_then_read_back_until_answered(database_url: str) -> None:
    from domain.commands import QueryOrder
    from domain.enums import Side
    from domain.ids import Symbol
    from oms.rows import owed_row
    from oms.store.repository import owed_answers

    engine = open_database(database_url)
    journal = Journal(engine, deliver=lambda _: None, clock=TestClock())
    journal.start()
    command = QueryOrder(
        session=S,
        cl_ord_id=ClOrdId("Q1"),
        order_id=OrderId("O1"),
        symbol=Symbol("MSFT"),
        side=Side.BUY,
        ts_received_ns=5,
    )
    journal.append(owe=owed_row("ASK-1-1", command, 5))
    assert journal.flush()
    [owed] = owed_answers(engine)
    journal.append(owed="ASK-1-1")
    assert journal.flush()
    journal.stop()

    assert (owed.key, owed.command) == ("ASK-1-1", command)
    assert owed_answers(engine) == []
    engine.dispose()
