"""Arrival prices in the book of record, on every database: the columns round-trip exactly (NULL too), and a book
at the previous revision upgrades with its orders kept and their arrival prices NULL (issue 15)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import inspect, select

from domain.clock import TestClock
from oms.store import repository
from oms.store.database import connect, current_revision, head_revision, open_database, upgrade
from oms.store.journal import Journal
from oms.store.schema import orders
from tests.contract.test_book_store import order_row

BEFORE = "0007"
"""The revision before the arrival prices."""


def test_journal_when_orders_carry_arrival_prices_then_they_read_back_exactly_and_null_stays_null(
    database_url: str,
) -> None:
    engine = open_database(database_url)
    journal = Journal(engine, deliver=lambda _: None, clock=TestClock())
    journal.start()
    journal.append(order=order_row("O1") | {"arrival_bid": Decimal("100.000000000001"), "arrival_ask": Decimal("1E+3")})
    journal.append(order=order_row("O2") | {"arrival_bid": Decimal("99.5"), "arrival_ask": None})
    journal.append(order=order_row("O3") | {"arrival_bid": None, "arrival_ask": None})
    journal.append(order=order_row("O1", status="1", cum="40") | {"arrival_bid": Decimal("100.000000000001")})
    assert journal.flush()
    journal.stop()

    found = {row["order_id"]: (row["arrival_bid"], row["arrival_ask"]) for row in repository.load_orders(engine)}
    restored = repository.order_from_row(repository.find_order(engine, "O2") or {})
    engine.dispose()

    assert found == {
        "O1": (Decimal("100.000000000001"), None),  # the last row of an order is the one that stands
        "O2": (Decimal("99.5"), None),
        "O3": (None, None),
    }
    assert (restored.arrival_bid, restored.arrival_ask) == (Decimal("99.5"), None)


def test_upgrade_when_book_at_previous_revision_then_orders_kept_and_arrival_prices_null(database_url: str) -> None:
    engine = connect(database_url)
    upgrade(engine, BEFORE)
    old = {k: v for k, v in order_row("O1").items() if not k.startswith("arrival_")}
    with engine.begin() as conn:
        conn.execute(orders.insert().values(old))  # the columns a book at 0007 has

    upgrade(engine)

    with engine.connect() as conn:
        row = conn.execute(select(orders)).one()._mapping
    columns = {c["name"]: c["nullable"] for c in inspect(engine).get_columns("orders")}
    assert current_revision(engine) == head_revision()
    engine.dispose()
    assert (row["order_id"], row["price"], row["arrival_bid"], row["arrival_ask"]) == (
        "O1",
        Decimal("100.123456789"),
        None,
        None,
    )
    assert (columns["arrival_bid"], columns["arrival_ask"]) == (True, True)
