"""Portfolio checks in the catalogue (gross, net, VaR) and their post-trade breaches after fills and mark moves."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from domain.commands import CancelWorking
from domain.enums import OrdRejReason, Side
from domain.ids import OrderId, Symbol
from risk.controls import TradingState
from risk.headroom import Bounds, fit
from risk.limits import FirmLimits, LimitSet, RiskLimits
from risk.portfolio import Portfolio
from risk.portfolio_checks import check_portfolio
from risk.var import VarSettings
from tests.factories import new_order
from tests.unit.risk.harness import Harness
from tests.unit.risk.test_catalogue import replace_of

D = Decimal
Z99 = 2.3263478740408408


def harness(on_breach: Any = (), var: VarSettings | None = None, **limits: Any) -> Harness:
    """MSFT and IBM at a reference of 100; ``var``: fallback 3 % a day, correlation 1 unless given."""
    risk = RiskLimits(default=LimitSet(**limits), on_breach=on_breach, var=var or VarSettings())
    return Harness(risk, symbols=("MSFT", "IBM"))


def order(side: Side = Side.BUY, qty: int = 100, symbol: str = "MSFT", price: str = "100") -> Any:
    return new_order(side=side, order_qty=D(qty), symbol=Symbol(symbol), price=D(price))


def test_gross_when_order_would_cross_the_limit_then_denied_naming_limit_now_and_after() -> None:
    h = harness(max_gross_exposure=D(50_000))
    h.fill(Side.BUY, "300", "100")

    denial = h.risk.check(order(qty=250))

    assert denial is not None and denial.reason is OrdRejReason.ORDER_EXCEEDS_LIMIT
    assert denial.check == "gross_exposure"
    assert denial.text == (
        "max gross exposure exceeded: gross exposure 30000.00 now, 55000.00 with this BUY 250 MSFT "
        "> limit 50000 (account ACCT1)"
    )
    assert h.risk.check(order(qty=200)) is None  # exactly at the limit


def test_gross_when_working_orders_on_the_side_then_they_count_as_filled() -> None:
    h = harness(max_gross_exposure=D(50_000))
    h.fill(Side.BUY, "300", "100")
    h.update("W1", Side.BUY, leaves="100")  # a working buy of 100

    denial = h.risk.check(order(qty=150))

    assert denial is not None
    assert "55000.00 with this BUY 150 MSFT and the 100 working BUY > limit 50000" in denial.text
    assert h.risk.check(order(Side.SELL, qty=150)) is None  # the working buy is not on a sell's side


def test_gross_when_replace_then_the_orders_own_working_quantity_is_not_counted_twice() -> None:
    h = harness(max_gross_exposure=D(50_000))
    h.fill(Side.BUY, "300", "100")
    h.update("O1", Side.BUY, leaves="150")

    assert h.risk.check(replace_of("O1", 200)) is None  # 300 + 200 = 500 x 100
    assert h.risk.check(replace_of("O1", 201)) is not None


def test_gross_when_over_the_limit_then_a_reducing_order_passes_and_an_increasing_one_is_denied() -> None:
    h = harness(max_gross_exposure=D(50_000))
    h.fill(Side.BUY, "600", "100")  # 60,000: over (no action configured)

    assert h.risk.check(order(Side.SELL, qty=100)) is None
    assert h.risk.check(order(Side.SELL, qty=1200)) is None  # long 600 to short 600: not more gross
    assert h.risk.check(order(Side.SELL, qty=1300)) is not None
    assert h.risk.check(order(qty=1)) is not None


def test_net_when_order_would_cross_either_way_then_denied_and_a_hedge_passes() -> None:
    h = harness(max_net_exposure=D(15_000))
    h.fill(Side.BUY, "300", "100", order_id="F1")
    h.fill(Side.SELL, "200", "100", order_id="F2", symbol="IBM")  # net 10,000

    long_denial = h.risk.check(order(qty=100))
    short_denial = h.risk.check(order(Side.SELL, qty=400, symbol="IBM"))

    assert long_denial is not None and long_denial.check == "net_exposure"
    assert long_denial.text == (
        "max net exposure exceeded: net exposure 10000.00 now, 20000.00 with this BUY 100 MSFT "
        "beyond ±15000 (account ACCT1)"
    )
    assert short_denial is not None and "-30000.00 with this SELL 400 IBM beyond ±15000" in short_denial.text
    assert h.risk.check(order(Side.SELL, qty=50)) is None
    assert h.risk.check(order(Side.SELL, qty=250, symbol="IBM")) is None  # net -15,000


def test_var_when_order_would_cross_the_limit_then_denied_with_the_var_now_and_after() -> None:
    # 300 x 100 at the fallback 3 % a day: VaR = 2.3263 x 30,000 x 0.03 = 2093.71; +100: 2791.62
    h = harness(max_var=D(2500))
    h.fill(Side.BUY, "300", "100")

    denial = h.risk.check(order(qty=100))

    assert denial is not None and denial.check == "value_at_risk"
    assert denial.reason is OrdRejReason.ORDER_EXCEEDS_LIMIT
    assert denial.text == (
        "max VaR exceeded: 1-day VaR 2093.71 now, 2791.62 with this BUY 100 MSFT > limit 2500 (account ACCT1)"
    )
    assert h.risk.check(order(qty=50)) is None  # 2442.67


def test_var_when_over_the_limit_then_a_hedge_in_another_symbol_passes() -> None:
    # correlation 1 (no history): short IBM offsets long MSFT, so the VaR falls though the gross rises
    h = harness(max_var=D(1000))
    h.fill(Side.BUY, "300", "100")  # VaR 2093.71 > 1000

    assert h.risk.check(order(qty=1)) is not None
    assert h.risk.check(order(Side.SELL, qty=300, symbol="IBM")) is None
    assert h.risk.check(order(Side.SELL, qty=700, symbol="IBM")) is not None  # short 400 net: more VaR


def test_var_when_correlation_zero_then_a_second_symbol_diversifies() -> None:
    h = harness(max_var=D(2100), var=VarSettings(fallback_correlation=0.0))
    h.fill(Side.BUY, "300", "100")  # 2093.71

    denial = h.risk.check(order(qty=100, symbol="IBM"))  # sqrt(300^2 + 100^2) x 100 x 0.03 x z = 2206.97

    assert denial is not None and "2206.97 with this BUY 100 IBM" in denial.text


def test_live_limit_change_when_max_var_set_for_an_account_then_the_next_order_reads_it() -> None:
    h = harness()
    h.fill(Side.BUY, "300", "100")
    assert h.risk.check(order()) is None

    h.risk.set_limits(h.risk.limits.with_limit("account", "ACCT1", "max_var", D(2500)))

    assert h.risk.check(order()) is not None


def test_limits_when_a_portfolio_limit_is_set_for_a_symbol_then_refused_in_one_line() -> None:
    with pytest.raises(ValidationError, match="max_var is about an account's whole portfolio"):
        RiskLimits.model_validate({"symbols": {"MSFT": {"max_var": "10"}}})


def test_mark_move_when_it_pushes_var_over_the_limit_then_the_configured_actions_run_once() -> None:
    h = harness(on_breach=("halt", "cancel_working"), max_var=D(2200))
    h.fill(Side.BUY, "300", "100")  # 2093.71
    h.sample({"MSFT": "100"}, ts_ns=1_000_000_000)
    assert not h.actions

    h.sample({"MSFT": "110"}, ts_ns=2_000_000_000)  # 33,000 at 3 %: 2303.08
    h.sample({"MSFT": "111"}, ts_ns=3_000_000_000)  # still over: nothing again

    state, control = h.risk.controls.state("ACCT1")
    assert state is TradingState.HALTED and control is not None
    assert control.reason == "post-trade breach: 1-day VaR 2303.08 > 2200"
    assert [type(m) for _, m in h.sent] == [CancelWorking]
    assert [a.action for a in h.actions] == ["cancel_working"]


def test_fill_when_it_takes_gross_over_the_limit_then_reduce_only_and_no_reducing_order() -> None:
    h = harness(on_breach=("reduce_only", "cancel_working", "send_reducing_order"), max_gross_exposure=D(50_000))

    h.fill(Side.BUY, "600", "100")

    assert h.risk.controls.state("ACCT1")[0] is TradingState.REDUCE_ONLY
    assert not h.risk_orders()  # which position to cut is the trader's call
    assert "gross exposure 60000.00 > 50000" in h.actions[0].reason


def test_sample_when_mid_known_then_positions_are_marked_to_it_and_the_firm_follows() -> None:
    h = harness()
    h.fill(Side.BUY, "300", "100")
    h.fill(Side.SELL, "100", "100", order_id="F2", symbol="IBM")

    h.sample({"MSFT": "101.5"})

    portfolio = h.risk.portfolio
    book = portfolio.books["ACCT1"]
    assert (book.gross, book.net) == (D("40450.0"), D("20450.0"))
    rows = {r["symbol"]: r for r in portfolio.breakdown(book)}
    assert (rows["MSFT"]["mark_source"], rows["IBM"]["mark_source"]) == ("mid", "last")
    assert portfolio.figures(portfolio.firm) == portfolio.figures(book)


def test_fill_when_order_id_is_unknown_then_working_orders_elsewhere_do_not_count() -> None:
    h = harness(max_gross_exposure=D(50_000))
    h.update(OrderId("W1"), Side.BUY, leaves="400", symbol="IBM")  # working in IBM, not in MSFT

    assert h.risk.check(order(qty=500)) is None


def test_sample_when_the_limit_was_lowered_below_but_no_mark_moved_then_no_action_until_one_does() -> None:
    h = harness(on_breach=("halt",))
    h.fill(Side.BUY, "300", "100")
    h.sample({"MSFT": "100"}, ts_ns=1_000_000_000)
    h.risk.set_limits(h.risk.limits.with_limit("default", None, "max_var", D(2000)))  # 2093.71 is over

    h.sample({"MSFT": "100"}, ts_ns=2_000_000_000)
    h.sample({"IBM": "99"}, ts_ns=3_000_000_000)  # a symbol the account does not hold
    assert h.risk.controls.state("ACCT1")[0] is TradingState.ACTIVE

    h.sample({"MSFT": "100.01"}, ts_ns=4_000_000_000)
    assert h.risk.controls.state("ACCT1")[0] is TradingState.HALTED


def firm_harness(on_breach: Any = (), **limits: Any) -> Harness:
    risk = RiskLimits(firm=FirmLimits(**limits), on_breach=on_breach)
    return Harness(risk, symbols=("MSFT", "IBM"))


def test_firm_when_another_accounts_positions_and_working_orders_count_then_denied_firm_wide() -> None:
    h = firm_harness(max_gross_exposure=D(50_000))
    h.fill(Side.BUY, "300", "100", order_id="F1", account="ACCT2")
    h.update("W2", Side.BUY, leaves="100", account="ACCT2")  # ACCT2's working buy counts for the firm

    denial = h.risk.check(order(qty=150))  # ACCT1 holds nothing

    assert denial is not None and denial.check == "firm_gross_exposure"
    assert denial.text == (
        "max firm gross exposure exceeded: gross exposure 30000.00 now, 55000.00 with this BUY 150 MSFT and the "
        "100 working BUY > limit 50000 (firm-wide, every account)"
    )
    assert h.risk.check(order(Side.SELL, qty=250)) is None  # the firm is long: a sell lowers its gross


def test_firm_var_when_one_account_hedges_another_then_the_hedge_passes() -> None:
    h = firm_harness(max_var=D(1000))
    h.fill(Side.BUY, "300", "100", account="ACCT2")  # the firm's VaR 2093.71 > 1000

    assert h.risk.check(order(qty=1)) is not None
    assert h.risk.check(order(Side.SELL, qty=200)) is None  # ACCT1 sells what ACCT2 bought: the firm's VaR falls


def test_firm_breach_after_a_fill_then_the_whole_gateway_is_halted_and_every_order_canceled() -> None:
    h = firm_harness(on_breach=("halt", "cancel_working"), max_net_exposure=D(50_000))
    h.fill(Side.BUY, "300", "100", order_id="F1")

    h.fill(Side.BUY, "300", "100", order_id="F2", account="ACCT2")  # the firm: 60,000

    state, control = h.risk.controls.state("ACCT9")  # any account: the state is global
    assert state is TradingState.HALTED and control is not None and control.scope == "global"
    assert control.reason == "post-trade breach: firm net exposure 60000.00 beyond ±50000"
    [cancel] = [m for _, m in h.sent if isinstance(m, CancelWorking)]
    assert cancel.everything and cancel.account is None
    assert [(a.action, a.scope) for a in h.actions] == [("cancel_working", "global")]


def test_firm_limit_when_set_live_then_the_next_order_reads_it() -> None:
    h = firm_harness()
    h.fill(Side.BUY, "300", "100", account="ACCT2")

    h.risk.set_limits(h.risk.limits.with_limit("firm", None, "max_gross_exposure", D(30_000)))

    denial = h.risk.check(order(qty=1))
    assert denial is not None and denial.check == "firm_gross_exposure"
    with pytest.raises(ValueError, match="unknown firm limit 'max_order_qty'"):
        h.risk.limits.with_limit("firm", None, "max_order_qty", D(1))


@settings(max_examples=300, deadline=None)
@given(
    positions=st.lists(st.integers(-5_000, 5_000), min_size=3, max_size=3),
    marks=st.lists(st.decimals("0.01", "5000", places=2), min_size=3, max_size=3),
    working=st.integers(0, 3_000),
    qty=st.integers(1, 3_000),
    buy=st.booleans(),
    offset=st.sampled_from(["-0.01", "0", "0.01", "-1000", "1000"]),
)
def test_headroom_and_screen_when_near_or_at_the_limit_then_the_verdict_is_the_exact_decimal_one(
    positions: list[int], marks: list[Decimal], working: int, qty: int, buy: bool, offset: str
) -> None:
    """Neither the headroom nor the float screen lets through what the exact rule refuses, nor refuses what it lets
    through: limits are put at, just below and just above the exact result."""
    portfolio = Portfolio(RiskLimits(), {})
    for symbol, position, mark in zip(("A", "B", "C"), positions, marks, strict=True):
        if position:
            portfolio.on_fill("ACCT1", symbol, D(position), mark)
    book = portfolio.book("ACCT1")
    leg = portfolio.leg(book, "A")
    mark = marks[0]
    sign = 1 if buy else -1
    gross_after = book.gross - leg.size + abs(leg.value + sign * (working + qty) * mark)
    gross_before = book.gross - leg.size + abs(leg.value + sign * working * mark)
    net_after, net_before = book.net + sign * (working + qty) * mark, book.net + sign * working * mark
    o = order(Side.BUY if buy else Side.SELL, qty=qty, symbol="A")

    for kind, after, before in (("gross", gross_after, gross_before), ("net", abs(net_after), abs(net_before))):
        limit = after + D(offset)
        if limit <= 0:
            continue
        book.bounds = Bounds(limit, None, None, 2.33) if kind == "gross" else Bounds(None, limit, None, 2.33)
        fit(book)  # the leg's headroom: the fast path
        denial = check_portfolio(o, book, leg, D(working), D(qty), mark)
        assert (denial is not None) == (after > limit and after > before), (kind, after, before, limit)


@settings(max_examples=200, deadline=None)
@given(
    positions=st.lists(st.integers(-5_000, 5_000), min_size=3, max_size=3),
    working=st.integers(0, 3_000),
    qty=st.integers(1, 3_000),
    buy=st.booleans(),
    symbol=st.sampled_from("ABC"),
    ratio=st.sampled_from([0.5, 0.999999, 1.000001, 2.0]),
)
def test_headroom_when_var_limit_near_the_result_then_the_verdict_is_the_full_rule(
    positions: list[int], working: int, qty: int, buy: bool, symbol: str, ratio: float
) -> None:
    """The VaR limit put as a variance at, or a millionth either side of, the variance the order would reach."""
    portfolio = Portfolio(RiskLimits(var=VarSettings(fallback_correlation=0.3)), {})
    for name, position, mark in zip("ABC", positions, ("10", "50", "120"), strict=True):
        if position:
            portfolio.on_fill("ACCT1", name, D(position), D(mark))
    book = portfolio.book("ACCT1")
    leg = portfolio.leg(book, symbol)
    mark = float(leg.market.mark or D(100))
    sign = 1.0 if buy else -1.0
    d, w = sign * (working + qty) * mark, sign * working * mark
    after = book.variance + d * (2 * leg.u + d * leg.market.own)
    before = book.variance + w * (2 * leg.u + w * leg.market.own)
    bound = after * ratio
    if bound <= 0:
        return
    book.bounds = Bounds(None, None, D(repr(math.sqrt(bound) * 2.33)), 2.33)
    fit(book)
    o = order(Side.BUY if buy else Side.SELL, qty=qty, symbol=symbol)

    denial = check_portfolio(o, book, leg, D(working), D(qty), leg.market.mark or D(100))

    limit_variance = book.bounds.var_bound
    assert limit_variance is not None
    assert (denial is not None) == (after > limit_variance and after > before), (after, before, limit_variance)
