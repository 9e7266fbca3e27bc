"""Positions, P&L, working quantities, limit use and controls, as the risk engine's exposure and controls have them;
accounts and symbols that are not configured never become labels."""

from __future__ import annotations

from decimal import Decimal

from app.metrics.risk import RiskMetrics
from domain.enums import Side
from domain.events import OrderUpdated
from domain.ids import Account, OrderId, SessionKey, Symbol
from risk.controls import Control, Controls
from risk.exposure import Exposure
from risk.limits import LimitSet, RiskLimits
from tests.unit.metrics.values import value, values

D = Decimal
CLIENT = SessionKey("FIX.4.4:FIXGW->CLIENT1")
LIMITS = RiskLimits(
    default=LimitSet(credit_limit=D(10_000), max_daily_loss=D(200)),
    accounts={"ACCT1": LimitSet(max_long_qty=D(400))},
)


def _update(order: str, side: Side, leaves: str, account: str = "ACCT1", **fill: Decimal) -> OrderUpdated:
    return OrderUpdated(
        order_id=OrderId(order),
        session=CLIENT,
        account=Account(account),
        symbol=Symbol("MSFT"),
        side=side,
        price=D(100),
        leaves_qty=D(leaves),
        ts_ns=1,
        **fill,
    )


def _metrics(exposure: Exposure, controls: Controls, limits: RiskLimits = LIMITS) -> RiskMetrics:
    return RiskMetrics(exposure, controls, lambda: limits, ["ACCT1"], ["MSFT", "IBM"], ["CLIENT1"])


def _traded() -> Exposure:
    exposure = Exposure({"MSFT": D(100), "IBM": D(50)})
    exposure.on_order(_update("O1", Side.BUY, "0", last_qty=D(100), last_px=D(100)))
    exposure.on_order(_update("O2", Side.SELL, "0", last_qty=D(40), last_px=D(99)))  # realizes -40, marks at 99
    exposure.on_order(_update("O3", Side.BUY, "100"))  # working
    exposure.on_order(_update("O4", Side.BUY, "0", account="NOBODY", last_qty=D(1), last_px=D(99)))
    return exposure


def test_collect_when_traded_then_position_pnl_mark_and_working_follow_the_exposure() -> None:
    found = values(_metrics(_traded(), Controls()))

    assert value(found, "fixgw_position", account="ACCT1", symbol="MSFT") == 60
    assert value(found, "fixgw_realized_pnl", account="ACCT1", symbol="MSFT") == -40
    assert value(found, "fixgw_unrealized_pnl", account="ACCT1", symbol="MSFT") == -60  # 60 x (99 - 100)
    assert value(found, "fixgw_mark_price", symbol="MSFT") == 99
    assert value(found, "fixgw_mark_price", symbol="IBM") == 50
    assert value(found, "fixgw_working_qty", account="ACCT1", symbol="MSFT", side="buy") == 100
    assert value(found, "fixgw_day_pnl", account="ACCT1") == -100
    assert not any(("account", "NOBODY") in labels for _, labels in found)


def test_collect_when_limits_set_then_use_ratios_are_what_the_checks_compare() -> None:
    found = values(_metrics(_traded(), Controls()))

    # credit: working 100 x 100 + |60| x 99 = 15,940 of 10,000; loss: 100 of 200; long: 60 + 100 of 400
    assert value(found, "fixgw_credit_used", account="ACCT1") == 15_940
    assert value(found, "fixgw_risk_limit_use_ratio", account="ACCT1", limit="credit_limit") == 1.594
    assert value(found, "fixgw_risk_limit_use_ratio", account="ACCT1", limit="max_daily_loss") == 0.5
    assert value(
        found, "fixgw_risk_position_limit_use_ratio", account="ACCT1", symbol="MSFT", limit="max_long_qty"
    ) == (0.4)
    assert (
        "fixgw_risk_position_limit_use_ratio",
        (("account", "ACCT1"), ("limit", "max_short_qty"), ("symbol", "MSFT")),
    ) not in found


def test_collect_when_limits_change_live_then_the_next_scrape_uses_the_new_ones() -> None:
    limits = [LIMITS]
    metrics = RiskMetrics(_traded(), Controls(), lambda: limits[0], ["ACCT1"], ["MSFT"], ["CLIENT1"])
    values(metrics)

    limits[0] = LIMITS.with_limit("account", "ACCT1", "max_long_qty", D(800))

    found = values(metrics)
    assert value(
        found, "fixgw_risk_position_limit_use_ratio", account="ACCT1", symbol="MSFT", limit="max_long_qty"
    ) == (0.2)


def _control(kind: str, scope: str, key: str, value: str) -> Control:
    return Control(kind=kind, scope=scope, key=key, value=value, who="ops", reason="test", ts_ns=1)


def test_collect_when_controls_set_then_kill_switches_and_trading_states_show_them() -> None:
    controls = Controls()
    controls.set(_control("kill", "session", "CLIENT1", "on"))
    controls.set(_control("kill", "account", "SOMEONE", "on"))  # not configured: counted nowhere by name
    controls.set(_control("state", "global", "", "reduce_only"))
    controls.set(_control("state", "account", "ACCT1", "halted"))

    found = values(_metrics(Exposure({}), controls))

    assert value(found, "fixgw_kill_switch_global") == 0
    assert value(found, "fixgw_kill_switch_session", client="CLIENT1") == 1
    assert value(found, "fixgw_kill_switch_account", account="ACCT1") == 0
    assert value(found, "fixgw_trading_state_global", state="reduce_only") == 1
    assert value(found, "fixgw_trading_state_global", state="active") == 0
    assert value(found, "fixgw_trading_state", account="ACCT1", state="halted") == 1
    assert value(found, "fixgw_trading_state", account="ACCT1", state="reduce_only") == 0
    assert not any(("account", "SOMEONE") in labels for _, labels in found)
