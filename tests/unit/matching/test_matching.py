"""The matching engine: price-time priority, partial fills, market and IOC/FOK remainders, cancels."""

from __future__ import annotations

from decimal import Decimal

from domain.enums import OrdType, Side, TimeInForce
from matching.book import MatchingEngine, OrderBook, SimOrder


def order(oid: str, side: Side, qty: int, price: str | None, tif: TimeInForce = TimeInForce.DAY) -> SimOrder:
    kind = OrdType.LIMIT if price is not None else OrdType.MARKET
    return SimOrder(oid, "X", side, kind, Decimal(qty), Decimal(price) if price else None, tif, owner="s")


def test_book_when_sell_crosses_two_bids_then_best_price_first() -> None:
    book = OrderBook("X")
    book.submit(order("b1", Side.BUY, 10, "99"))
    book.submit(order("b2", Side.BUY, 10, "100"))

    result = book.submit(order("s1", Side.SELL, 15, "98"))

    assert [(t.maker.order_id, t.qty, t.price) for t in result.trades] == [("b2", 10, 100), ("b1", 5, 99)]
    assert book.depth()[0] == [(Decimal(99), Decimal(5))]


def test_book_when_same_price_then_oldest_first() -> None:
    book = OrderBook("X")
    book.submit(order("a1", Side.SELL, 10, "101"))
    book.submit(order("a2", Side.SELL, 10, "101"))

    result = book.submit(order("b", Side.BUY, 12, "101"))

    assert [(t.maker.order_id, t.qty) for t in result.trades] == [("a1", 10), ("a2", 2)]


def test_book_when_limit_not_crossing_then_rests_without_trades() -> None:
    book = OrderBook("X")
    book.submit(order("a1", Side.SELL, 10, "101"))

    result = book.submit(order("b", Side.BUY, 10, "100"))

    assert (result.trades, result.rested) == ([], True)
    assert book.depth() == ([(Decimal(100), Decimal(10))], [(Decimal(101), Decimal(10))])


def test_book_when_partially_filled_limit_then_rest_works_at_its_price() -> None:
    book = OrderBook("X")
    book.submit(order("a1", Side.SELL, 5, "101"))

    buy = order("b", Side.BUY, 8, "101")
    result = book.submit(buy)

    assert (buy.cum_qty, buy.leaves_qty, result.rested) == (5, 3, True)
    assert book.depth() == ([(Decimal(101), Decimal(3))], [])


def test_book_when_market_order_exceeds_liquidity_then_remainder_canceled() -> None:
    book = OrderBook("X")
    book.submit(order("a1", Side.SELL, 5, "101"))
    book.submit(order("a2", Side.SELL, 5, "105"))

    buy = order("m", Side.BUY, 12, None)
    result = book.submit(buy)

    assert [t.price for t in result.trades] == [101, 105]
    assert (result.canceled_qty, result.rested, buy.avg_px) == (2, False, 103)


def test_book_when_ioc_then_never_rests() -> None:
    book = OrderBook("X")
    result = book.submit(order("i", Side.BUY, 5, "100", TimeInForce.IMMEDIATE_OR_CANCEL))

    assert (result.trades, result.rested, result.canceled_qty) == ([], False, 5)


def test_book_when_fok_cannot_fill_whole_then_no_trade() -> None:
    book = OrderBook("X")
    book.submit(order("a1", Side.SELL, 5, "100"))

    result = book.submit(order("f", Side.BUY, 6, "100", TimeInForce.FILL_OR_KILL))

    assert (result.trades, result.canceled_qty) == ([], 6)
    assert book.depth()[1] == [(Decimal(100), Decimal(5))]


def test_book_when_resting_order_canceled_then_gone_and_second_cancel_fails() -> None:
    book = OrderBook("X")
    resting = order("b", Side.BUY, 5, "100")
    book.submit(resting)

    assert book.cancel(resting) is True
    assert book.cancel(resting) is False
    assert book.depth() == ([], [])


def test_engine_seed_when_depth_3_then_levels_each_side_a_tick_apart() -> None:
    engine = MatchingEngine()

    engine.seed("X", Decimal("100.00"), Decimal("0.01"), 3, Decimal(500))

    bids, asks = engine.book("X").depth()
    assert [p for p, _ in bids] == [Decimal("99.99"), Decimal("99.98"), Decimal("99.97")]
    assert [p for p, _ in asks] == [Decimal("100.01"), Decimal("100.02"), Decimal("100.03")]
    assert {q for _, q in bids + asks} == {Decimal(500)}
