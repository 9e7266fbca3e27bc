"""The reservation price and the quotes around it: the issue's table, and the rounding rule."""

from __future__ import annotations

from decimal import Decimal

import pytest

from strategy.pricing import quote_prices, reservation_price
from tests.unit.strategy.harness import Maker, by_side

D = Decimal


@pytest.mark.parametrize(
    ("inventory", "bid", "ask"),
    [("0", "99.98", "100.02"), ("200", "99.96", "100.00"), ("-300", "100.01", "100.05")],
)
def test_quotes_when_mid_100_h_2_k_1_per_100_then_the_issue_table(inventory: str, bid: str, ask: str) -> None:
    r = reservation_price(D("100.00"), D(inventory), D("0.01"), D(1), D(100))
    assert quote_prices(r, D("0.01"), 2) == (D(bid), D(ask))


@pytest.mark.parametrize(
    ("inventory", "bid", "ask"),
    [("0", "99.98", "100.02"), ("200", "99.96", "100.00"), ("-300", "100.01", "100.05")],
)
def test_market_maker_when_mid_100_then_it_quotes_the_issue_table(inventory: str, bid: str, ask: str) -> None:
    maker = Maker(inventory=inventory)
    sent = by_side(maker.mid("100.00"))
    assert (sent["BUY"].price, sent["SELL"].price) == (D(bid), D(ask))
    assert sent["BUY"].order_qty == sent["SELL"].order_qty == D(100)


def test_quotes_when_r_between_ticks_then_bid_rounds_down_and_offer_up() -> None:
    # mid 100.005 (a one-tick book 100.00/100.01): r ± 2 ticks = 99.985 / 100.025, each rounded away from r.
    assert quote_prices(D("100.005"), D("0.01"), 2) == (D("99.98"), D("100.03"))
    # a skew of a third of a tick: r = 99.99666..., never quoted closer than h to it
    r = reservation_price(D("100.00"), D(100), D("0.01"), D(1), D(300))
    assert quote_prices(r, D("0.01"), 2) == (D("99.97"), D("100.02"))


def test_quotes_are_whole_ticks_of_the_instrument() -> None:
    bid, ask = quote_prices(D("50.0371"), D("0.05"), 1)
    assert (bid, ask) == (D("49.95"), D("50.10"))
