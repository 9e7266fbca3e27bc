"""Every denial names the check that gave it (``Denial.check``), from the fixed set ``risk.checks.CHECKS``: what
``/metrics`` counts denials by (issue 16)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest

from domain.enums import OrdType, Side
from domain.ids import Account, OrderId, Symbol
from domain.verdicts import Denial
from risk.checks import CHECKS
from risk.controls import Control
from risk.limits import FirmLimits, LimitSet, RiskLimits, SessionLimits
from tests.factories import new_order
from tests.unit.risk.harness import CLIENT1, Harness

D = Decimal


def _order(h: Harness, **overrides: object) -> Denial | None:
    return h.risk.check(new_order(**overrides))


def _twice(h: Harness, **second: object) -> Denial | None:
    _order(h, order_id=OrderId("O1"))
    return _order(h, order_id=OrderId("O2"), **second)


def _control(kind: str, value: str) -> Control:
    return Control(kind=kind, scope="global", key="", value=value, who="test", reason="why", ts_ns=0)


def _kill(h: Harness) -> Denial | None:
    h.risk.controls.set(_control("kill", "on"))
    return _order(h)


def _halted(h: Harness) -> Denial | None:
    h.risk.controls.set(_control("state", "halted"))
    return _order(h)


def _losing(h: Harness) -> Denial | None:
    h.fill(Side.BUY, "10", "100", order_id="F1")
    h.fill(Side.SELL, "10", "90", order_id="F2")  # realized -100 today
    return _order(h)


def _admitted_twice(h: Harness) -> Denial | None:
    h.risk.admit(CLIENT1, Account("ACCT1"), Symbol("MSFT"))
    return h.risk.admit(CLIENT1, Account("ACCT1"), Symbol("MSFT"))


CASES: dict[str, tuple[Harness, Callable[[Harness], Denial | None]]] = {
    "entitlement": (
        Harness(RiskLimits(), entitlements={"CLIENT1": frozenset({"ACCT2"})}),
        _order,
    ),
    "kill_switch": (Harness(RiskLimits()), _kill),
    "quantity": (Harness(RiskLimits()), lambda h: _order(h, order_qty=D(0))),
    "price": (Harness(RiskLimits()), lambda h: _order(h, price=None)),
    "unknown_symbol": (Harness(RiskLimits()), lambda h: _order(h, symbol=Symbol("XYZ"))),
    "increments": (Harness(RiskLimits()), lambda h: _order(h, order_qty=D("10.5"))),
    "restricted": (Harness(RiskLimits(default=LimitSet(restricted_symbols=frozenset({"MSFT"})))), _order),
    "trading_state": (Harness(RiskLimits()), _halted),
    "no_reference": (
        Harness(RiskLimits(), unreferenced=("IBM",)),
        lambda h: _order(h, symbol=Symbol("IBM"), ord_type=OrdType.MARKET, price=None),
    ),
    "max_order_qty": (Harness(RiskLimits(default=LimitSet(max_order_qty=D(10)))), _order),
    "max_notional": (Harness(RiskLimits(default=LimitSet(max_notional=D(100)))), _order),
    "price_band": (Harness(RiskLimits(default=LimitSet(price_band_pct=D(1)))), lambda h: _order(h, price=D(110))),
    "position_limit": (Harness(RiskLimits(default=LimitSet(max_long_qty=D(10)))), _order),
    "credit_limit": (Harness(RiskLimits(default=LimitSet(credit_limit=D(100)))), _order),
    "gross_exposure": (Harness(RiskLimits(default=LimitSet(max_gross_exposure=D(1000)))), _order),
    "net_exposure": (Harness(RiskLimits(default=LimitSet(max_net_exposure=D(1000)))), _order),
    "value_at_risk": (Harness(RiskLimits(default=LimitSet(max_var=D(10)))), _order),
    "firm_gross_exposure": (Harness(RiskLimits(firm=FirmLimits(max_gross_exposure=D(1000)))), _order),
    "firm_net_exposure": (Harness(RiskLimits(firm=FirmLimits(max_net_exposure=D(1000)))), _order),
    "firm_value_at_risk": (Harness(RiskLimits(firm=FirmLimits(max_var=D(10)))), _order),
    "daily_loss": (Harness(RiskLimits(default=LimitSet(max_daily_loss=D(50)), on_breach=())), _losing),
    "order_rate": (
        Harness(RiskLimits(default=LimitSet(max_orders_per_second=1))),
        lambda h: _twice(h, price=D(101)),
    ),
    "session_order_rate": (
        Harness(RiskLimits(sessions={"*": SessionLimits(max_orders_per_second=1)})),
        lambda h: _twice(h, price=D(101)),
    ),
    "duplicate": (Harness(RiskLimits(default=LimitSet(duplicate_window_ms=500))), _twice),
    "message_rate": (Harness(RiskLimits(default=LimitSet(max_messages_per_second=1))), _admitted_twice),
    "session_message_rate": (
        Harness(RiskLimits(sessions={"*": SessionLimits(max_messages_per_second=1)})),
        _admitted_twice,
    ),
}


def test_cases_when_listed_then_every_check_name_is_tried() -> None:
    assert sorted(CASES) == sorted(CHECKS)


@pytest.mark.parametrize("check", CHECKS)
def test_denial_when_check_fails_then_it_names_that_check(check: str) -> None:
    harness, act = CASES[check]

    denial = act(harness)

    assert denial is not None
    assert denial.check == check, denial.text
