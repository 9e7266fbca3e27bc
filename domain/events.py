"""Events: facts, in the past tense. Venue events name the order by the ClOrdID we sent the venue."""

from decimal import Decimal

import msgspec

from domain.enums import CxlRejReason, OrdRejReason, OrdStatus, OrdType, Side, TimeInForce
from domain.ids import Account, ClOrdId, ExecId, OrderId, SessionKey, Symbol, VenueId


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
    route_reason: str | None = None
    """Why it goes there (the rule, or the adaptive scores compared): kept in the book (orders.route_reason)."""


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
    commission: Decimal = Decimal(0)
    """The fee the venue charged for this fill, in money (from Commission (12) and CommType (13))."""


class OrderCanceled(VenueEvent, frozen=True, kw_only=True):
    """The venue canceled what was left of the order (150=4), e.g. the rest of an IOC or market order."""

    text: str = ""


class OrderDoneForDay(VenueEvent, frozen=True, kw_only=True):
    """The venue closed the order for the day (150=3)."""

    text: str = ""


class OrderExpired(VenueEvent, frozen=True, kw_only=True):
    """The order's time in force ran out at the venue (150=C)."""

    text: str = ""


class OrderReplaced(VenueEvent, frozen=True, kw_only=True):
    """The venue applied a replace (150=5): the order now has these terms."""

    order_qty: Decimal
    price: Decimal | None


class OrderStatusReported(VenueEvent, frozen=True, kw_only=True):
    """The venue's answer to a status request (150=I)."""

    ord_status: OrdStatus
    cum_qty: Decimal
    text: str = ""


class CancelRequested(msgspec.Struct, frozen=True, kw_only=True):
    """We sent (or are sending) a cancel of the order to its venue."""

    order_id: OrderId
    cl_ord_id: ClOrdId
    """The client's ClOrdID (11) of the cancel request."""
    orig_cl_ord_id: ClOrdId
    venue_cl_ord_id: ClOrdId
    ts_ns: int


class ReplaceRequested(CancelRequested, frozen=True, kw_only=True):
    """We sent (or are sending) a replace of the order to its venue."""

    order_qty: Decimal
    price: Decimal | None
    ord_type: OrdType
    time_in_force: TimeInForce


class CancelRejected(msgspec.Struct, frozen=True, kw_only=True):
    """A cancel or replace was refused: by the venue (35=9), by risk, or because it could not be sent."""

    venue: VenueId | None
    venue_cl_ord_id: ClOrdId | None
    """The request's ClOrdID at the venue; None when it never reached a venue."""
    order_id: OrderId | None = None
    reason: CxlRejReason
    text: str
    ts_ns: int


OrderEvent = (
    OrderDenied
    | OrderAccepted
    | OrderRejected
    | OrderFilled
    | OrderCanceled
    | OrderDoneForDay
    | OrderExpired
    | OrderReplaced
    | CancelRequested
    | ReplaceRequested
    | CancelRejected
)
"""What moves an order (``Order.apply``)."""
VenueReport = (
    OrderAccepted
    | OrderRejected
    | OrderFilled
    | OrderCanceled
    | OrderDoneForDay
    | OrderExpired
    | OrderReplaced
    | OrderStatusReported
)
"""What a venue's ExecutionReport (35=8) becomes."""


class RiskActionTaken(msgspec.Struct, frozen=True, kw_only=True):
    """The risk engine acted on its own after a fill breached a limit (published on ``events.risk``, audited)."""

    account: Account
    """The account acted for; empty for the whole gateway (``scope`` global: a firm-wide portfolio breach)."""
    action: str
    """The ``on_breach`` action: ``cancel_working`` or ``send_reducing_order`` (states are audited as controls)."""
    detail: str
    """What it did, e.g. ``SELL 50 MSFT at market (ClOrdID RISK-...)``."""
    reason: str
    ts_ns: int
    scope: str = "account"
    """``account``, or ``global`` for an action on every account (the firm's portfolio limits)."""


class OrderUpdated(msgspec.Struct, frozen=True, kw_only=True):
    """The OMS's view of an order after it changed (published on ``events.order``): what exposure follows."""

    order_id: OrderId
    session: SessionKey
    account: Account
    symbol: Symbol
    side: Side
    price: Decimal | None
    leaves_qty: Decimal
    """What is still working (0 once the order is closed)."""
    last_qty: Decimal | None = None
    last_px: Decimal | None = None
    fee: Decimal = Decimal(0)
    ts_ns: int
    venue: VenueId | None = None
    """Where the order was routed (None before routing, or when it never left)."""
    status: OrdStatus | None = None
    """Its OrdStatus (39) after the change: the live TCA engine counts a venue's rejects by it."""
    arrival_bid: Decimal | None = None
    arrival_ask: Decimal | None = None
    """The consolidated quote when the OMS booked the order (the arrival price slippage is measured against)."""
