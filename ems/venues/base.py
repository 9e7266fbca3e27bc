"""What the EMS needs from a venue."""

from typing import Protocol

from domain.commands import SubmitOrder, VenueRequest
from domain.ids import ClOrdId, VenueId


class Venue(Protocol):
    """A place orders can be sent to; what it reports comes back to ``OMS_PROCESS`` as events."""

    venue_id: VenueId

    def submit(self, order: SubmitOrder, venue_cl_ord_id: ClOrdId) -> None:
        """Send ``order`` under ``venue_cl_ord_id``; raise ``VenueUnavailable`` when it cannot be sent now."""
        ...

    def request(self, request: VenueRequest) -> None:
        """Send a cancel, replace or status request; raise ``VenueUnavailable`` when it cannot be sent now."""
        ...

    def available(self) -> bool:
        """Whether it takes requests now (``fixgw_venue_up``): a FIX venue while its session is logged on."""
        ...
