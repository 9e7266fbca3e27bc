"""`fixgw demo --services` books what `fixgw demo` books and tells the client the same."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from sqlalchemy import select

from app.demo import run_demo
from app.services.demo import run_services_demo
from oms.store import repository
from oms.store.database import connect
from oms.store.schema import messages
from tests.integration.conftest import free_port

pytestmark = pytest.mark.integration
ORDER_FIELDS = ("order_id", "cl_ord_id", "account", "symbol", "side", "order_qty", "price", "status", "cum_qty",
                "leaves_qty", "avg_px", "venue", "text")  # fmt: skip


def book(path: Path) -> dict[str, Any]:
    """The book of record of a demo run, without what only the clock decides (times, ExecIDs' stamps)."""
    engine = connect(f"sqlite:///{path / 'fixgw.db'}", read_only=True)
    try:
        with engine.connect() as conn:
            bodies = conn.execute(
                select(messages.c.msg_type, messages.c.body)
                .where(messages.c.direction == "out", messages.c.seq.is_(None), messages.c.session.like("%CLIENT1%"))
                .order_by(messages.c.id)
            ).all()
        return {
            "orders": [{k: r[k] for k in ORDER_FIELDS} for r in repository.load_orders(engine)],
            "fills": sorted((e["order_id"], e["last_qty"], e["last_px"]) for e in repository.load_executions(engine)),
            "positions": sorted((p["account"], p["symbol"], p["qty"]) for p in repository.load_positions(engine)),
            "reports": [(t, _content(json.loads(b))) for t, b in bodies],
        }
    finally:
        engine.dispose()


def _content(report: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in report.items() if not k.endswith(("_ns", "time")) and k != "exec_id"}


@pytest.mark.timeout(180)
def test_demo_when_run_as_services_then_same_book_and_reports_as_the_monolith(tmp_path: Path) -> None:
    # Arrange
    quiet = Console(file=io.StringIO())  # the demo's output is not what is tested

    # Act
    run_demo(quiet, tmp_path / "monolith", free_port(), free_port())
    run_services_demo(quiet, tmp_path / "services", free_port(), free_port())

    # Assert
    monolith, services = book(tmp_path / "monolith"), book(tmp_path / "services")
    assert len(monolith["orders"]) == 6
    assert len(monolith["reports"]) >= 9
    assert services == monolith
