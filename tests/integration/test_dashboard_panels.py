"""The dashboard's blotter over a book of record (SQLite, read-only, no gateway): an old working order stays shown
however many orders came after it, and leaves once it stops working; the newest orders of any status are shown."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import update

from app.config import DatabaseConfig, GatewayConfig
from app.dashboard import panels
from app.dashboard.panels import Panels, Sources
from oms.store.database import open_database
from oms.store.schema import orders
from tests.contract.test_book_store import order_row

pytestmark = pytest.mark.integration


def test_blotter_when_old_order_still_works_then_shown_until_it_is_done(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(panels, "RECENT_ORDERS", 2)
    url = f"sqlite:///{tmp_path / 'book.db'}"
    book = open_database(url)
    with book.begin() as conn:
        conn.execute(orders.insert(), [order_row("O1"), *(order_row(f"O{n}", status="2") for n in range(2, 7))])
    blotter = Panels(Sources(GatewayConfig(database=DatabaseConfig(url=url), base_dir=tmp_path), who="t"))

    first = blotter.read(["orders"])["orders"]
    with book.begin() as conn:
        conn.execute(orders.insert(), [order_row("O7", status="2"), order_row("O8", status="8")])
    second = blotter.read(["orders"])["orders"]
    with book.begin() as conn:
        conn.execute(update(orders).where(orders.c.order_id == "O1").values(status="4"))
        conn.execute(orders.insert(), [order_row("O9")])
    third = blotter.read(["orders"])["orders"]
    book.dispose()

    assert [o["order_id"] for o in first["orders"]] == ["O6", "O5", "O1"] and first["working"] == 1
    assert [o["order_id"] for o in second["orders"]] == ["O8", "O7", "O1"] and second["orders"][-1]["working"]
    assert [o["order_id"] for o in third["orders"]] == ["O9", "O8"] and third["working"] == 1
    assert (third["orders"][0]["status"], third["orders"][1]["status"]) == ("NEW", "REJECTED")
