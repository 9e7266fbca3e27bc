"""Every pre-trade check's denial, read back to the check's name: a reworded Text fails here, not in a dashboard."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest

from domain.enums import OrdType, Side
from domain.ids import ClOrdId, OrderId, SessionKey
from domain.verdicts import Denial
from risk.checks import check_daily_loss, check_increments, check_trading_state
from risk.controls import Control, TradingState
from risk.denials import CHECKS, OTHER, check_of
from risk.limits import EffectiveLimits, LimitSet, RiskLimits
from tests.factories import new_order
from tests.unit.risk.harness import Harness

D = Decimal


def _engine(limits: LimitSet | None = None, **harness: object) -> Harness:
    return Harness(RiskLimits(default=limits or LimitSet()), **harness)  # type: ignore[arg-type]


def _second(limits: LimitSet) -> Denial | None:
    """The second of two identical orders at one instant."""
    risk = _engine(limits).risk
    risk.check(new_order())
    return risk.check(new_order(cl_ord_id=ClOrdId("C2"), order_id=OrderId("O2")))


def _killed() -> Denial | None:
    harness = _engine()
    harness.risk.controls.set(Control(kind="kill", scope="global", key="", value="on", who="t", reason="r", ts_ns=0))
    return harness.risk.check(new_order())


def _second_message() -> Denial | None:
    risk = Harness(RiskLimits(default=LimitSet(max_messages_per_second=1))).risk
    session = SessionKey("FIX.4.4:FIXGW->CLIENT1")
    risk.admit(session, "ACCT1", "MSFT")
    return risk.admit(session, "ACCT1", "MSFT")


DENIALS: dict[str, Callable[[], Denial | None]] = {
    "entitlement": lambda: _engine(entitlements={"CLIENT1": frozenset({"OTHER"})}).risk.check(new_order()),
    "kill_switch": _killed,
    "quantity": lambda: _engine().risk.check(new_order(order_qty=D(0))),
    "lot_size": lambda: check_increments(new_order(order_qty=D("1.5")), D("0.01"), D(1)),
    "price": lambda: _engine().risk.check(new_order(price=None)),
    "tick_size": lambda: check_increments(new_order(price=D("100.001")), D("0.01"), D(1)),
    "unknown_symbol": lambda: _engine().risk.check(new_order(symbol="XYZ")),
    "no_reference": lambda: _engine(unreferenced=("IBM",)).risk.check(
        new_order(symbol="IBM", ord_type=OrdType.MARKET, price=None)
    ),
    "max_order_qty": lambda: _engine(LimitSet(max_order_qty=D(10))).risk.check(new_order()),
    "max_notional": lambda: _engine(LimitSet(max_notional=D(1000))).risk.check(new_order()),
    "restricted": lambda: _engine(LimitSet(restricted_symbols=frozenset({"MSFT"}))).risk.check(new_order()),
    "price_band": lambda: _engine(LimitSet(price_band_pct=D(1))).risk.check(new_order(price=D(200))),
    "max_long_qty": lambda: _engine(LimitSet(max_long_qty=D(10))).risk.check(new_order()),
    "max_short_qty": lambda: _engine(LimitSet(max_short_qty=D(10))).risk.check(new_order(side=Side.SELL)),
    "credit_limit": lambda: _engine(LimitSet(credit_limit=D(1000))).risk.check(new_order()),
    "max_daily_loss": lambda: check_daily_loss(new_order(), EffectiveLimits(max_daily_loss=D(10)), D(-20)),
    "trading_state": lambda: check_trading_state(new_order(), TradingState.HALTED, "r", D(0), D(0), D(100)),
    "max_orders_per_second": lambda: _second(LimitSet(max_orders_per_second=1)),
    "max_messages_per_second": _second_message,
    "duplicate": lambda: _second(LimitSet(duplicate_window_ms=1000)),
}


@pytest.mark.parametrize("name", CHECKS)
def test_check_of_when_a_check_denies_then_its_name(name: str) -> None:
    denial = DENIALS[name]()

    assert denial is not None, name
    assert check_of(denial.text) == name, denial.text


def test_check_of_when_reduce_only_denies_then_trading_state() -> None:
    denial = check_trading_state(new_order(), TradingState.REDUCE_ONLY, "r", D(0), D(0), D(100))

    assert denial is not None and check_of(denial.text) == "trading_state"


@pytest.mark.parametrize("text", [None, "", "venue session is down: could not send"])
def test_check_of_when_no_check_wrote_it_then_other(text: str | None) -> None:
    assert check_of(text) == OTHER
