"""Routing: symbol rules, default venue, no route, venue down."""

from __future__ import annotations

from typing import Any

from domain.bus import MessageBus
from domain.channels import EMS_EXECUTE, OMS_PROCESS
from domain.clock import TestClock
from domain.commands import SubmitOrder
from domain.enums import OrdRejReason
from domain.errors import VenueUnavailable
from domain.events import OrderDenied, OrderRouted
from domain.ids import ClOrdId, VenueId
from ems.engine import EmsEngine
from ems.router import Router
from tests.factories import new_order


class FakeVenue:
    def __init__(self, venue_id: str, problem: str | None = None) -> None:
        self.venue_id = VenueId(venue_id)
        self.problem = problem
        self.sent: list[tuple[SubmitOrder, ClOrdId]] = []

    def submit(self, order: SubmitOrder, venue_cl_ord_id: ClOrdId) -> None:
        self.sent.append((order, venue_cl_ord_id))
        if self.problem is not None:
            raise VenueUnavailable(self.problem)


def setup(router: Router, *venues: FakeVenue) -> tuple[list[Any], MessageBus]:
    bus = MessageBus()
    to_oms: list[Any] = []
    bus.register(OMS_PROCESS, to_oms.append)
    EmsEngine(bus, TestClock(), router, {v.venue_id: v for v in venues})
    return to_oms, bus


def test_router_when_symbol_rule_then_it_wins_over_default() -> None:
    router = Router({"IBM": VenueId("B")}, VenueId("A"))

    assert router.route(new_order(symbol="IBM")) == ("B", "symbol rule IBM: B")
    assert router.route(new_order(symbol="MSFT")) == ("A", "default: A")
    assert Router({}, None).route(new_order()).venue is None


def test_ems_when_routed_then_oms_told_first_and_venue_gets_order_id_as_cl_ord_id() -> None:
    venue = FakeVenue("A")
    to_oms, bus = setup(Router({}, VenueId("A")), venue)

    bus.send(EMS_EXECUTE, new_order())

    routed = OrderRouted(
        order_id="O1",  # type: ignore[arg-type]
        venue="A",  # type: ignore[arg-type]
        venue_cl_ord_id="O1",  # type: ignore[arg-type]
        ts_ns=to_oms[0].ts_ns,
        route_reason="default: A",
    )
    assert to_oms == [routed]
    assert [cl for _, cl in venue.sent] == ["O1"]


def test_ems_when_no_route_then_denied_unknown_symbol() -> None:
    to_oms, bus = setup(Router({}, None))

    bus.send(EMS_EXECUTE, new_order(symbol="ZZZ"))

    [denied] = to_oms
    assert isinstance(denied, OrderDenied) and denied.reason is OrdRejReason.UNKNOWN_SYMBOL


def test_ems_when_venue_down_then_denied_exchange_closed_with_its_reason() -> None:
    venue = FakeVenue("A", problem="venue A is not connected")
    to_oms, bus = setup(Router({}, VenueId("A")), venue)

    bus.send(EMS_EXECUTE, new_order())

    routed, denied = to_oms
    assert isinstance(routed, OrderRouted) and isinstance(denied, OrderDenied)
    assert (denied.reason, denied.text) == (OrdRejReason.EXCHANGE_CLOSED, "venue A is not connected")
