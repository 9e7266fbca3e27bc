"""Events: facts, in the past tense. Venue events name the order by the ClOrdID we sent the venue."""

from decimal import Decimal

import msgspec

from domain.enums import OrdRejReason
from domain.ids import ClOrdId, ExecId, OrderId, VenueId


class OrderDenied(msgspec.Struct, frozen=True, kw_only=True):
    """Our own pre-trade refusal of an order (risk or routing); the order never left."""

    order_id: OrderId
    reason: OrdRejReason
    text: str
    ts_ns: int


class OrderRouted(msgspec.Struct, frozen=True, kw_only=True):
    """The EMS chose a venue for the order and is about to send it there."""

    order_id: OrderId
    venue: VenueId
    venue_cl_ord_id: ClOrdId
    """ClOrdID (11) the order carries at the venue."""
    ts_ns: int


class VenueEvent(msgspec.Struct, frozen=True, kw_only=True):
    """Something a venue reported about one of our orders there."""

    venue: VenueId
    venue_cl_ord_id: ClOrdId
    """ClOrdID (11) as we sent it to the venue."""
    venue_order_id: str
    """OrderID (37) the venue gave the order."""
    venue_exec_id: ExecId
    """ExecID (17) of the venue's report: (venue, ExecID) identifies an execution exactly once."""
    ts_ns: int
    poss_dup: bool = False
    """PossDupFlag (43): the venue may have sent this report before."""


class OrderAccepted(VenueEvent, frozen=True, kw_only=True):
    """The venue acknowledged the order (150=0)."""


class OrderRejected(VenueEvent, frozen=True, kw_only=True):
    """The venue refused the order (150=8)."""

    reason: OrdRejReason
    text: str


class OrderFilled(VenueEvent, frozen=True, kw_only=True):
    """The venue executed part or all of the order (150=F)."""

    last_qty: Decimal
    last_px: Decimal


class OrderCanceled(VenueEvent, frozen=True, kw_only=True):
    """The venue canceled what was left of the order (150=4), e.g. the rest of an IOC or market order."""

    text: str = ""


OrderEvent = OrderDenied | OrderAccepted | OrderRejected | OrderFilled | OrderCanceled
