"""What the OMS counts as it goes, for monitoring (``/metrics``, issue 16): dict increments, read at scrape time.

Only the domain thread writes them (under the bus lock), and only where the order path already branches: an order
booked, an order reaching its final state, a fill, a denial, a venue's reject. A reader on another thread copies a
dict (one C call, whole under the GIL), so it may see an order in one count and not yet in another, never a torn
value. Keys are sessions, venues and check names, never an order's ids.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Final

from domain.enums import OrdStatus
from domain.events import OrderDenied, OrderEvent, OrderRejected
from domain.ids import SessionKey, VenueId
from domain.order import Order

OUTCOMES: Final = {
    OrdStatus.FILLED: "filled",
    OrdStatus.CANCELED: "canceled",
    OrdStatus.REJECTED: "rejected",
    OrdStatus.EXPIRED: "expired",
    OrdStatus.DONE_FOR_DAY: "done_for_day",
}
"""The final states an order ends in, by the name monitoring gives each; a REJECTED order we refused ourselves (risk,
no route) ends ``denied``, one its venue refused ``rejected``."""
DENIED: Final = "denied"


class OrderCounts:
    """Orders, outcomes, denials and venue answers since the gateway started."""

    __slots__ = ("booked", "cancel_rejects", "denials", "fills", "outcomes", "venue_rejects")

    def __init__(self) -> None:
        self.booked: defaultdict[SessionKey, int] = defaultdict(int)
        """Orders booked (opened Pending New), by session: a client's, or ``RISK_SESSION`` for risk's own."""
        self.outcomes: defaultdict[tuple[SessionKey, str], int] = defaultdict(int)
        """Orders that reached a final state, by session and outcome (``OUTCOMES``, ``DENIED``)."""
        self.denials: defaultdict[str, int] = defaultdict(int)
        """Refusals of orders, replaces and messages by the risk check that gave them (``Denial.check``)."""
        self.fills: defaultdict[VenueId, int] = defaultdict(int)
        """Executions (150=F) applied, by venue."""
        self.venue_rejects: defaultdict[VenueId, int] = defaultdict(int)
        """Orders the venue refused (150=8), by venue."""
        self.cancel_rejects: defaultdict[VenueId, int] = defaultdict(int)
        """Cancels and replaces the venue refused (35=9), by venue."""

    def closed(self, order: Order, event: OrderEvent) -> None:
        """Count ``order``'s final state, reached just now through ``event``."""
        if isinstance(event, OrderDenied):
            outcome = DENIED
        else:
            outcome = OUTCOMES[order.status]
            if isinstance(event, OrderRejected):
                self.venue_rejects[event.venue] += 1
        self.outcomes[order.session, outcome] += 1
