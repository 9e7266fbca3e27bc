"""In-memory indexes of the book of record: what the order path reads instead of SQL.

Theory of operation: only orders that can still change are held here. An order that reaches a final state with
no request pending is *retired* (``close``): it leaves every index, so memory follows the working orders and not
the orders ever taken (issue 7: flat over a million orders). The book of record in SQL keeps it. What the order
path still needs of it is small and kept exactly:

- its ClOrdIDs, per session (``retired``): FIX wants a ClOrdID unique per session (103=6 / 102=6 on reuse);
- nothing of its executions: an ExecID is remembered only while its order can still receive reports, and a
  report about a retired order finds no order, so it is ignored (and logged) as a resend always was.

Canceled and expired orders may still see a late fill (FIX 4.4 Appendix D J.1.b): they wait out a grace period of
one to two ``grace_ns`` before they retire (two generations, swapped on the first close after ``grace_ns``).
Questions about a retired order (status, a cancel that is too late) are answered from SQL off the order path.
"""

from __future__ import annotations

from domain.enums import OrdStatus
from domain.ids import ClOrdId, ExecId, OrderId, SessionKey, VenueId
from domain.order import Order

_LATE_FILLS = frozenset({OrdStatus.CANCELED, OrdStatus.EXPIRED})
"""Final states a venue may still report a fill for (Appendix D J.1.b)."""
GRACE_NS = 60 * 1_000_000_000


class Book:
    """Every open order by OrderID, by client (session, ClOrdID) and by the ClOrdID it carries at its venue."""

    def __init__(self, grace_ns: int = GRACE_NS) -> None:
        self.by_id: dict[OrderId, Order] = {}
        self.by_client: dict[tuple[SessionKey, ClOrdId], Order] = {}
        self.by_venue: dict[tuple[VenueId, ClOrdId], Order] = {}
        self.executions: set[tuple[VenueId, ExecId]] = set()
        self.retired: dict[SessionKey, set[str]] = {}
        """The ClOrdIDs of retired orders, per session: still taken (a Python str in a set, ~90 B each)."""
        self.grace_ns = grace_ns
        self._names: dict[OrderId, _Names] = {}
        """Of an open order: what else it is indexed by, to drop with it."""
        self._closing: dict[OrderId, Order] = {}
        self._closed: dict[OrderId, Order] = {}
        self._generation_ns = 0

    def add(self, order: Order) -> None:
        """Index a new order."""
        self.by_id[order.order_id] = order
        self.by_client[order.session, order.cl_ord_id] = order

    def add_request(self, order: Order, cl_ord_id: ClOrdId, venue_cl_ord_id: ClOrdId) -> None:
        """Index a cancel or replace request's ClOrdIDs (client's and venue's) as more names of ``order``."""
        self.by_client[order.session, cl_ord_id] = order
        assert order.venue is not None
        self.by_venue[order.venue, venue_cl_ord_id] = order
        names = self._names_of(order.order_id)
        names.client.append(cl_ord_id)
        names.venue.append((order.venue, venue_cl_ord_id))

    def route(self, order: Order, venue: VenueId, venue_cl_ord_id: ClOrdId) -> None:
        """Record where the order went and under which ClOrdID."""
        order.venue = venue
        order.venue_cl_ord_id = venue_cl_ord_id
        self.by_venue[venue, venue_cl_ord_id] = order

    def used(self, session: SessionKey, cl_ord_id: ClOrdId) -> bool:
        """Whether an order or request of ``session`` already carries ``cl_ord_id`` (open or retired)."""
        if (session, cl_ord_id) in self.by_client:
            return True
        retired = self.retired.get(session)
        return retired is not None and cl_ord_id in retired

    def first_sighting(self, order: Order, venue: VenueId, venue_exec_id: ExecId) -> bool:
        """Record an execution of ``order``; False when it was seen before (a resend or a replay)."""
        key = (venue, venue_exec_id)
        if key in self.executions:
            return False
        self.executions.add(key)
        self._names_of(order.order_id).executions.append(key)
        return True

    def _names_of(self, order_id: OrderId) -> _Names:
        names = self._names.get(order_id)
        if names is None:
            names = self._names[order_id] = _Names()
        return names

    def close(self, order: Order, now_ns: int) -> list[OrderId]:
        """Retire ``order`` if nothing more can happen to it (canceled or expired: after the grace).

        Return the orders retired now: ``order``, and those whose grace ran out.
        """
        if order.pending is not None or not order.status.is_terminal:
            return []
        retired = self._next_generation(now_ns) if now_ns - self._generation_ns >= self.grace_ns else []
        if order.status in _LATE_FILLS:
            self._closing[order.order_id] = order
        else:
            self._retire(order)
            retired.append(order.order_id)
        return retired

    def _next_generation(self, now_ns: int) -> list[OrderId]:
        # Canceled or expired at least one grace ago: no fill is expected for them any more.
        old, self._closed, self._closing = self._closed, self._closing, {}
        self._generation_ns = now_ns
        retired = [o for o in old.values() if o.status in _LATE_FILLS and self.by_id.get(o.order_id) is o]
        for order in retired:
            self._retire(order)
        return [order.order_id for order in retired]

    def _retire(self, order: Order) -> None:
        self.by_id.pop(order.order_id, None)
        names = self._names.pop(order.order_id, None) or _Names()
        venue_keys = [*names.venue, (order.venue, order.venue_cl_ord_id), (order.venue, ClOrdId(order.order_id))]
        for key in venue_keys:
            self.by_venue.pop(key, None)  # type: ignore[arg-type]
        for execution in names.executions:
            self.executions.discard(execution)
        retired = self.retired.setdefault(order.session, set())
        for name in (order.cl_ord_id, order.orig_cl_ord_id, *names.client):
            if name is not None:
                self.by_client.pop((order.session, name), None)
                retired.add(name)


class _Names:
    """The request ClOrdIDs (client and venue) and executions of one open order."""

    __slots__ = ("client", "executions", "venue")

    def __init__(self) -> None:
        self.client: list[ClOrdId] = []
        self.venue: list[tuple[VenueId, ClOrdId]] = []
        self.executions: list[tuple[VenueId, ExecId]] = []
