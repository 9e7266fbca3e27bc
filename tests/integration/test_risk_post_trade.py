"""Post-trade over real sessions: a fill that leaves a position over its limit makes the risk engine switch the
account to reduce-only, cancel its working orders and send a reducing order through the EMS to the venue; the
order is in the book under session ``risk``, the actions in the audit trail, and no client hears of it."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from app.config import ClientConfig
from app.risk_admin import set_limit
from domain.enums import Side
from oms.store import repository
from tests.integration.conftest import System, make_config, start_system, stop_system
from tests.integration.test_lifecycle import report, resting
from tests.integration.test_risk_controls import wait_until

pytestmark = pytest.mark.integration


@pytest.fixture
def reducing(tmp_path: Path) -> Iterator[System]:
    config = make_config(tmp_path)
    risk = config.risk.model_copy(update={"on_breach": ("reduce_only", "cancel_working", "send_reducing_order")})
    running = start_system(tmp_path, config.model_copy(update={"risk": risk}))
    yield running
    stop_system(running)


def test_position_breach_after_a_fill_then_a_reducing_order_goes_to_the_venue_and_is_in_book_and_audit(
    reducing: System,
) -> None:
    system, exposure = reducing, reducing.gateway.risk.exposure
    system.client.send_order("P1", "MSFT", Side.BUY, Decimal(150), Decimal("100.05"))
    report(system, "P1", "F")
    working = resting(system, "P2")  # a client order still working when the breach comes
    body = {"scope": "account", "key": "ACCT1", "name": "max_long_qty", "value": "100", "who": "ops", "reason": "t"}
    assert set_limit(system.gateway, body)[0] == 200  # the position (150) is now over the limit

    system.client.send_order("P3", "MSFT", Side.SELL, Decimal(1), Decimal("99.90"))  # a fill: 149 > 100
    canceled = report(system, "P2", "4")

    assert wait_until(lambda: exposure.position("ACCT1", "MSFT") == 100), exposure.position("ACCT1", "MSFT")
    assert system.gateway.journal.flush()
    [risk_order] = [r for r in repository.load_orders(system.gateway.db) if r["session"] == "risk"]
    assert risk_order["cl_ord_id"].startswith("RISK-")
    assert (risk_order["side"], risk_order["order_qty"], risk_order["ord_type"], risk_order["time_in_force"]) == (
        "2",
        Decimal(49),
        "1",
        "3",
    )
    assert (risk_order["status"], risk_order["cum_qty"], risk_order["venue"]) == ("2", Decimal(49), "VENUE")
    assert "post-trade breach: long position 149 > 100 in MSFT" in risk_order["text"]
    fills = repository.load_executions(system.gateway.db, risk_order["order_id"])
    assert sum(f["last_qty"] for f in fills) == 49
    [position] = [p for p in repository.load_positions(system.gateway.db) if p["symbol"] == "MSFT"]
    assert position["qty"] == 100
    audit = [(a["kind"], a["value"].split(":")[0], a["who"]) for a in repository.load_risk_audit(system.gateway.db)]
    assert audit[-3:] == [
        ("state", "reduce_only", "risk"),
        ("action", "cancel_working", "risk"),
        ("action", "send_reducing_order", "risk"),
    ]
    assert risk_order["cl_ord_id"] in repository.load_risk_audit(system.gateway.db)[-1]["value"]
    sent_to_venue = [m for m in repository.order_messages(system.gateway.db, risk_order) if m["direction"] == "out"]
    assert [m["msg_type"] for m in sent_to_venue][:1] == ["D"]
    assert canceled[37] == working[37]
    assert not [m for m in system.client.received if str(m.get(11, "")).startswith("RISK-")]
    assert system.gateway.risk.controls.state("ACCT1")[0].value == "reduce_only"


@pytest.fixture
def two_accounts(tmp_path: Path) -> Iterator[System]:
    """CLIENT1 trades ACCT1 and ACCT2; on_breach is the default (reduce_only, cancel_working)."""
    config = make_config(tmp_path)
    clients = {"CLIENT1": ClientConfig(accounts=["ACCT1", "ACCT2"])}
    running = start_system(tmp_path, config.model_copy(update={"clients": clients}))
    yield running
    stop_system(running)


@pytest.mark.parametrize("seller", ["ACCT1", "ACCT2"])
def test_loss_breach_after_a_fill_then_the_account_is_reduce_only_its_orders_canceled_and_audited(
    two_accounts: System, seller: str
) -> None:
    """ACCT1 buys 100 at 100.01; then ``seller`` sells 100 at 99.99. ACCT1 sold itself: realized -2. ACCT2 sold:
    the mark moves to 99.99 and ACCT1's unrealized P&L is -2, though the fill was not ACCT1's."""
    system = two_accounts
    system.client.send_order("LB1", "MSFT", Side.BUY, Decimal(100), Decimal("100.01"), account="ACCT1")
    report(system, "LB1", "F")
    working = resting(system, "LB2")  # an ACCT1 order still working when the breach comes
    body = {"scope": "account", "key": "ACCT1", "name": "max_daily_loss", "value": "1", "who": "ops", "reason": "t"}
    assert set_limit(system.gateway, body)[0] == 200

    system.client.send_order("LB3", "MSFT", Side.SELL, Decimal(100), Decimal("99.99"), account=seller)
    report(system, "LB3", "F")
    canceled = report(system, "LB2", "4")

    assert canceled[37] == working[37]
    state, control = system.gateway.risk.controls.state("ACCT1")
    assert state.value == "reduce_only" and control is not None
    assert control.reason == "post-trade breach: loss 2.00 reached the limit 1"
    assert system.gateway.risk.controls.state("ACCT2")[0].value == "active"
    assert system.gateway.journal.flush()
    audit = [
        (a["kind"], a["key"], a["value"].split(":")[0], a["who"]) for a in repository.load_risk_audit(system.gateway.db)
    ]
    assert audit[-2:] == [("state", "ACCT1", "reduce_only", "risk"), ("action", "ACCT1", "cancel_working", "risk")]
