"""The admin routes the dashboard reads, on a running gateway: the risk denials by check, and each hop's recent
latency after an order."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.admin import AdminClient
from domain.enums import Side
from tests.integration.conftest import System

pytestmark = pytest.mark.integration


def test_denials_when_risk_refused_orders_then_counted_by_check(system: System) -> None:
    system.client.send_order("D-1", "MSFT", Side.BUY, Decimal(6000), Decimal("100"))  # ACCT1: max 5000
    system.client.send_order("D-2", "XYZ", Side.BUY, Decimal(1), Decimal("10"))
    system.client.wait_for(lambda m: m.get(11) == "D-2" and m.get(39) == "8")

    status, answer = AdminClient(system.gateway.config.admin_token_path()).call("GET", "/risk/denials")

    assert status == 200
    assert answer["denials"] == {"max_order_qty": 1, "unknown_symbol": 1}
    assert {"max_order_qty", "unknown_symbol", "kill_switch"} <= set(answer["checks"])


def test_recent_hops_when_order_traded_then_each_hop_summed(system: System) -> None:
    system.client.send_order("H-1", "MSFT", Side.BUY, Decimal(10), Decimal("100.05"))
    system.client.wait_for(lambda m: m.get(11) == "H-1" and m.get(39) == "2")
    system.gateway.journal.flush()

    status, answer = AdminClient(system.gateway.config.admin_token_path()).call("GET", "/metrics/hops/recent")

    assert status == 200
    assert answer["hops"] and all(len(h["buckets"]) == len(answer["edges_us"]) + 1 for h in answer["hops"].values())
    assert all(sum(h["buckets"]) >= 1 and h["count"] >= 1 and h["p99"] > 0 for h in answer["hops"].values())
