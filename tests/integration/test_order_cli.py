"""``fixgw order`` over a book the gateway wrote: times people read, the integers in JSON."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

import pytest

from app.display import utc_time
from domain.enums import Side
from oms.store.schema import executions, messages, orders
from tests.integration.conftest import System
from tests.integration.test_cli import fixgw

pytestmark = pytest.mark.integration
NS_EPOCH = re.compile(r"\b1\d{18}\b")
"""A time in ns since the epoch, as the book keeps it (19 digits from 2001 to 2286)."""


def _filled(system: System, cl_ord_id: str) -> str:
    """Trade ``cl_ord_id`` (10 MSFT, filled at once); return the book's URL once everything is committed."""
    system.client.send_order(cl_ord_id, "MSFT", Side.BUY, Decimal(10), Decimal("100.05"))
    system.client.wait_for(lambda m: m.get(11) == cl_ord_id and m.get(39) == "2")
    assert system.gateway.journal.flush()
    return system.gateway.config.database_url()


def _order(url: str, key: str, *flags: str) -> str:
    result = fixgw("order", key, "--db", url, *flags)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_order_when_shown_then_times_in_utc_and_no_ns_epoch(system: System) -> None:
    url = _filled(system, "TIME-1")

    text = _order(url, "TIME-1")
    life: dict[str, Any] = json.loads(_order(url, "TIME-1", "--json"))

    order = life["order"]
    assert f"Booked {utc_time(order['created_ns'])} UTC, last changed {utc_time(order['updated_ns'])} UTC" in text
    assert life["executions"] and all(utc_time(e["ts_ns"]) in text for e in life["executions"])
    assert len(life["messages"]) >= 4 and all(utc_time(m["ts_ns"]) in text for m in life["messages"])
    assert all(str(ns) not in text for ns in [order["created_ns"], *(m["ts_ns"] for m in life["messages"])])


def test_order_when_json_then_integers_kept_and_nothing_added(system: System) -> None:
    url = _filled(system, "TIME-2")

    life: dict[str, Any] = json.loads(_order(url, "TIME-2", "--json"))

    assert list(life) == ["order", "executions", "messages"]
    assert set(life["order"]) == {c.name for c in orders.columns}
    assert all(set(e) == {c.name for c in executions.columns} for e in life["executions"])
    assert all(set(m) == {c.name for c in messages.columns} for m in life["messages"])
    times = [life["order"]["created_ns"], *(e["ts_ns"] for e in life["executions"])]
    times += [m["ts_ns"] for m in life["messages"]]
    assert all(isinstance(t, int) and NS_EPOCH.fullmatch(str(t)) for t in times)
