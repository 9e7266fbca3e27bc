"""Properties of the measures: a sell is a buy seen in a mirror (same cost, same markout, opposite sides of the mid),
shortfall of a fully filled order is its slippage against the decision price, and figures are exact to the fourth
decimal whatever the prices' scale."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from domain.enums import Side
from tca.measures import BPS, display, markout_bps, shortfall_bps, shortfall_cash, slippage_bps

prices = st.decimals(min_value=Decimal("0.0001"), max_value=Decimal(100_000), places=4)
offsets = st.decimals(min_value=Decimal(-50), max_value=Decimal(50), places=4)
quantities = st.decimals(min_value=Decimal(1), max_value=Decimal(1_000_000), places=0)


@given(mid=prices, offset=offsets)
def test_slippage_when_a_sell_mirrors_a_buy_around_the_mid_then_the_same_cost(mid: Decimal, offset: Decimal) -> None:
    buy, sell = mid + offset, mid - offset

    assert slippage_bps(Side.BUY, buy, mid) == slippage_bps(Side.SELL, sell, mid)
    assert (slippage_bps(Side.BUY, buy, mid) > 0) == (offset > 0)  # paying above the mid is a cost


@given(px=prices, move=offsets)
def test_markout_when_the_mid_moves_our_way_then_positive_for_either_side(px: Decimal, move: Decimal) -> None:
    up = markout_bps(Side.BUY, px, px + move)
    down = markout_bps(Side.SELL, px, px - move)

    assert up == down
    assert (up > 0) == (move > 0)


@given(decision=prices, avg=prices, qty=quantities)
def test_shortfall_when_fully_filled_then_its_bps_is_the_slippage_against_the_decision(
    decision: Decimal, avg: Decimal, qty: Decimal
) -> None:
    cash = shortfall_cash(Side.BUY, decision, avg * qty, qty, None, Decimal(0))

    assert cash == (avg - decision) * qty  # exact: no rounding in the cash figure
    assert display(shortfall_bps(cash, decision, qty)) == display(slippage_bps(Side.BUY, avg, decision))


@given(mid=prices)
def test_slippage_when_one_tick_of_a_bps_then_exactly_one(mid: Decimal) -> None:
    assert slippage_bps(Side.BUY, mid + mid / BPS, mid) == 1
