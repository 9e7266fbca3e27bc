"""The EMS engine: endpoint ``EMS_EXECUTE`` — route each order and send it to its venue."""

from __future__ import annotations

from collections.abc import Mapping

from domain.bus import MessageBus
from domain.channels import EMS_EXECUTE, OMS_PROCESS, VENUE_SCORES
from domain.clock import Clock
from domain.commands import SubmitOrder, VenueRequest
from domain.enums import CxlRejReason, OrdRejReason
from domain.errors import VenueUnavailable
from domain.events import CancelRejected, OrderDenied, OrderRouted
from domain.ids import ClOrdId, VenueId
from domain.latency import hops
from ems.router import Router
from ems.venues.base import Venue


class EmsEngine:
    """Pick a venue, tell the OMS where the order goes, send it; deny it when it cannot go anywhere."""

    def __init__(self, bus: MessageBus, clock: Clock, router: Router, venues: dict[VenueId, Venue]) -> None:
        self._bus = bus
        self._clock = clock
        self._router = router
        self._venues = venues
        bus.register(EMS_EXECUTE, self.execute)
        if router.adaptive is not None:
            bus.subscribe(VENUE_SCORES, router.on_score)

    @property
    def venues(self) -> Mapping[VenueId, Venue]:
        """The venues it routes to, by id."""
        return self._venues

    def execute(self, command: SubmitOrder | VenueRequest) -> None:
        """Route and send a new order, or send a request about an order to the venue it is at."""
        if isinstance(command, SubmitOrder):
            self._submit(command)
        else:
            self._request(command)

    def _request(self, request: VenueRequest) -> None:
        venue = self._venues.get(request.venue)
        try:
            if venue is None:
                raise VenueUnavailable(f"venue {request.venue} is not configured")
            venue.request(request)
            hops.mark_tick("route")  # a strategy's replace carries its tick through here (domain.latency)
        except VenueUnavailable as exc:
            refused = CancelRejected(
                venue=request.venue,
                venue_cl_ord_id=request.venue_cl_ord_id,
                order_id=request.order_id,
                reason=CxlRejReason.BROKER_OPTION,
                text=str(exc),
                ts_ns=self._clock.now_ns(),
            )
            self._bus.send(OMS_PROCESS, refused)

    def _submit(self, order: SubmitOrder) -> None:
        venue_id, reason = self._router.route(order)
        venue = self._venues.get(venue_id) if venue_id is not None else None
        if venue is None:
            self._deny(order, OrdRejReason.UNKNOWN_SYMBOL, f"no venue route for symbol {order.symbol!r}")
            return
        # The gateway's OrderID doubles as the ClOrdID at the venue: unique, and it leads straight back.
        venue_cl_ord_id = ClOrdId(order.order_id)
        routed = OrderRouted(
            order_id=order.order_id,
            venue=venue.venue_id,
            venue_cl_ord_id=venue_cl_ord_id,
            ts_ns=self._clock.now_ns(),
            route_reason=reason,
        )
        self._bus.send(OMS_PROCESS, routed)
        try:
            venue.submit(order, venue_cl_ord_id)
        except VenueUnavailable as exc:
            self._deny(order, OrdRejReason.EXCHANGE_CLOSED, str(exc))
        hops.mark("route")

    def _deny(self, order: SubmitOrder, reason: OrdRejReason, text: str) -> None:
        denied = OrderDenied(order_id=order.order_id, reason=reason, text=text, ts_ns=self._clock.now_ns())
        self._bus.send(OMS_PROCESS, denied)
