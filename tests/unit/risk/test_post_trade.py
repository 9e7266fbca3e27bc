"""Post-trade: a breach found after a fill triggers the configured actions, each once, each audited."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from domain.channels import ORDER_UPDATES
from domain.commands import CancelWorking
from domain.enums import Side
from domain.events import OrderUpdated
from domain.ids import RISK_SESSION, Account, OrderId, Symbol
from risk.controls import Control, TradingState
from risk.limits import LimitSet, RiskLimits
from tests.unit.risk.harness import CLIENT1, Harness

D = Decimal
ALL = ["reduce_only", "cancel_working", "send_reducing_order"]


def harness(on_breach: Any = ALL, symbols: tuple[str, ...] = ("MSFT",), **limits: Any) -> Harness:
    return Harness(RiskLimits(default=LimitSet(**limits), on_breach=on_breach), symbols=symbols)


def cancels(h: Harness) -> list[CancelWorking]:
    return [m for _, m in h.sent if isinstance(m, CancelWorking)]


def test_position_breach_when_reducing_order_configured_then_sells_the_excess_at_market_and_audits() -> None:
    h = harness(max_long_qty=D(100))

    h.fill(Side.BUY, "150", "100")

    [order] = h.risk_orders()
    assert (order.side, order.order_qty, order.symbol, order.account) == (Side.SELL, 50, "MSFT", "ACCT1")
    assert order.cl_ord_id.startswith("RISK-") and "long position 150 > 100 in MSFT" in order.reason
    assert [a.action for a in h.actions] == ["cancel_working", "send_reducing_order"]
    assert order.cl_ord_id in h.actions[1].detail and "SELL 50 MSFT at market" in h.actions[1].detail
    assert h.risk.controls.state("ACCT1")[0] is TradingState.REDUCE_ONLY
    # the state switch comes first, then the cancels, then the reducing order (the OMS runs them in that order)
    assert [type(m).__name__ for _, m in h.sent] == ["CancelWorking", "SubmitRiskOrder"]


def test_position_breach_when_short_then_buys_back_to_the_limit() -> None:
    h = harness(max_short_qty=D(100))

    h.fill(Side.SELL, "130", "100")

    [order] = h.risk_orders()
    assert (order.side, order.order_qty) == (Side.BUY, 30)


def test_position_breach_when_own_reducing_order_in_flight_then_no_second_order() -> None:
    h = harness(max_long_qty=D(100))
    h.fill(Side.BUY, "150", "100", order_id="C1")
    h.update("R1", Side.SELL, leaves="50", price=None, session=RISK_SESSION)  # the OMS booked and routed it

    h.fill(Side.SELL, "20", "99", order_id="R1", session=RISK_SESSION, leaves="30")  # it partly fills

    assert len(h.risk_orders()) == 1
    assert h.risk.exposure.cell("ACCT1", "MSFT").reducing == 30


def test_position_breach_when_it_grows_while_a_reducing_order_works_then_only_the_rest_is_sent() -> None:
    h = harness(max_long_qty=D(100))
    h.fill(Side.BUY, "150", "100", order_id="C1")
    h.update("R1", Side.SELL, leaves="50", price=None, session=RISK_SESSION)

    h.fill(Side.BUY, "10", "100", order_id="C2")  # a client order that was working before the breach

    assert [o.order_qty for o in h.risk_orders()] == [50, 10]


def test_loss_breach_when_reducing_order_configured_then_every_open_position_is_closed() -> None:
    h = harness(symbols=("MSFT", "IBM"), max_daily_loss=D(1000))
    h.fill(Side.BUY, "100", "100", order_id="F1")
    h.fill(Side.SELL, "50", "100", order_id="F2", symbol="IBM")

    h.fill(Side.SELL, "1", "80", order_id="F3")  # MSFT marked at 80: 99 x -20 - 20 = -2000

    orders = sorted((o.symbol, o.side, o.order_qty) for o in h.risk_orders())
    assert orders == [("IBM", Side.BUY, 50), ("MSFT", Side.SELL, 99)]
    assert all("loss 2000 reached the limit 1000" in o.reason for o in h.risk_orders())


def test_breach_when_kill_switch_on_then_no_reducing_order_is_sent() -> None:
    h = harness(max_long_qty=D(100))
    h.risk.controls.set(Control(kind="kill", scope="account", key="ACCT1", value="on", who="ops", reason="x", ts_ns=1))

    h.fill(Side.BUY, "150", "100")

    assert h.risk_orders() == []
    assert h.risk.controls.state("ACCT1")[0] is TradingState.REDUCE_ONLY


def test_breach_when_fills_are_replayed_at_start_then_nothing_is_done_again() -> None:
    h = harness(max_long_qty=D(100))
    h.clock.advance(-1)  # fills older than the engine: the book's history, published at start

    h.fill(Side.BUY, "150", "100")

    assert h.sent == [] and h.actions == []
    assert h.risk.exposure.position("ACCT1", "MSFT") == 150


def test_breach_when_it_persists_then_working_orders_are_canceled_once_and_again_after_it_clears() -> None:
    h = harness(on_breach=["cancel_working"], max_long_qty=D(100))

    h.fill(Side.BUY, "150", "100", order_id="F1")
    h.fill(Side.BUY, "10", "100", order_id="F2")
    h.fill(Side.SELL, "100", "100", order_id="F3")  # back within the limit
    h.fill(Side.BUY, "60", "100", order_id="F4")

    assert len(cancels(h)) == 2
    assert h.risk.controls.state("ACCT1")[0] is TradingState.ACTIVE  # no state action configured


def test_breach_when_operator_reactivates_the_account_then_the_next_breached_fill_acts_again() -> None:
    h = harness(on_breach="halt", max_long_qty=D(100))
    h.fill(Side.BUY, "150", "100", order_id="F1")
    h.risk.controls.set(
        Control(kind="state", scope="account", key="ACCT1", value="active", who="ops", reason="ok", ts_ns=2)
    )

    h.fill(Side.BUY, "1", "100", order_id="F2")

    assert h.risk.controls.state("ACCT1")[0] is TradingState.HALTED
    assert len(cancels(h)) == 2 and h.risk_orders() == []


@pytest.mark.parametrize(
    ("given", "actions"),
    [
        ("none", ()),
        ("reduce_only", ("reduce_only", "cancel_working")),
        ("halt", ("halt", "cancel_working")),
        (["send_reducing_order", "send_reducing_order"], ("send_reducing_order",)),
    ],
)
def test_on_breach_when_a_word_or_a_list_then_the_actions(given: Any, actions: tuple[str, ...]) -> None:
    assert RiskLimits.model_validate({"on_breach": given}).on_breach == actions


@pytest.mark.parametrize("given", [["reduce_only", "halt"], ["flatten"], "sometimes"])
def test_on_breach_when_not_a_valid_action_list_then_refused(given: Any) -> None:
    with pytest.raises(ValidationError, match="on_breach"):
        RiskLimits.model_validate({"on_breach": given})


def test_loss_breach_when_another_accounts_fill_moves_the_mark_then_the_holder_is_acted_on() -> None:
    h = harness(on_breach="halt", max_daily_loss=D(500))
    h.fill(Side.BUY, "100", "100", order_id="A1")  # ACCT1 long 100 @ 100

    h.bus.publish(
        ORDER_UPDATES,
        OrderUpdated(
            order_id=OrderId("B1"),
            session=CLIENT1,
            account=Account("ACCT2"),
            symbol=Symbol("MSFT"),
            side=Side.SELL,
            price=D(90),
            leaves_qty=D(0),
            last_qty=D(1),
            last_px=D(90),
            ts_ns=h.clock.now_ns(),
        ),
    )

    assert h.risk.exposure.day_pnl("ACCT1") == -1000
    state, control = h.risk.controls.state("ACCT1")
    assert state is TradingState.HALTED and control is not None
    assert control.reason == "post-trade breach: loss 1000 reached the limit 500"
    [cancel] = cancels(h)
    assert cancel.account == "ACCT1"
    assert h.risk.controls.state("ACCT2")[0] is TradingState.ACTIVE  # its own loss is 0 (it is short at 90)
