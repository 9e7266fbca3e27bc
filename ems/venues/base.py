"""What the EMS needs from a venue."""

from typing import Protocol

from domain.commands import SubmitOrder, VenueRequest
from domain.ids import ClOrdId, VenueId


class Venue(Protocol):
    """A place orders can be sent to."""

    venue_id: VenueId

    def submit(self, order: SubmitOrder, venue_cl_ord_id: ClOrdId) -> str | None:
        """Send ``order`` under ``venue_cl_ord_id``; return None when sent, else why it could not be."""
        ...

    def request(self, request: VenueRequest) -> str | None:
        """Send a cancel, replace or status request; return None when sent, else why it could not be."""
        ...
