"""The house market: ladders rested again after members' fills, and moved against them with adverse selection, at
every venue that quotes around the same fair values."""

from __future__ import annotations

from decimal import Decimal

from domain.clock import TestClock
from domain.enums import Side
from domain.ids import ClOrdId, SessionKey
from matching.behaviour import Behaviour, VenueBehaviour
from matching.book import MatchingEngine
from matching.exchange import Exchange, VenueReport
from matching.market import HouseMarket
from tests.factories import new_order

MEMBER = SessionKey("FIX.4.4:VENUE->FIXGW")
TICK = Decimal("0.01")
QTY = Decimal(500)


class Venue:
    """An exchange that joined the market; counts its publishes."""

    def __init__(self, market: HouseMarket, name: str, behaviour: Behaviour) -> None:
        self.reports: list[VenueReport] = []
        engine = MatchingEngine()
        engine.seed("MSFT", Decimal("100.00"), TICK, 3, QTY)
        self.behaviour = VenueBehaviour(behaviour)
        self.exchange = Exchange(TestClock(1), engine, ["MSFT"], self.reports.append, behaviour=self.behaviour)
        self.published = 0
        self.market = market
        market.join(name, engine, self._publish)

    def _publish(self) -> None:
        self.published += 1

    def order(self, cl_ord_id: str, side: Side, qty: int, price: str) -> None:
        self.exchange.execute(
            new_order(
                session=MEMBER, cl_ord_id=ClOrdId(cl_ord_id), side=side, order_qty=Decimal(qty), price=Decimal(price)
            )
        )
        self.market.after_command(self.exchange.drain_member_fills(), self.behaviour)

    def top(self) -> tuple[tuple[Decimal, Decimal], tuple[Decimal, Decimal]]:
        bids, asks = self.exchange.engine.book("MSFT").depth()
        return bids[0], asks[0]


def market() -> HouseMarket:
    return HouseMarket({"MSFT": Decimal("100.00")}, TICK, 3, QTY)


def test_after_command_when_clean_venue_filled_then_ladder_whole_again_at_the_same_fair_value() -> None:
    venue = Venue(market(), "A", Behaviour())

    venue.order("B1", Side.BUY, 700, "100.02")

    assert venue.market.fair("MSFT") == Decimal("100.00")
    assert venue.exchange.engine.book("MSFT").depth() == (
        [(Decimal("99.99"), QTY), (Decimal("99.98"), QTY), (Decimal("99.97"), QTY)],
        [(Decimal("100.01"), QTY), (Decimal("100.02"), QTY), (Decimal("100.03"), QTY)],
    )


def test_after_command_when_member_bought_at_adverse_venue_then_fair_value_moves_down_by_the_bps() -> None:
    venue = Venue(market(), "B", Behaviour(adverse_bps=Decimal(2)))

    venue.order("B1", Side.BUY, 100, "100.01")

    assert venue.market.fair("MSFT") == Decimal("99.98")
    assert venue.top() == ((Decimal("99.97"), QTY), (Decimal("99.99"), QTY))  # bought at 100.01: mid now 99.98

    venue.order("S1", Side.SELL, 100, "99.97")
    venue.order("S2", Side.SELL, 100, "100.01")  # rests: nothing traded, nothing moves

    assert venue.market.fair("MSFT") == Decimal("100.00") and venue.market.offset("MSFT") == 0


def test_after_command_when_market_shared_then_the_other_venue_moves_too_and_publishes() -> None:
    shared = market()
    clean = Venue(shared, "A", Behaviour())
    adverse = Venue(shared, "B", Behaviour(adverse_bps=Decimal(3)))

    adverse.order("S1", Side.SELL, 100, "99.99")

    assert clean.top() == adverse.top() == ((Decimal("100.02"), QTY), (Decimal("100.04"), QTY))
    assert clean.published == 1

    clean.order("S2", Side.SELL, 100, "99.99")  # at the clean venue, selling moves nothing

    assert shared.fair("MSFT") == Decimal("100.03")


def test_fair_when_moved_far_down_then_never_below_depth_plus_one_ticks() -> None:
    shared = HouseMarket({"MSFT": Decimal("0.05")}, TICK, 3, QTY)
    shared.set_base("MSFT", Decimal("0.01"))

    assert shared.fair("MSFT") == Decimal("0.04")
