"""The rest of the pre-trade catalogue: band, position, credit, loss, restricted, states, kill switches,
throttle, duplicates; and the post-trade reaction."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.channels import ORDER_UPDATES
from domain.commands import CancelWorking, ReplaceOrder
from domain.enums import OrdRejReason, OrdType, Side
from domain.events import OrderUpdated
from domain.ids import Account, ClOrdId, OrderId, SessionKey, Symbol
from risk.checks import check_credit, check_position_limit, check_price_band, check_trading_state
from risk.controls import Control, Controls, TradingState
from risk.exposure import Exposure
from risk.limits import LimitSet, RiskLimits
from tests.factories import new_order
from tests.unit.risk.harness import Harness

D = Decimal


def test_price_band_when_limit_price_outside_then_denied_naming_the_reference_and_the_band() -> None:
    limits = LimitSet(price_band_pct=D(5))

    assert check_price_band(new_order(price=D("104.99")), limits, D(100)) is None
    denial = check_price_band(new_order(price=D("106")), limits, D(100))

    assert denial is not None and denial.text == "price band: 106 outside the 5% band around last 100 (95-105) for MSFT"
    assert check_price_band(new_order(ord_type=OrdType.MARKET, price=None), limits, D(100)) is None


@pytest.mark.parametrize(
    ("side", "position", "working", "qty", "denied"),
    [
        (Side.BUY, 50, 30, 20, False),
        (Side.BUY, 50, 30, 21, True),
        (Side.SELL, 0, 40, 60, False),
        (Side.SELL, -10, 40, 51, True),
    ],
)
def test_position_limit_when_projected_with_working_orders(
    side: Side, position: int, working: int, qty: int, denied: bool
) -> None:
    limits = LimitSet(max_long_qty=D(100), max_short_qty=D(100))

    denial = check_position_limit(new_order(side=side, order_qty=D(qty)), limits, D(position), D(working), D(qty))

    assert (denial is not None) is denied
    if denial:
        assert denial.reason is OrdRejReason.ORDER_EXCEEDS_LIMIT


def test_credit_when_open_plus_position_plus_order_over_limit_then_broker_credit() -> None:
    denial = check_credit(new_order(order_qty=D(10)), LimitSet(credit_limit=D(5000)), D(4500), D(60), D(10))

    assert denial is not None and denial.reason is OrdRejReason.BROKER_OPTION
    assert "4500 in use + 10 x 60 = 5100 > limit 5000" in denial.text


@pytest.mark.parametrize(
    ("state", "position", "side", "qty", "working", "denied"),
    [
        (TradingState.HALTED, 10, Side.SELL, 1, 0, True),
        (TradingState.REDUCE_ONLY, 10, Side.SELL, 10, 0, False),
        (TradingState.REDUCE_ONLY, 10, Side.SELL, 6, 5, True),
        (TradingState.REDUCE_ONLY, 10, Side.BUY, 1, 0, True),
        (TradingState.REDUCE_ONLY, 0, Side.SELL, 1, 0, True),
        (TradingState.ACTIVE, 0, Side.BUY, 1, 0, False),
    ],
)
def test_trading_state_when_state_then_only_allowed_orders_pass(
    state: TradingState, position: int, side: Side, qty: int, working: int, denied: bool
) -> None:
    order = new_order(side=side, order_qty=D(qty))

    assert (check_trading_state(order, state, "why", D(position), D(working), D(qty)) is not None) is denied


def control(kind: str, scope: str, key: str, value: str) -> Control:
    return Control(kind=kind, scope=scope, key=key, value=value, who="ops", reason="test", ts_ns=1)


def test_controls_when_global_and_account_states_then_strictest_wins_and_off_lifts() -> None:
    controls = Controls()
    controls.set(control("state", "global", "", "reduce_only"))
    controls.set(control("state", "account", "A", "halted"))

    assert controls.state("A")[0] is TradingState.HALTED
    assert controls.state("B")[0] is TradingState.REDUCE_ONLY
    controls.set(control("state", "global", "", "active"))
    assert controls.state("B")[0] is TradingState.ACTIVE


def test_controls_when_kill_switch_for_session_then_only_that_client_blocked() -> None:
    changes: list[Control] = []
    controls = Controls(on_change=changes.append)
    controls.set(control("kill", "session", "CLIENT2", "on"))

    assert controls.kill_switch("ACCT1", "CLIENT2") is not None
    assert controls.kill_switch("ACCT1", "CLIENT1") is None
    assert [c.value for c in changes] == ["on"]


def test_engine_when_order_rate_exceeded_then_denied_until_window_passes() -> None:
    h = Harness(RiskLimits(default=LimitSet(max_orders_per_second=2)))

    for i in range(3):
        h.execute(new_order(order_id=OrderId(f"O{i}"), price=D(100 + i)))
    h.clock.advance(1_000_000_000)
    h.execute(new_order(order_id=OrderId("O9")))

    assert [d.order_id for d in h.denials()] == ["O2"]
    assert "order rate limit" in h.denials()[0].text


def test_engine_when_identical_order_within_window_then_duplicate_103_6() -> None:
    h = Harness(RiskLimits(default=LimitSet(duplicate_window_ms=500)))

    h.execute(new_order(order_id=OrderId("O1")))
    h.clock.advance(100_000_000)
    h.execute(new_order(order_id=OrderId("O2")))
    h.clock.advance(600_000_000)
    h.execute(new_order(order_id=OrderId("O3")))

    assert [(d.order_id, d.reason) for d in h.denials()] == [("O2", OrdRejReason.DUPLICATE_ORDER)]


def test_engine_when_restricted_symbol_then_denied() -> None:
    h = Harness(RiskLimits(accounts={"ACCT1": LimitSet(restricted_symbols=frozenset({"MSFT"}))}))

    h.execute(new_order())

    assert "restricted" in h.denials()[0].text


def test_engine_when_fill_breaches_position_limit_then_reduce_only_and_working_orders_canceled() -> None:
    h = Harness(RiskLimits(default=LimitSet(max_long_qty=D(100)), on_breach="reduce_only"))

    h.fill(Side.BUY, "150", "100")

    assert h.risk.controls.state("ACCT1")[0] is TradingState.REDUCE_ONLY
    [(endpoint, cancel)] = [(e, m) for e, m in h.sent if isinstance(m, CancelWorking)]
    assert endpoint == "oms.execute" and cancel.account == "ACCT1"
    h.execute(new_order(order_id=OrderId("B"), side=Side.BUY, order_qty=D(1)))
    h.execute(new_order(order_id=OrderId("S"), side=Side.SELL, order_qty=D(50)))
    assert [d.order_id for d in h.denials()] == ["B"]


def test_engine_when_loss_limit_reached_after_fill_then_halted() -> None:
    h = Harness(RiskLimits(default=LimitSet(max_daily_loss=D(1000)), on_breach="halt"))

    h.fill(Side.BUY, "100", "100", order_id="F1")
    h.fill(Side.SELL, "100", "89", order_id="F2")  # realized -1100

    assert h.risk.controls.state("ACCT1")[0] is TradingState.HALTED
    h.execute(new_order(order_id=OrderId("X")))
    assert "halted" in h.denials()[0].text


def test_engine_when_working_orders_followed_then_position_check_counts_them() -> None:
    h = Harness(RiskLimits(default=LimitSet(max_long_qty=D(100))))
    h.bus.publish(
        ORDER_UPDATES,
        OrderUpdated(
            order_id=OrderId("W1"),
            session=SessionKey("S"),
            account=Account("ACCT1"),
            symbol=Symbol("MSFT"),
            side=Side.BUY,
            price=D(99),
            leaves_qty=D(80),
            ts_ns=1,
        ),
    )

    h.execute(new_order(order_id=OrderId("O1"), order_qty=D(30)))

    assert "working 80" in h.denials()[0].text


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["A", "B"]),
            st.sampled_from(["X", "Y"]),
            st.sampled_from([Side.BUY, Side.SELL]),
            st.integers(1, 50),
            st.integers(90, 110),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_exposure_when_any_fills_then_running_totals_equal_sums_over_positions(
    fills: list[tuple[str, str, Side, int, int]],
) -> None:
    exposure = Exposure({"X": D(100), "Y": D(100)})
    for i, (account, symbol, side, qty, px) in enumerate(fills):
        exposure.on_order(
            OrderUpdated(
                order_id=OrderId(f"F{i}"),
                session=SessionKey("S"),
                account=Account(account),
                symbol=Symbol(symbol),
                side=side,
                price=D(px),
                leaves_qty=D(0),
                last_qty=D(qty),
                last_px=D(px),
                ts_ns=i,
            )
        )

    for account in ("A", "B"):
        held = [p for (a, _), p in exposure.positions.positions.items() if a == account]
        assert abs(exposure.account_pnl(account) - sum((p.total_pnl for p in held), D(0))) < D("1e-12")
        assert exposure.account_notional(account) == sum((abs(p.qty) * p.mark for p in held if p.mark), D(0))


def replace_of(order_id: str, qty: int, price: str = "100", side: Side = Side.BUY, cum: int = 0) -> ReplaceOrder:
    return ReplaceOrder(
        session=SessionKey("FIX.4.4:FIXGW->CLIENT1"),
        cl_ord_id=ClOrdId("R"),
        orig_cl_ord_id=ClOrdId("C"),
        account=Account("ACCT1"),
        symbol=Symbol("MSFT"),
        side=side,
        ord_type=OrdType.LIMIT,
        order_qty=D(qty),
        price=D(price),
        ts_received_ns=1,
        order_id=OrderId(order_id),
        cum_qty=D(cum),
    )


def test_engine_when_replace_then_the_orders_own_quantity_and_notional_are_not_counted_twice() -> None:
    h = Harness(RiskLimits(default=LimitSet(max_long_qty=D(30), credit_limit=D(3000))))
    h.update("W1", Side.BUY, leaves="20", price="100")  # 20 working, notional 2000

    fits = h.risk.check(replace_of("W1", 25))  # 25 long, 2500 of credit: within both
    too_big = h.risk.check(replace_of("W1", 31))

    assert fits is None
    assert too_big is not None and "max long position exceeded" in too_big.text


def test_engine_when_replace_of_a_partly_filled_order_then_its_filled_part_is_not_counted_again() -> None:
    h = Harness(RiskLimits(default=LimitSet(max_long_qty=D(100))))
    h.update("W1", Side.BUY, leaves="100")
    h.update("W1", Side.BUY, leaves="40", last_qty=D(60), last_px=D(100))  # position 60, 40 still working

    reprice = h.risk.check(replace_of("W1", 100, "100.5", cum=60))  # long 60 + 40 new leaves = 100
    one_more = h.risk.check(replace_of("W1", 101, "100", cum=60))

    assert reprice is None
    assert one_more is not None and "position 60, working 0, order 41 -> long 101 > limit 100" in one_more.text


def test_engine_when_reduce_only_and_a_partly_filled_reducing_order_is_repriced_then_allowed() -> None:
    h = Harness(RiskLimits())
    h.fill(Side.BUY, "100", "100", order_id="B1")
    h.update("W1", Side.SELL, leaves="100")
    h.update("W1", Side.SELL, leaves="40", last_qty=D(60), last_px=D(100))  # long 40, selling 40 more
    h.risk.controls.set(control("state", "account", "ACCT1", "reduce_only"))

    assert h.risk.check(replace_of("W1", 100, "99.5", Side.SELL, cum=60)) is None
    assert h.risk.check(replace_of("W1", 101, "99.5", Side.SELL, cum=60)) is not None


def test_engine_when_replace_of_a_partly_filled_order_then_credit_counts_only_its_new_leaves() -> None:
    h = Harness(RiskLimits(default=LimitSet(credit_limit=D(10_000))))
    h.update("W1", Side.BUY, leaves="100")
    h.update("W1", Side.BUY, leaves="40", last_qty=D(60), last_px=D(100))  # 6000 of position, 4000 working

    fits = h.risk.check(replace_of("W1", 100, "100", cum=60))
    over = h.risk.check(replace_of("W1", 100, "100.01", cum=60))

    assert fits is None
    assert over is not None and "6000 in use + 40 x 100.01" in over.text


@pytest.mark.parametrize(
    ("no_reference", "ord_type", "price", "denied"),
    [
        ("reject", OrdType.LIMIT, "150", "(no_reference = reject)"),
        ("skip_band", OrdType.LIMIT, "150", None),
        ("skip_band", OrdType.MARKET, None, "(a market order cannot be valued)"),
    ],
)
def test_engine_when_symbol_has_no_reference_price_then_no_reference_decides(
    no_reference: str, ord_type: OrdType, price: str | None, denied: str | None
) -> None:
    h = Harness(
        RiskLimits.model_validate(
            {"default": {"price_band_pct": "10", "max_notional": "20000"}, "no_reference": no_reference}
        ),
        unreferenced=("NEWCO",),
    )
    order = new_order(symbol=Symbol("NEWCO"), ord_type=ord_type, price=D(price) if price else None)

    denial = h.risk.check(order)

    if denied is None:
        assert denial is None
    else:
        assert denial is not None and denial.reason is OrdRejReason.OTHER
        assert denial.text == f"no reference price for NEWCO: no trade yet and none configured {denied}"


def test_engine_when_skip_band_then_a_limit_order_is_still_valued_at_its_price() -> None:
    h = Harness(
        RiskLimits.model_validate({"default": {"max_notional": "10000"}, "no_reference": "skip_band"}),
        unreferenced=("NEWCO",),
    )

    denial = h.risk.check(new_order(symbol=Symbol("NEWCO"), price=D(101)))  # 100 x 101

    assert denial is not None and "max notional exceeded: 100 x 101 = 10100 > limit 10000" in denial.text


def test_engine_when_unreferenced_symbol_trades_then_the_band_follows_the_last_trade() -> None:
    h = Harness(
        RiskLimits.model_validate({"default": {"price_band_pct": "10"}, "no_reference": "skip_band"}),
        unreferenced=("NEWCO",),
    )
    h.fill(Side.BUY, "1", "50", symbol="NEWCO")  # the first trade: NEWCO marks at 50

    within = h.risk.check(new_order(symbol=Symbol("NEWCO"), price=D(54)))
    outside = h.risk.check(new_order(symbol=Symbol("NEWCO"), price=D(56), cl_ord_id=ClOrdId("C2")))

    assert within is None
    assert outside is not None and "price band: 56 outside the 10% band around last 50 (45-55)" in outside.text


def test_engine_when_orders_name_symbols_nobody_trades_then_nothing_is_kept_for_them() -> None:
    h = Harness(RiskLimits(default=LimitSet(max_orders_per_second=5)))

    for i in range(50):
        h.execute(new_order(order_id=OrderId(f"Z{i}"), symbol=Symbol(f"ZZ{i}")))
    h.execute(new_order(order_id=OrderId("M1")))

    assert len(h.denials()) == 50
    assert list(h.risk._slots.kept) == [("FIX.4.4:FIXGW->CLIENT1", "ACCT1", "MSFT")]
    assert h.risk.exposure.working("ACCT1", "ZZ1", Side.BUY) == 0 and len(h.risk.exposure._cells) == 1


def test_engine_when_orders_name_accounts_the_client_may_not_trade_then_nothing_is_kept_for_them() -> None:
    h = Harness(RiskLimits(default=LimitSet(max_messages_per_second=5)), entitlements={"CLIENT1": frozenset({"ACCT1"})})

    for i in range(50):
        h.execute(new_order(order_id=OrderId(f"X{i}"), account=Account(f"X{i}")))
        h.risk.admit(SessionKey("FIX.4.4:FIXGW->CLIENT1"), f"X{i}", "MSFT")

    assert {d.reason for d in h.denials()} == {OrdRejReason.UNKNOWN_ACCOUNT}
    assert h.risk._slots.kept == {} and h.risk._slots._windows == {}
