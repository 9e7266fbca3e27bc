"""Each session's state, sequence numbers and message counts, as the operator's views read them."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.enums import Side
from domain.ids import SessionKey
from tests.integration.conftest import System

pytestmark = pytest.mark.integration
CLIENT = SessionKey("FIX.4.4:FIXGW->CLIENT1")


def test_stats_when_order_traded_then_counts_and_sequence_numbers_follow(system: System) -> None:
    before = system.gateway.clients.app.stats()[CLIENT]
    system.client.send_order("ST-1", "MSFT", Side.BUY, Decimal(10), Decimal("100.05"))
    system.client.wait_for(lambda m: m.get(11) == "ST-1" and m.get(39) == "2")
    system.gateway.journal.flush()

    after = system.gateway.clients.app.stats()[CLIENT]

    assert after["logged_on"] is True and isinstance(after["since_ns"], int)
    assert after["messages_in"] == before["messages_in"] + 1  # the NewOrderSingle
    assert after["messages_out"] == before["messages_out"] + 2  # 150=0, then 150=F
    assert after["next_target_seq"] == before["next_target_seq"] + 1
    assert after["next_sender_seq"] == before["next_sender_seq"] + 2


def test_stats_when_session_logs_out_then_down_since_then(system: System) -> None:
    system.client.stop()
    assert system.gateway.clients.app.wait_for_logout(CLIENT)

    stats = system.gateway.clients.app.stats()[CLIENT]

    assert stats["logged_on"] is False and isinstance(stats["since_ns"], int)
    assert stats["messages_in"] >= 2  # its Logon and Logout
