"""A venue reached over a FIX initiator session."""

from __future__ import annotations

from domain.clock import Clock
from domain.commands import CancelAtVenue, ReplaceAtVenue, SubmitOrder, VenueRequest
from domain.ids import ClOrdId, SessionKey, VenueId
from fixgw.codec import outbound
from fixgw.session.application import FixApplication


class FixVenue:
    """Send orders as NewOrderSingle (35=D) on the venue's session, under our own ClOrdID."""

    def __init__(self, venue_id: VenueId, session: SessionKey, app: FixApplication, clock: Clock) -> None:
        self.venue_id = venue_id
        self._session = session
        self._app = app
        self._clock = clock

    def submit(self, order: SubmitOrder, venue_cl_ord_id: ClOrdId) -> str | None:
        """Encode and send; refuse when the session is not logged on rather than queue an order for later."""
        message = outbound.new_order_single(
            cl_ord_id=venue_cl_ord_id, account=order.account, symbol=order.symbol, side=order.side,
            ord_type=order.ord_type, order_qty=order.order_qty, price=order.price,
            time_in_force=order.time_in_force, transact_time_ns=self._clock.now_ns(),
        )  # fmt: skip
        return self._send(message)

    def request(self, request: VenueRequest) -> str | None:
        """Encode a cancel (35=F), replace (35=G) or status request (35=H) and send it."""
        now = self._clock.now_ns()
        if isinstance(request, ReplaceAtVenue):
            return self._send(outbound.replace_request(request, now))
        if isinstance(request, CancelAtVenue):
            return self._send(outbound.cancel_request(request, now))
        return self._send(outbound.status_request(request))

    def _send(self, message: object) -> str | None:
        if self._app.send(self._session, message):
            return None
        return f"venue {self.venue_id} is not connected (session {self._session} is not logged on)"
