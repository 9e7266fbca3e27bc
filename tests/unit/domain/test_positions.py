"""Average-cost positions and P&L (../shared/reference/risk-oms-tca.md section 4)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.enums import Side
from domain.positions import Position, PositionBook, unsigned_zero

D = Decimal


def test_position_when_same_side_fills_then_weighted_average_cost() -> None:
    # LEAN's worked example: buys 10@10, 5@11, 20@14, 3@9 -> average cost 12.1579
    position = Position("A", "X")
    for qty, px in [(10, 10), (5, 11), (20, 14), (3, 9)]:
        position.apply_fill(Side.BUY, D(qty), D(px))

    assert position.qty == 38
    assert round(position.avg_cost, 4) == D("12.1579")
    assert position.realized_pnl == 0


def test_position_when_partly_closed_then_realized_at_average_and_average_kept() -> None:
    position = Position("A", "X")
    position.apply_fill(Side.BUY, D(100), D(10))
    position.apply_fill(Side.BUY, D(100), D(12))

    position.apply_fill(Side.SELL, D(50), D(15))

    assert (position.qty, position.avg_cost, position.realized_pnl) == (150, 11, 200)
    assert position.unrealized_pnl == 150 * (15 - 11)


def test_position_when_fill_crosses_zero_then_residual_opens_at_fill_price() -> None:
    position = Position("A", "X")
    position.apply_fill(Side.BUY, D(10), D(100))

    position.apply_fill(Side.SELL, D(25), D(90))

    assert (position.qty, position.avg_cost, position.realized_pnl) == (-15, 90, -100)


def test_position_when_short_covered_lower_then_profit() -> None:
    position = Position("A", "X")
    position.apply_fill(Side.SELL, D(10), D(100))

    position.apply_fill(Side.BUY, D(10), D(95), fee=D("1.5"))

    assert (position.qty, position.avg_cost, position.realized_pnl, position.fees) == (0, 0, D("48.5"), D("1.5"))


def test_position_book_when_marked_then_unrealized_uses_mark() -> None:
    book = PositionBook()
    book.apply_fill("A", "X", Side.BUY, D(10), D(100))
    book.apply_fill("B", "Y", Side.BUY, D(10), D(100))

    book.mark("X", D(103))

    assert book.get("A", "X").unrealized_pnl == 30  # type: ignore[union-attr]
    assert book.get("B", "Y").unrealized_pnl == 0  # type: ignore[union-attr]


def test_position_when_short_marked_at_its_cost_then_unrealized_is_unsigned_zero() -> None:
    position = Position("A", "X")
    position.apply_fill(Side.SELL, D(10), D("100.00"))

    pnl = position.unrealized_pnl  # -10 x (100.00 - 100.00): Decimal's product is -0.00

    assert (str(pnl), pnl.is_signed()) == ("0.00", False)


@pytest.mark.parametrize(
    ("value", "plain"), [("-0.00", "0.00"), ("-0E-8", "0E-8"), ("0", "0"), ("-1.50", "-1.50"), ("2E+3", "2E+3")]
)
def test_unsigned_zero_when_value_then_only_a_zero_loses_its_sign(value: str, plain: str) -> None:
    assert str(unsigned_zero(D(value))) == plain


fills = st.lists(
    st.tuples(st.sampled_from([Side.BUY, Side.SELL]), st.integers(1, 500), st.integers(9000, 11000)),
    min_size=1,
    max_size=40,
)


@given(fills, st.integers(9000, 11000))
def test_position_when_any_fills_then_total_pnl_equals_cash_flow_identity(
    trades: list[tuple[Side, int, int]], mark_cents: int
) -> None:
    # realized + unrealized == sell proceeds - buy cost + qty x mark, for any method of lot relief.
    position = Position("A", "X")
    cash = D(0)
    for side, qty, cents in trades:
        price = D(cents) / 100
        position.apply_fill(side, D(qty), price)
        cash += (price if side is Side.SELL else -price) * qty
    mark = D(mark_cents) / 100
    position.mark = mark

    # Average cost is a rational number: Decimal's 28 digits round it, hence the tolerance.
    assert abs(position.total_pnl - (cash + position.qty * mark)) < Decimal("1e-15")


@given(fills, st.integers(9000, 11000), st.randoms(use_true_random=False))
def test_position_when_fills_arrive_in_any_order_then_total_pnl_is_the_same(
    trades: list[tuple[Side, int, int]], mark_cents: int, rnd: object
) -> None:
    # Same fills, same final position and mark: realized + unrealized does not depend on the arrival order.
    shuffled = list(trades)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    totals = []
    for sequence in (trades, shuffled):
        position = Position("A", "X")
        for side, qty, cents in sequence:
            position.apply_fill(side, D(qty), D(cents) / 100)
        position.mark = D(mark_cents) / 100
        totals.append(position.total_pnl)
    assert abs(totals[0] - totals[1]) < Decimal("1e-15")
