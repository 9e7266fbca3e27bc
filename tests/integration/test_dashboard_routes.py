"""The admin routes the dashboard reads, on a running gateway: every session with its role and counters, and each
hop's latency histogram after an order."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.admin import AdminClient
from domain.enums import Side
from tests.integration.conftest import System

pytestmark = pytest.mark.integration


def test_sessions_when_gateway_running_then_every_session_with_role_state_and_counters(system: System) -> None:
    status, answer = AdminClient(system.gateway.config.admin_token_path()).call("GET", "/sessions")

    assert status == 200
    rows = {row["session"]: row for row in answer["sessions"]}
    roles = {name: row["role"] for name, row in rows.items()}
    assert roles == {
        "FIX.4.4:FIXGW->CLIENT1": "client",
        "FIX.4.4:FIXGW->VENUE": "venue",
        "FIX.4.4:FIXGW->VENUEMD": "marketdata",
    }
    client = rows["FIX.4.4:FIXGW->CLIENT1"]
    assert client["logged_on"] is True and isinstance(client["since_ns"], int)
    assert client["messages_in"] >= 1 and client["next_target_seq"] >= 2
    assert set(client) == {
        "session",
        "role",
        "logged_on",
        "since_ns",
        "next_sender_seq",
        "next_target_seq",
        "messages_in",
        "messages_out",
        "last_heartbeat_ns",
    }


def test_hop_histogram_when_order_traded_then_its_hops_counted(system: System) -> None:
    system.client.send_order("H-1", "MSFT", Side.BUY, Decimal(10), Decimal("100.05"))
    system.client.wait_for(lambda m: m.get(11) == "H-1" and m.get(39) == "2")
    system.gateway.journal.flush()

    status, answer = AdminClient(system.gateway.config.admin_token_path()).call("GET", "/metrics/hops/recent")

    assert status == 200
    assert answer["hops"] and all(len(h["buckets"]) == len(answer["edges_us"]) + 1 for h in answer["hops"].values())
    assert all(sum(h["buckets"]) >= 1 and h["count"] >= 1 and h["p99"] > 0 for h in answer["hops"].values())
