"""The orders table's indexes on every database: only those a query reads (each one costs every commit that writes
an order a page: issue 19), and a book at the previous revision upgrades with its orders kept."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect, select

from oms.store import retired
from oms.store.database import _alembic_config, connect, current_revision, head_revision, upgrade
from oms.store.schema import orders
from tests.contract.test_book_store import order_row

BEFORE = "0011"
"""The revision before ix_orders_venue_cl_ord_id was dropped."""


def test_upgrade_when_book_at_previous_revision_then_venue_index_dropped_and_orders_kept(database_url: str) -> None:
    engine = connect(database_url)
    upgrade(engine, BEFORE)
    with engine.begin() as conn:
        conn.execute(orders.insert().values(order_row("O1")))
    before = {index["name"] for index in inspect(engine).get_indexes("orders")}

    upgrade(engine)

    after = {index["name"] for index in inspect(engine).get_indexes("orders")}
    with engine.connect() as conn:
        kept = conn.execute(select(orders.c.order_id, orders.c.cl_ord_id)).all()
    found = retired.find_order(engine, order_row("O1")["session"], order_row("O1")["cl_ord_id"], None)
    assert current_revision(engine) == head_revision()
    engine.dispose()
    assert before - after == {"ix_orders_venue_cl_ord_id"}
    assert "ix_orders_session_cl_ord_id" in after  # what a retired order is looked up by (oms.store.retired)
    assert [tuple(row) for row in kept] == [("O1", order_row("O1")["cl_ord_id"])]
    assert found is not None and found["order_id"] == "O1"


def test_downgrade_when_at_head_then_venue_index_back(database_url: str) -> None:
    engine = connect(database_url)
    upgrade(engine)

    with engine.begin() as conn:
        command.downgrade(_alembic_config(engine, conn), BEFORE)
    names = {index["name"] for index in inspect(engine).get_indexes("orders")}
    engine.dispose()
    assert "ix_orders_venue_cl_ord_id" in names
