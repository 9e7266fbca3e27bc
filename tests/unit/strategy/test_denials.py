"""Each refusal the risk gateway gives, as its own code writes it, is read as the kind the market maker reacts to."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.commands import ReplaceOrder
from domain.enums import OrdRejReason, OrdType, Side
from domain.ids import Account, ClOrdId, OrderId, Symbol, strategy_session
from domain.verdicts import Denial
from risk.controls import Control
from risk.limits import RiskLimits
from strategy.denials import DenialKind, classify
from tests.factories import new_order
from tests.unit.risk.harness import Harness

D = Decimal
SESSION = strategy_session("MM1")
ENTITLED = {"STRATEGY:MM1": frozenset({"MM1"})}


def _denial(limits: dict[str, object], qty: str = "100", price: str = "100", **order: object) -> Denial:
    harness = Harness(RiskLimits.model_validate({"default": limits}), entitlements=ENTITLED)
    denial = harness.risk.check(_order(qty, price, **order))
    assert denial is not None
    return denial


def _order(qty: str, price: str, **overrides: object) -> object:
    fields = {"session": SESSION, "account": Account("MM1"), "order_qty": D(qty), "price": D(price)} | overrides
    return new_order(**fields)


@pytest.mark.parametrize(
    ("limits", "qty", "price"),
    [
        ({"max_order_qty": "50"}, "100", "100"),
        ({"max_notional": "5000"}, "100", "100"),
        ({"max_long_qty": "50"}, "100", "100"),
        ({"credit_limit": "5000"}, "100", "100"),
    ],
)
def test_classify_when_over_a_limit_then_limit(limits: dict[str, object], qty: str, price: str) -> None:
    denial = _denial(limits, qty, price)
    assert classify(denial.reason, denial.text) is DenialKind.LIMIT
    assert classify(None, denial.text) is DenialKind.LIMIT  # the same check refusing a replace: 35=9, no 103


def test_classify_when_short_limit_then_limit() -> None:
    denial = _denial({"max_short_qty": "50"}, side=Side.SELL)
    assert classify(denial.reason, denial.text) is DenialKind.LIMIT


def test_classify_when_order_rate_throttle_then_throttle() -> None:
    harness = Harness(RiskLimits.model_validate({"default": {"max_orders_per_second": 1}}), entitlements=ENTITLED)
    assert harness.risk.check(_order("100", "100", cl_ord_id=ClOrdId("A"))) is None
    denial = harness.risk.check(_order("100", "100.01", cl_ord_id=ClOrdId("B")))
    assert denial is not None
    assert classify(denial.reason, denial.text) is DenialKind.THROTTLE


def test_classify_when_message_throttle_then_throttle() -> None:
    harness = Harness(RiskLimits.model_validate({"sessions": {"*": {"max_messages_per_second": 1}}}))
    assert harness.risk.admit(SESSION, "MM1", "MSFT") is None
    denial = harness.risk.admit(SESSION, "MM1", "MSFT")
    assert denial is not None and "STRATEGY:MM1" in denial.text  # the session throttle names the strategy
    assert classify(denial.reason, denial.text) is DenialKind.THROTTLE


@pytest.mark.parametrize(("scope", "key"), [("account", "MM1"), ("session", "STRATEGY:MM1"), ("global", "")])
def test_classify_when_kill_switch_then_kill(scope: str, key: str) -> None:
    harness = Harness(RiskLimits(), entitlements=ENTITLED)
    harness.risk.controls.set(Control(kind="kill", scope=scope, key=key, value="on", who="ops", reason="test", ts_ns=0))
    denial = harness.risk.check(_order("100", "100"))
    assert denial is not None
    assert classify(denial.reason, denial.text) is DenialKind.KILL


def test_classify_when_halted_then_kill_and_reduce_only_then_limit() -> None:
    harness = Harness(RiskLimits(), entitlements=ENTITLED)
    harness.risk.controls.set(
        Control(kind="state", scope="account", key="MM1", value="halted", who="ops", reason="t", ts_ns=0)
    )
    halted = harness.risk.check(_order("100", "100"))
    assert halted is not None and classify(halted.reason, halted.text) is DenialKind.KILL
    harness.risk.controls.set(
        Control(kind="state", scope="account", key="MM1", value="reduce_only", who="ops", reason="t", ts_ns=0)
    )
    reducing = harness.risk.check(_order("100", "100"))
    assert reducing is not None and classify(reducing.reason, reducing.text) is DenialKind.LIMIT


def test_classify_when_band_or_not_entitled_then_other() -> None:
    band = _denial({"price_band_pct": "1"}, price="120")
    assert classify(band.reason, band.text) is DenialKind.OTHER
    harness = Harness(RiskLimits(), entitlements=ENTITLED)
    foreign = harness.risk.check(_order("100", "100", account=Account("ACCT1")))
    assert foreign is not None and classify(foreign.reason, foreign.text) is DenialKind.OTHER


def test_classify_when_replace_refused_over_a_limit_then_limit() -> None:
    harness = Harness(RiskLimits.model_validate({"default": {"max_order_qty": "150"}}), entitlements=ENTITLED)
    replace = ReplaceOrder(
        session=SESSION,
        cl_ord_id=ClOrdId("R"),
        orig_cl_ord_id=ClOrdId("N"),
        account=Account("MM1"),
        symbol=Symbol("MSFT"),
        side=Side.BUY,
        ord_type=OrdType.LIMIT,
        order_qty=D(200),
        price=D(100),
        ts_received_ns=0,
        order_id=OrderId("O1"),
    )
    denial = harness.risk.check(replace)
    assert denial is not None and classify(None, denial.text) is DenialKind.LIMIT


def test_classify_when_no_text_then_by_reason() -> None:
    assert classify(OrdRejReason.ORDER_EXCEEDS_LIMIT, None) is DenialKind.LIMIT
    assert classify(OrdRejReason.OTHER, None) is DenialKind.OTHER


def test_classify_when_the_venue_is_not_connected_then_unavailable() -> None:
    text = "venue VENUE is not connected (session FIX.4.4:FIXGW->VENUE is not logged on)"  # ems.venues.fix
    assert classify(OrdRejReason.EXCHANGE_CLOSED, text) is DenialKind.UNAVAILABLE
