"""The trading day of the loss limit: realized P&L restarts at the configured UTC roll, unrealized carries over."""

from __future__ import annotations

from datetime import UTC, datetime, time
from decimal import Decimal

import pytest
from pydantic import ValidationError

from domain.channels import ORDER_UPDATES
from domain.clock import TestClock
from domain.enums import Side
from domain.events import OrderUpdated
from domain.ids import Account, OrderId, Symbol
from risk.exposure import trading_day_start
from risk.limits import LimitSet, RiskLimits
from tests.factories import new_order
from tests.unit.risk.harness import CLIENT1, Harness

D = Decimal
HOUR = 3_600 * 1_000_000_000


def utc(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()) * 1_000_000_000


def loss_limited(roll: str = "00:00", start: str = "2023-11-14T22:00:00") -> Harness:
    limits = RiskLimits.model_validate({"default": {"max_daily_loss": "1000"}, "on_breach": [], "day_roll_utc": roll})
    return Harness(limits, TestClock(utc(start)))


def passes(h: Harness) -> bool:
    return h.risk.check(new_order(side=Side.SELL, order_qty=D(1), price=D(90))) is None


@pytest.mark.parametrize(
    ("roll", "at", "start"),
    [
        (time(0), "2023-11-14T22:13:20", "2023-11-14T00:00:00"),
        (time(21), "2023-11-14T22:13:20", "2023-11-14T21:00:00"),
        (time(23, 30), "2023-11-14T22:13:20", "2023-11-13T23:30:00"),
        (time(0), "2023-11-15T00:00:00", "2023-11-15T00:00:00"),
    ],
)
def test_trading_day_start_when_roll_time_then_latest_roll_at_or_before(roll: time, at: str, start: str) -> None:
    assert trading_day_start(utc(at), roll) == utc(start)


def test_loss_limit_when_day_rolls_then_yesterdays_realized_loss_no_longer_counts() -> None:
    h = loss_limited()
    h.fill(Side.BUY, "100", "100", order_id="F1")
    h.fill(Side.SELL, "100", "88", order_id="F2")  # realized -1200 today

    denied_today = h.risk.check(new_order())
    h.clock.advance(2 * HOUR)  # 00:00 UTC: a new trading day

    assert denied_today is not None and "loss limit reached: P&L -1200" in denied_today.text
    assert h.risk.check(new_order()) is None
    assert h.risk.exposure.day_pnl("ACCT1") == 0 and h.risk.exposure.account_pnl("ACCT1") == -1200


def test_loss_limit_when_day_rolls_then_unrealized_loss_still_counts() -> None:
    h = loss_limited()
    h.fill(Side.BUY, "100", "100", order_id="F1")
    h.fill(Side.SELL, "1", "85", order_id="F2")  # realized -15, unrealized 99 x -15 = -1485

    h.clock.advance(2 * HOUR)

    assert not passes(h)
    assert h.risk.exposure.day_pnl("ACCT1") == -1485


def test_loss_limit_when_roll_at_21_utc_then_the_day_ends_at_21_not_at_midnight() -> None:
    h = loss_limited(roll="21:00")
    h.fill(Side.BUY, "100", "100", order_id="F1")
    h.fill(Side.SELL, "100", "88", order_id="F2")

    h.clock.advance(utc("2023-11-15T20:59:59") - h.clock.now_ns())
    still_today = passes(h)
    h.clock.advance(1_000_000_000)

    assert not still_today
    assert passes(h)


def test_loss_limit_when_fills_are_from_before_the_day_began_then_only_positions_count() -> None:
    h = loss_limited()
    yesterday = h.clock.now_ns() - 24 * HOUR
    for i, (side, px) in enumerate([(Side.BUY, "100"), (Side.SELL, "88")]):
        h.bus.publish(
            ORDER_UPDATES,
            OrderUpdated(
                order_id=OrderId(f"R{i}"),
                session=CLIENT1,
                account=Account("ACCT1"),
                symbol=Symbol("MSFT"),
                side=side,
                price=D(px),
                leaves_qty=D(0),
                last_qty=D(100),
                last_px=D(px),
                ts_ns=yesterday + i,
            ),
        )

    assert passes(h)
    assert h.risk.exposure.account_pnl("ACCT1") == -1200


def test_day_roll_utc_when_given_with_an_offset_then_refused() -> None:
    assert RiskLimits.model_validate({"day_roll_utc": "17:30"}).day_roll_utc == time(17, 30)
    with pytest.raises(ValidationError, match="UTC"):
        RiskLimits.model_validate({"day_roll_utc": "17:30+02:00"})


def test_set_limits_when_roll_time_changes_then_the_day_boundary_moves() -> None:
    h = loss_limited(start="2023-11-14T22:00:00")
    h.fill(Side.BUY, "100", "100", order_id="F1")
    h.fill(Side.SELL, "100", "88", order_id="F2")

    h.risk.set_limits(RiskLimits.model_validate(h.risk.limits.model_dump() | {"day_roll_utc": "22:30"}))
    h.clock.advance(HOUR)  # 23:00, after the new roll

    assert passes(h)
    assert h.risk.limits.default == LimitSet(max_daily_loss=D(1000))
