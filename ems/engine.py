"""The EMS engine: endpoint ``ems.execute`` — route each order and send it to its venue."""

from __future__ import annotations

from domain.bus import MessageBus
from domain.clock import Clock
from domain.commands import SubmitOrder, VenueRequest
from domain.enums import CxlRejReason, OrdRejReason
from domain.events import CancelRejected, OrderDenied, OrderRouted
from domain.ids import ClOrdId, OrderId, VenueId
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
        bus.register("ems.execute", self.execute)

    def execute(self, command: SubmitOrder | VenueRequest) -> None:
        """Route and send a new order, or send a request about an order to the venue it is at."""
        if isinstance(command, SubmitOrder):
            self._submit(command)
        else:
            self._request(command)

    def _request(self, request: VenueRequest) -> None:
        venue = self._venues.get(request.venue)
        problem = venue.request(request) if venue is not None else f"venue {request.venue} is not configured"
        if problem is not None:
            self._bus.send(
                "oms.process",
                CancelRejected(
                    venue=request.venue,
                    venue_cl_ord_id=request.venue_cl_ord_id,
                    order_id=request.order_id,
                    reason=CxlRejReason.BROKER_OPTION,
                    text=problem,
                    ts_ns=self._clock.now_ns(),
                ),
            )

    def _submit(self, order: SubmitOrder) -> None:
        hops.mark("risk")
        venue_id = self._router.route(order)
        venue = self._venues.get(venue_id) if venue_id is not None else None
        if venue is None:
            self._deny(order, OrdRejReason.UNKNOWN_SYMBOL, f"no venue route for symbol {order.symbol!r}")
            return
        # The gateway's OrderID doubles as the ClOrdID at the venue: unique, and it leads straight back.
        venue_cl_ord_id = ClOrdId(order.order_id)
        routed = OrderRouted(
            order_id=order.order_id, venue=venue.venue_id, venue_cl_ord_id=venue_cl_ord_id, ts_ns=self._clock.now_ns()
        )
        self._bus.send("oms.process", routed)
        problem = venue.submit(order, venue_cl_ord_id)
        hops.mark("route")
        if problem is not None:
            self._deny(order, OrdRejReason.EXCHANGE_CLOSED, problem)

    def lost(self, order_id: OrderId, venue_cl_ord_id: ClOrdId, text: str) -> None:
        """A send that was due after commit found the venue gone (called from the journal's thread)."""
        now = self._clock.now_ns()
        if str(venue_cl_ord_id) == str(order_id):  # the order itself never reached the venue
            event: object = OrderDenied(order_id=order_id, reason=OrdRejReason.EXCHANGE_CLOSED, text=text, ts_ns=now)
        else:
            event = CancelRejected(
                venue=None,
                venue_cl_ord_id=venue_cl_ord_id,
                order_id=order_id,
                reason=CxlRejReason.BROKER_OPTION,
                text=text,
                ts_ns=now,
            )
        self._bus.post("oms.process", event)

    def _deny(self, order: SubmitOrder, reason: OrdRejReason, text: str) -> None:
        denied = OrderDenied(order_id=order.order_id, reason=reason, text=text, ts_ns=self._clock.now_ns())
        self._bus.send("oms.process", denied)
