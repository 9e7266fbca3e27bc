"""Pre-trade checks and the risk engine's verdicts."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.bus import MessageBus
from domain.clock import TestClock
from domain.enums import OrdRejReason, OrdType
from risk.checks import check_max_notional, check_max_order_qty, check_price, check_quantity
from risk.engine import RiskEngine
from risk.limits import EffectiveLimits, Instrument, LimitSet, RiskLimits
from tests.factories import new_order

LIMITS = EffectiveLimits(max_order_qty=Decimal(1000), max_notional=Decimal(50000))


@pytest.mark.parametrize("qty", ["0", "-5"])
def test_check_quantity_when_not_positive_then_incorrect_quantity(qty: str) -> None:
    denial = check_quantity(new_order(order_qty=Decimal(qty)))

    assert denial is not None and denial.reason is OrdRejReason.INCORRECT_QUANTITY
    assert qty in denial.text


def test_check_price_when_limit_without_price_then_denied_naming_tag() -> None:
    denial = check_price(new_order(price=None))

    assert denial is not None and "Price (44)" in denial.text


def test_check_price_when_market_without_price_then_passes() -> None:
    assert check_price(new_order(ord_type=OrdType.MARKET, price=None)) is None


@pytest.mark.parametrize(("qty", "denied"), [("1000", False), ("1001", True)])
def test_check_max_order_qty_at_and_over_limit(qty: str, denied: bool) -> None:
    denial = check_max_order_qty(new_order(order_qty=Decimal(qty)), LIMITS)

    assert (denial is not None) is denied
    if denial:
        assert denial.reason is OrdRejReason.ORDER_EXCEEDS_LIMIT
        assert "1001" in denial.text and "1000" in denial.text


def test_check_max_notional_when_limit_order_then_uses_limit_price() -> None:
    denial = check_max_notional(new_order(order_qty=Decimal(600), price=Decimal(90)), LIMITS, Decimal(1))

    assert denial is not None and "600 x 90 = 54000" in denial.text


def test_check_max_notional_when_market_order_then_uses_reference_price() -> None:
    order = new_order(ord_type=OrdType.MARKET, price=None, order_qty=Decimal(400))

    assert check_max_notional(order, LIMITS, Decimal(100)) is None
    assert check_max_notional(order, LIMITS, Decimal(126)) is not None


def test_limits_effective_when_account_and_symbol_overrides_then_tightest_applies() -> None:
    limits = RiskLimits(
        default=LimitSet(max_order_qty=Decimal(100), max_notional=Decimal(10**6)),
        accounts={"A": LimitSet(max_order_qty=Decimal(50))},
        symbols={"S": LimitSet(max_notional=Decimal(10))},
    )

    assert limits.effective("A", "S") == EffectiveLimits(max_order_qty=Decimal(50), max_notional=Decimal(10))
    assert limits.effective("B", "T") == EffectiveLimits(max_order_qty=Decimal(100), max_notional=Decimal(10**6))


def engine() -> RiskEngine:
    limits = RiskLimits(default=LimitSet(max_order_qty=Decimal(1000)))
    return RiskEngine(MessageBus(), TestClock(7), limits, {"MSFT": Instrument(reference_price=Decimal(100))})


def test_risk_engine_when_order_passes_then_no_denial() -> None:
    risk = engine()

    assert risk.check(new_order()) is None


def test_risk_engine_when_unknown_symbol_then_denied_103_1() -> None:
    risk = engine()

    denial = risk.check(new_order(symbol="XYZ"))

    assert denial is not None and denial.reason is OrdRejReason.UNKNOWN_SYMBOL
    assert "XYZ" in denial.text
