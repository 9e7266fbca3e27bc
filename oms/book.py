"""In-memory indexes of the book of record: what the order path reads instead of SQL."""

from __future__ import annotations

from domain.ids import ClOrdId, ExecId, OrderId, SessionKey, VenueId
from domain.order import Order


class Book:
    """Every order by OrderID, by client (session, ClOrdID) and by the ClOrdID it carries at its venue."""

    def __init__(self) -> None:
        self.by_id: dict[OrderId, Order] = {}
        self.by_client: dict[tuple[SessionKey, ClOrdId], Order] = {}
        self.by_venue: dict[tuple[VenueId, ClOrdId], Order] = {}
        self.executions: set[tuple[VenueId, ExecId]] = set()

    def add(self, order: Order) -> None:
        """Index a new order."""
        self.by_id[order.order_id] = order
        self.by_client[order.session, order.cl_ord_id] = order

    def route(self, order: Order, venue: VenueId, venue_cl_ord_id: ClOrdId) -> None:
        """Record where the order went and under which ClOrdID."""
        order.venue = venue
        order.venue_cl_ord_id = venue_cl_ord_id
        self.by_venue[venue, venue_cl_ord_id] = order

    def first_sighting(self, venue: VenueId, venue_exec_id: ExecId) -> bool:
        """Record an execution; False when it was seen before (a resend or a replay)."""
        key = (venue, venue_exec_id)
        if key in self.executions:
            return False
        self.executions.add(key)
        return True
