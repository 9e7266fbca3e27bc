"""A venue reached over a FIX initiator session.

Orders, cancels and replaces are *written ahead*: the book change that records them is committed before they
leave (``defer`` runs the send after the journal's commit). A crash therefore never leaves an order at a venue
that the book does not know, and a restart can ask the venue about every order it knows is in flight. A send
that was due after the commit but finds the session gone is refused to the OMS then, from the journal's thread.
"""

from __future__ import annotations

from collections.abc import Callable

from domain.bus import MessageBus
from domain.channels import OMS_PROCESS
from domain.clock import Clock
from domain.commands import CancelAtVenue, QueryAtVenue, ReplaceAtVenue, SubmitOrder, VenueRequest
from domain.enums import CxlRejReason, OrdRejReason
from domain.errors import VenueUnavailable
from domain.events import CancelRejected, OrderDenied
from domain.ids import ClOrdId, OrderId, SessionKey, VenueId
from domain.latency import Tick, hops, now_ns
from fixgw.codec import outbound
from fixgw.session.application import FixApplication

Defer = Callable[[Callable[[], None]], None]
"""Run an action once everything appended to the journal before it is committed (``Journal.after_commit``)."""
RecordSent = Callable[[SessionKey, str, int, OrderId], None]
"""Record a request's text as the session sent it, and when, for the audit trail (``Journal.record_sent``)."""


class FixVenue:
    """Send orders (35=D) and requests (35=F/G/H) on the venue's session, under our own ClOrdIDs."""

    def __init__(
        self,
        venue_id: VenueId,
        session: SessionKey,
        app: FixApplication,
        clock: Clock,
        bus: MessageBus,
        defer: Defer | None = None,
        record_sent: RecordSent | None = None,
    ) -> None:
        """``defer``: how a write-ahead send waits for the commit (None: it leaves at once, tools and tests);
        ``record_sent``: told the text of every request sent (after the send: off the order's way)."""
        self.venue_id = venue_id
        self._session = session
        self._app = app
        self._clock = clock
        self._bus = bus
        self._defer = defer
        self._record_sent = record_sent

    def submit(self, order: SubmitOrder, venue_cl_ord_id: ClOrdId) -> None:
        """Send a NewOrderSingle; refuse at once when the session is down rather than queue an order."""
        message = outbound.new_order_single(
            cl_ord_id=venue_cl_ord_id,
            account=order.account,
            symbol=order.symbol,
            side=order.side,
            ord_type=order.ord_type,
            order_qty=order.order_qty,
            price=order.price,
            time_in_force=order.time_in_force,
            transact_time_ns=self._clock.now_ns(),
        )
        self._send(message, order.order_id, venue_cl_ord_id, round_trip=True)

    def available(self) -> bool:
        """Whether the session is logged on."""
        return self._app.is_logged_on(self._session)

    def request(self, request: VenueRequest) -> None:
        """Send a cancel (35=F), replace (35=G) or status request (35=H)."""
        now = self._clock.now_ns()
        if isinstance(request, ReplaceAtVenue):
            message = outbound.replace_request(request, now)
        elif isinstance(request, CancelAtVenue):
            message = outbound.cancel_request(request, now)
        else:
            message = outbound.status_request(request)
        write_ahead = not isinstance(request, QueryAtVenue)
        self._send(message, request.order_id, request.venue_cl_ord_id, write_ahead=write_ahead)

    def _send(
        self,
        message: object,
        order_id: OrderId,
        venue_cl_ord_id: ClOrdId,
        write_ahead: bool = True,
        round_trip: bool = False,
    ) -> None:
        if not self._app.is_logged_on(self._session):
            raise VenueUnavailable(self._down())
        if self._defer is None or not write_ahead:
            if round_trip:
                hops.begin((self.venue_id, venue_cl_ord_id))
            sent_ns = self._clock.now_ns()
            if not self._app.send(self._session, message):
                raise VenueUnavailable(self._down())
            self._sent(message, sent_ns, order_id)
            return
        tick = hops.carried()  # a strategy's order answering a market data update: tick-to-trade ends at the send
        self._defer(lambda: self._send_committed(message, order_id, venue_cl_ord_id, round_trip, tick))

    def _send_committed(
        self, message: object, order_id: OrderId, venue_cl_ord_id: ClOrdId, round_trip: bool, tick: Tick | None
    ) -> None:
        committed = now_ns() if tick is not None else 0
        if round_trip:  # timed from the send: the wait for the commit before it is the journal's hop
            hops.begin((self.venue_id, venue_cl_ord_id))
        sent_ns = self._clock.now_ns()
        if not self._app.send(self._session, message):
            self._lost(order_id, venue_cl_ord_id)
            return
        if tick is not None:
            tick.finish(committed, now_ns())
        self._sent(message, sent_ns, order_id)

    def _sent(self, message: object, sent_ns: int, order_id: OrderId) -> None:
        if self._record_sent is not None and (text := outbound.sent_text(message)) is not None:
            self._record_sent(self._session, text, sent_ns, order_id)

    def _lost(self, order_id: OrderId, venue_cl_ord_id: ClOrdId) -> None:
        """A send due after the commit found the session gone: the order is refused, or the request rejected."""
        self._bus.post(OMS_PROCESS, self.refusal(order_id, venue_cl_ord_id))

    def refusal(self, order_id: OrderId, venue_cl_ord_id: ClOrdId) -> OrderDenied | CancelRejected:
        """What the OMS is told of a booked order or request that could not be sent (the session is down)."""
        now = self._clock.now_ns()
        if str(venue_cl_ord_id) == str(order_id):  # the order itself never reached the venue
            return OrderDenied(order_id=order_id, reason=OrdRejReason.EXCHANGE_CLOSED, text=self._down(), ts_ns=now)
        return CancelRejected(
            venue=None,
            venue_cl_ord_id=venue_cl_ord_id,
            order_id=order_id,
            reason=CxlRejReason.BROKER_OPTION,
            text=self._down(),
            ts_ns=now,
        )

    def _down(self) -> str:
        return f"venue {self.venue_id} is not connected (session {self._session} is not logged on)"
