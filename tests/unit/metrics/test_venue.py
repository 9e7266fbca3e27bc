"""The venue simulator's own counts: orders accepted and refused, trades, reports by ExecType."""

from __future__ import annotations

from decimal import Decimal

from app.metrics.venue import SimulatorMetrics
from domain.clock import TestClock
from domain.enums import Side
from domain.ids import SessionKey, Symbol
from matching.behaviour import Behaviour, VenueBehaviour
from matching.book import MatchingEngine
from simulator.venue import VenueSimulator
from tests.factories import new_order
from tests.unit.metrics.values import value, values

MEMBER = SessionKey("FIX.4.4:VENUE->FIXGW")


def test_collect_when_orders_trade_and_one_is_refused_then_counts_follow() -> None:
    venue = VenueSimulator(TestClock(), MatchingEngine(), ["MSFT", "IBM"])  # no session: reports go nowhere
    venue.execute(new_order(session=MEMBER, price=Decimal(100), order_qty=Decimal(10)))
    venue.execute(new_order(session=MEMBER, cl_ord_id="C2", side=Side.SELL, price=Decimal(100), order_qty=Decimal(4)))
    venue.execute(new_order(session=MEMBER, cl_ord_id="C3", symbol=Symbol("XYZ")))

    found = values(SimulatorMetrics(venue, ["MSFT", "IBM"]))

    assert value(found, "fixgw_simulator_orders_total", symbol="MSFT") == 2
    assert value(found, "fixgw_simulator_orders_total", symbol="IBM") == 0
    assert value(found, "fixgw_simulator_order_rejects_total") == 1
    assert value(found, "fixgw_simulator_trades_total", symbol="MSFT") == 1
    assert value(found, "fixgw_simulator_executions_total", exec_type="new") == 2
    assert value(found, "fixgw_simulator_executions_total", exec_type="trade") == 2  # both sides are members'
    assert value(found, "fixgw_simulator_executions_total", exec_type="rejected") == 1
    assert value(found, "fixgw_simulator_marketdata_subscriptions") == 0
    assert not any(("symbol", "XYZ") in labels for _, labels in found)


def test_collect_when_behaviour_rejects_and_charges_then_its_counts_and_settings_show() -> None:
    behaviour = VenueBehaviour(Behaviour(fee_per_share=Decimal("0.01"), reject_ratio=0.5, latency_ms=7), seed=3)
    venue = VenueSimulator(TestClock(), MatchingEngine(), ["MSFT"], behaviour=behaviour)
    for n in range(10):
        venue.execute(new_order(session=MEMBER, cl_ord_id=f"B{n}", price=Decimal(100), order_qty=Decimal(10)))
    venue.execute(new_order(session=MEMBER, cl_ord_id="S1", side=Side.SELL, price=Decimal(100), order_qty=Decimal(30)))

    found = values(SimulatorMetrics(venue, ["MSFT"]))

    assert value(found, "fixgw_simulator_behaviour_total", kind="rejected") == behaviour.counters.rejected > 0
    assert value(found, "fixgw_simulator_fees_total") == float(behaviour.counters.fees) > 0
    assert value(found, "fixgw_simulator_behaviour_setting", setting="latency_ms") == 7
    assert value(found, "fixgw_simulator_behaviour_setting", setting="reject_ratio") == 0.5
