"""The whole order path with the book of record on the PostgreSQL server."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from domain.enums import Side
from oms.store import repository
from tests.contract.conftest import postgres_schema_url
from tests.integration.conftest import System, make_config, start_system, stop_system

pytestmark = pytest.mark.integration


@pytest.fixture
def pg_system(tmp_path: Path) -> Iterator[System]:
    for url in postgres_schema_url():
        running = start_system(tmp_path, make_config(tmp_path, database_url=url))
        yield running
        stop_system(running)


def test_order_path_when_book_on_postgresql_then_fills_cancels_and_positions_recorded(pg_system: System) -> None:
    client = pg_system.client
    client.send_order("PG-1", "MSFT", Side.BUY, Decimal(700), Decimal("100.02"))
    client.wait_for(lambda m: m.get(11) == "PG-1" and m.get(39) == "2")
    client.send_order("PG-2", "IBM", Side.SELL, Decimal(10), Decimal("100.50"))
    client.wait_for(lambda m: m.get(11) == "PG-2" and m.get(39) == "0")

    db = pg_system.gateway.db
    assert db.dialect.name == "postgresql"
    rows = {r["cl_ord_id"]: r for r in repository.load_orders(db)}
    assert (rows["PG-1"]["status"], rows["PG-1"]["avg_px"]) == ("2", Decimal("100.01285714"))  # 70009 / 700
    assert rows["PG-2"]["status"] == "0"
    fills = repository.load_executions(db, rows["PG-1"]["order_id"])
    assert [(f["last_qty"], f["last_px"]) for f in fills] == [(500, Decimal("100.01")), (200, Decimal("100.02"))]
    [position] = repository.load_positions(db)
    # NUMERIC(38, 12) on PostgreSQL keeps 12 decimal places of the average cost.
    assert (position["qty"], position["avg_cost"]) == (700, (Decimal(70009) / 700).quantize(Decimal("1e-12")))
