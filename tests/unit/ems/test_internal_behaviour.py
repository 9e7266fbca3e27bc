"""An internal venue with a behaviour: its added latency runs a request later, entering the bus as a FIX venue's
report would; fees and rejects reach the OMS as events; its behaviour changes while it runs."""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

import pytest

from domain.bus import MessageBus
from domain.channels import OMS_PROCESS
from domain.clock import TestClock
from domain.enums import Side
from domain.events import OrderAccepted, OrderFilled, OrderRejected
from domain.ids import ClOrdId, OrderId, VenueId
from ems.venues.internal import InternalVenue
from matching.behaviour import Behaviour, VenueBehaviour
from matching.book import MatchingEngine
from matching.market import HouseMarket
from tests.factories import new_order

POOL = VenueId("POOL")
TICK = Decimal("0.01")


class Events:
    """``oms.process``: the events, the thread each came on, whether the bus lock was held."""

    def __init__(self, bus: MessageBus) -> None:
        self._bus = bus
        self.events: list[Any] = []
        self.threads: list[str] = []
        self.arrived = threading.Condition()

    def __call__(self, event: Any) -> None:
        with self.arrived:
            self.events.append(event)
            self.threads.append(threading.current_thread().name)
            self.arrived.notify_all()

    def wait_for(self, count: int) -> list[Any]:
        with self.arrived:
            assert self.arrived.wait_for(lambda: len(self.events) >= count, timeout=10), self.events
            return list(self.events)


def pool(behaviour: Behaviour | None) -> tuple[InternalVenue, Events, MessageBus]:
    bus = MessageBus()
    events = Events(bus)
    bus.register(OMS_PROCESS, events)
    engine = MatchingEngine()
    engine.seed("MSFT", Decimal("100.00"), TICK, 3, Decimal(500))
    house = HouseMarket({"MSFT": Decimal("100.00")}, TICK, 3, Decimal(500)) if behaviour else None
    venue = InternalVenue(
        POOL,
        bus,
        TestClock(),
        engine,
        ["MSFT"],
        behaviour=VenueBehaviour(behaviour, seed=3) if behaviour else None,
        house=house,
    )
    if house is not None:
        house.join("POOL", engine, lambda: None)
    return venue, events, bus


def submit(venue: InternalVenue, bus: MessageBus, n: int, side: Side = Side.BUY, price: str = "100.01") -> None:
    order = new_order(order_id=OrderId(f"O{n}"), cl_ord_id=ClOrdId(f"C{n}"), side=side, price=Decimal(price))
    with bus.entered():  # as the EMS calls it: on the order path, under the bus lock
        venue.submit(order, ClOrdId(f"O{n}"))


def test_submit_when_latency_then_no_event_on_the_order_path_and_the_fill_follows_on_the_delay_line() -> None:
    venue, events, bus = pool(Behaviour(latency_ms=30))

    submit(venue, bus, 1)

    assert events.events == []
    accepted, filled = events.wait_for(2)
    assert isinstance(accepted, OrderAccepted) and isinstance(filled, OrderFilled)
    assert events.threads == ["venue-latency-POOL"] * 2
    assert venue.behaviour is not None and venue.behaviour.counters.delayed == 1
    venue.stop()


def test_submit_when_fee_and_all_rejected_then_events_carry_commission_and_the_reject() -> None:
    venue, events, bus = pool(Behaviour(fee_per_share=Decimal("0.003")))

    submit(venue, bus, 1)
    venue.set_behaviour(Behaviour(reject_ratio=1.0))
    submit(venue, bus, 2)

    _, filled, rejected = events.wait_for(3)
    assert isinstance(filled, OrderFilled) and filled.commission == Decimal("0.3")
    assert isinstance(rejected, OrderRejected) and "reject_ratio is 1" in rejected.text


def test_submit_when_adverse_then_house_moves_against_the_gateway_and_stays_whole() -> None:
    venue, _, bus = pool(Behaviour(adverse_bps=Decimal(1)))

    submit(venue, bus, 1)
    submit(venue, bus, 2)

    book = venue.exchange.engine.book("MSFT")
    assert book.depth()[0][0] == (Decimal("99.97"), Decimal(500))
    assert book.depth()[1][0] == (Decimal("99.99"), Decimal(500))


def test_set_behaviour_when_venue_has_none_then_refused_with_what_to_configure() -> None:
    venue, _, _ = pool(None)

    with pytest.raises(ValueError, match=r"add a \[venues.POOL.behaviour\] section"):
        venue.set_behaviour(Behaviour(reject_ratio=0.5))
