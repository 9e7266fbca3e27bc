"""Message throttles over real sessions: every throttled message gets the reject FIX has for its type (never a
silent drop), the session stays up, and the throttle is lifted live. The gateway's clock is held still, so the
one-second window cannot pass by itself while the test runs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from app.fixclient import Fields
from app.risk_admin import show
from domain.clock import TestClock
from domain.enums import Side
from oms.store import repository
from risk.limits import SessionLimits
from tests.integration.conftest import System, make_config, start_system, stop_system
from tests.integration.test_lifecycle import cancel, cancel_reject, now, replace, report, resting, row
from tests.integration.test_risk_controls import fixgw, settings_for

pytestmark = pytest.mark.integration
THROTTLED = "message rate limit: 2 messages per second for session CLIENT1; retry shortly"


@pytest.fixture
def throttled(tmp_path: Path) -> Iterator[System]:
    config = make_config(tmp_path)
    risk = config.risk.model_copy(update={"sessions": {"*": SessionLimits(max_messages_per_second=2)}})
    running = start_system(tmp_path, config.model_copy(update={"risk": risk}), TestClock())
    yield running
    stop_system(running)


def answer(system: System, msg_type: str, cl_ord_id: str) -> Fields:
    return system.client.wait_for(lambda m: m.get(35) == msg_type and m.get(11, m.get(379)) == cl_ord_id)


def test_throttle_when_over_the_message_rate_then_each_message_type_gets_its_reject_and_the_session_stays_up(
    throttled: System, tmp_path: Path
) -> None:
    ack = resting(throttled, "T1")  # message 1 of 2
    throttled.client.send_fields("H", [(11, "T1"), (55, "MSFT"), (54, "1")])  # message 2 of 2
    report(throttled, "T1", "I")

    throttled.client.send_order("T2", "MSFT", Side.BUY, Decimal(5), Decimal("99.50"))
    new = report(throttled, "T2", "8")
    cancel(throttled, "T1-C", "T1")
    canceled = cancel_reject(throttled, "T1-C")
    replace(throttled, "T1-R", "T1", "20", "99.50")
    replaced = cancel_reject(throttled, "T1-R")
    throttled.client.send_fields("H", [(11, "T1-H"), (55, "MSFT"), (54, "1")])
    status = answer(throttled, "j", "T1-H")
    throttled.client.send_fields("q", [(11, "T-MASS"), (530, "7"), (60, now())])
    mass = answer(throttled, "r", "T-MASS")

    assert (new[39], new[103], new[37], new[58]) == ("8", "99", "NONE", THROTTLED)
    assert (canceled[434], canceled[102], canceled[37], canceled[39], canceled[58]) == (
        "1",
        "99",
        ack[37],
        "0",
        THROTTLED,
    )
    assert (replaced[434], replaced[102], replaced[58]) == ("2", "99", THROTTLED)
    assert (status[372], status[379], status[380], status[58]) == ("H", "T1-H", "0", THROTTLED)
    assert (mass[531], mass[532], mass[58]) == ("0", "99", THROTTLED)

    # Lifted live: the same session trades on, and the refused ClOrdID T2 was never booked, so it may be sent again.
    lifted = fixgw(
        settings_for(throttled, tmp_path), "risk", "set", "max_messages_per_second", "none", "--session", "*"
    )
    assert lifted.returncode == 0, lifted.stderr
    throttled.client.send_order("T2", "MSFT", Side.BUY, Decimal(5), Decimal("99.50"))
    accepted = report(throttled, "T2", "0")

    assert throttled.gateway.journal.flush()
    assert accepted[37] != "NONE"
    assert row(throttled, ack[37])["order_qty"] == Decimal(10) and row(throttled, ack[37])["status"] == "0"
    # The audit trail has every reject sent, as it has every report (reports are journaled, then sent).
    sent = {(r["msg_type"], r["cl_ord_id"]) for r in repository.undelivered_reports(throttled.gateway.db, 0)}
    assert {("8", "T2"), ("9", "T1-C"), ("9", "T1-R"), ("j", "T1-H"), ("r", "T-MASS")} <= sent


def test_throttle_when_shown_and_set_from_the_cli_then_session_limits_in_risk_show(
    throttled: System, tmp_path: Path
) -> None:
    settings = settings_for(throttled, tmp_path)

    changed = fixgw(settings, "risk", "set", "max_orders_per_second", "7", "--session", "CLIENT1", "--reason", "t")
    shown = fixgw(settings, "risk", "show", "--json")
    wrong = fixgw(settings, "risk", "set", "max_order_qty", "7", "--session", "CLIENT1")

    assert changed.returncode == 0, changed.stderr
    sessions = json.loads(shown.stdout)["limits"]["sessions"]
    assert sessions == {
        "*": {"max_messages_per_second": 2, "max_orders_per_second": None},
        "CLIENT1": {"max_messages_per_second": None, "max_orders_per_second": 7},
    }
    assert wrong.returncode != 0 and "unknown session limit 'max_order_qty'" in wrong.stderr
    assert show(throttled.gateway)[1]["limits"]["sessions"] == sessions
