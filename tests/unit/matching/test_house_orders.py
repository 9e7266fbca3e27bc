"""The venue's own orders through the exchange: members they trade with get their fills, the house gets nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.clock import TestClock
from domain.enums import ExecType, OrdStatus, OrdType, Side, TimeInForce
from domain.ids import ClOrdId, SessionKey
from domain.reports import ExecutionReport
from matching.book import MatchingEngine, OrderBook, SimOrder
from matching.exchange import Exchange, VenueReport
from tests.factories import new_order

MEMBER = SessionKey("FIX.4.4:VENUE->FIXGW")


def house(side: Side, qty: str, price: str | None, tif: TimeInForce = TimeInForce.IMMEDIATE_OR_CANCEL) -> SimOrder:
    kind = OrdType.LIMIT if price is not None else OrdType.MARKET
    return SimOrder("T1", "MSFT", side, kind, Decimal(qty), Decimal(price) if price else None, tif)


def exchange() -> tuple[Exchange, list[VenueReport]]:
    reports: list[VenueReport] = []
    return Exchange(TestClock(1), MatchingEngine(), ["MSFT"], reports.append), reports


def test_submit_house_when_it_takes_a_member_order_then_only_the_member_gets_150f() -> None:
    venue, reports = exchange()
    venue.engine.book("MSFT").rest(SimOrder("H1", "MSFT", Side.SELL, OrdType.LIMIT, Decimal(50), Decimal("100.05")))
    venue.execute(new_order(session=MEMBER, cl_ord_id=ClOrdId("B1"), side=Side.BUY, price=Decimal("100.01")))
    reports.clear()

    result = venue.submit_house(house(Side.SELL, "300", "99.95"))

    assert [(t.maker.cl_ord_id, t.qty, t.price) for t in result.trades] == [("B1", 100, Decimal("100.01"))]
    assert result.canceled_qty == 200  # the IOC remainder is dropped without a report
    assert len(reports) == 1
    fill = reports[0]
    assert isinstance(fill, ExecutionReport)
    assert (fill.session, fill.cl_ord_id, fill.exec_type, fill.ord_status) == (
        MEMBER,
        "B1",
        ExecType.TRADE,
        OrdStatus.FILLED,
    )
    assert (fill.last_qty, fill.last_px) == (100, Decimal("100.01"))


def test_submit_house_when_it_takes_only_house_liquidity_then_no_report() -> None:
    venue, reports = exchange()
    venue.engine.seed("MSFT", Decimal("100.00"), Decimal("0.01"), 2, Decimal(100))

    result = venue.submit_house(house(Side.BUY, "150", None, TimeInForce.DAY))

    assert sum(t.qty for t in result.trades) == 150 and reports == []
    assert venue.engine.book("MSFT").depth()[1] == [(Decimal("100.02"), Decimal(50))]


def test_submit_house_when_order_has_an_owner_then_refused() -> None:
    venue, _ = exchange()
    owned = house(Side.BUY, "1", "100")
    owned.owner = MEMBER
    with pytest.raises(ValueError, match="has no owner"):
        venue.submit_house(owned)


def test_resting_when_orders_on_both_sides_then_best_price_first_oldest_first() -> None:
    book = OrderBook("MSFT")
    for oid, side, price in (("b1", Side.BUY, "99"), ("b2", Side.BUY, "100"), ("b3", Side.BUY, "100")):
        book.rest(SimOrder(oid, "MSFT", side, OrdType.LIMIT, Decimal(1), Decimal(price)))
    book.rest(SimOrder("a1", "MSFT", Side.SELL, OrdType.LIMIT, Decimal(1), Decimal("101")))

    assert [o.order_id for o in book.resting(Side.BUY)] == ["b2", "b3", "b1"]
    assert [o.order_id for o in book.resting(Side.SELL)] == ["a1"]
