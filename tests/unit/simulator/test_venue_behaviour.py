"""The simulator's behaviour: changed while it runs, adverse selection refused without a house ladder, and a noise
taker's fill of a member's quote moving the fair value against the member."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from domain.clock import TestClock
from domain.enums import Side
from domain.ids import ClOrdId, SessionKey
from matching.behaviour import Behaviour, VenueBehaviour
from matching.book import MatchingEngine
from matching.changes import BookChanges
from matching.exchange import VenueReport
from matching.market import HouseMarket
from simulator.flow_runner import FlowRunner
from simulator.marketdata import MarketDataMessage
from simulator.venue import VenueSimulator
from tests.factories import new_order
from tests.unit.simulator.test_flow_runner import LEVEL_QTY, MEMBER, PARAMS, SYMBOLS, Capturing


class Housed(VenueSimulator):
    """A simulator with a house market and a behaviour, that keeps what it would send."""

    def __init__(self, behaviour: Behaviour) -> None:
        self.sent: list[object] = []
        changes = BookChanges()
        engine = MatchingEngine(changes)
        for symbol, reference in SYMBOLS.items():
            engine.seed(symbol, reference, PARAMS.tick, PARAMS.depth, LEVEL_QTY)
        house = HouseMarket(SYMBOLS, PARAMS.tick, PARAMS.depth, LEVEL_QTY)
        super().__init__(TestClock(1), engine, SYMBOLS, changes, behaviour=VenueBehaviour(behaviour), house=house)

    def _send(self, report: VenueReport) -> None:
        self.sent.append(report)

    def _send_market_data(self, session: SessionKey, message: MarketDataMessage) -> None:
        self.sent.append(message)


def test_set_behaviour_when_no_house_then_adverse_refused_and_the_rest_applied() -> None:
    venue = Capturing()

    with pytest.raises(ValueError, match=r"\[simulator.behaviour\]"):
        venue.set_behaviour(Behaviour(adverse_bps=Decimal(1)))
    venue.set_behaviour(Behaviour(reject_ratio=1.0))

    assert venue.behaviour.settings == Behaviour(reject_ratio=1.0)


def test_flow_when_taker_fills_member_quote_then_fair_value_moves_against_the_member() -> None:
    venue = Housed(Behaviour(adverse_bps=Decimal(5)))
    flow = FlowRunner(
        venue, SYMBOLS, dataclasses.replace(PARAMS, vol_bps_per_sqrt_s=0.0, taker_rate_per_s=50.0), LEVEL_QTY
    )
    # A member's bid at the fair value: the best bid, which the first noise seller takes.
    with venue.locked():  # as the FIX front executes a member's order
        venue.execute(new_order(session=MEMBER, cl_ord_id=ClOrdId("Q1"), side=Side.BUY, price=Decimal("100.00")))

    while venue.behaviour.counters.adverse_moves == 0:
        flow.step()

    assert flow.market.offset("MSFT") < 0  # the member bought: the fair value went down
    bids, asks = venue.engine.book("MSFT").depth(1)
    assert asks[0][0] - bids[0][0] == 2 * PARAMS.tick
