"""Commands: imperative requests to an engine, immutable, built once per message."""

from decimal import Decimal

import msgspec

from domain.enums import OrdType, Side, TimeInForce
from domain.ids import Account, ClOrdId, OrderId, SessionKey, Symbol, VenueId


class SubmitOrder(msgspec.Struct, frozen=True, kw_only=True):
    """Ask the OMS to open an order (from NewOrderSingle, 35=D)."""

    session: SessionKey
    cl_ord_id: ClOrdId
    account: Account
    symbol: Symbol
    side: Side
    ord_type: OrdType
    order_qty: Decimal
    price: Decimal | None
    time_in_force: TimeInForce = TimeInForce.DAY
    ts_received_ns: int
    order_id: OrderId = OrderId("")
    """OrderID (37): empty until the OMS assigns one."""
    poss_dup: bool = False
    """PossDupFlag (43): a session-level resend; if its ClOrdID is known it was already processed."""
    decision_px: Decimal | None = None
    """DecisionPx (5900, user-defined): the price the sender decided at, where it gave one (TCA's implementation
    shortfall is measured against it; else against the arrival mid)."""


class CancelOrder(msgspec.Struct, frozen=True, kw_only=True):
    """Ask to cancel what is left of an order (from OrderCancelRequest, 35=F)."""

    session: SessionKey
    cl_ord_id: ClOrdId
    """ClOrdID (11) of this request."""
    orig_cl_ord_id: ClOrdId
    """OrigClOrdID (41): the order's last accepted ClOrdID."""
    symbol: Symbol
    side: Side
    ts_received_ns: int
    poss_dup: bool = False


class ReplaceOrder(msgspec.Struct, frozen=True, kw_only=True):
    """Ask to change an order's quantity, price or time in force (from OrderCancelReplaceRequest, 35=G)."""

    session: SessionKey
    cl_ord_id: ClOrdId
    orig_cl_ord_id: ClOrdId
    account: Account
    symbol: Symbol
    side: Side
    ord_type: OrdType
    order_qty: Decimal
    price: Decimal | None
    time_in_force: TimeInForce = TimeInForce.DAY
    ts_received_ns: int
    order_id: OrderId = OrderId("")
    """OrderID (37) of the order being replaced: empty until the OMS finds it."""
    cum_qty: Decimal = Decimal(0)
    """CumQty (14) of the order being replaced, set by the OMS with ``order_id``: only OrderQty minus it works."""
    poss_dup: bool = False


class QueryOrder(msgspec.Struct, frozen=True, kw_only=True):
    """Ask for an order's current state (from OrderStatusRequest, 35=H)."""

    session: SessionKey
    cl_ord_id: ClOrdId
    order_id: OrderId | None
    symbol: Symbol
    side: Side
    ts_received_ns: int


class MassCancel(msgspec.Struct, frozen=True, kw_only=True):
    """Ask to cancel every working order of the session in a scope (from OrderMassCancelRequest, 35=q)."""

    session: SessionKey
    cl_ord_id: ClOrdId
    request_type: str
    """MassCancelRequestType (530): 1 one security, 7 all orders."""
    symbol: Symbol | None
    ts_received_ns: int


class VenueRequest(msgspec.Struct, frozen=True, kw_only=True):
    """A request about an order already at a venue, built by the OMS for the EMS to send."""

    order_id: OrderId
    venue: VenueId
    venue_cl_ord_id: ClOrdId
    """ClOrdID (11) of this request at the venue."""
    venue_orig_cl_ord_id: ClOrdId
    """OrigClOrdID (41): the order's current ClOrdID at the venue."""
    symbol: Symbol
    side: Side
    order_qty: Decimal


class CancelAtVenue(VenueRequest, frozen=True, kw_only=True):
    """Send an OrderCancelRequest (35=F) to the venue."""


class ReplaceAtVenue(VenueRequest, frozen=True, kw_only=True):
    """Send an OrderCancelReplaceRequest (35=G) to the venue; ``order_qty`` is the new quantity."""

    account: Account
    ord_type: OrdType
    price: Decimal | None
    time_in_force: TimeInForce


class QueryAtVenue(VenueRequest, frozen=True, kw_only=True):
    """Send an OrderStatusRequest (35=H) to the venue."""


class ReconcileVenue(msgspec.Struct, frozen=True, kw_only=True):
    """Ask the venue about every order whose request to it may not have arrived (after a (re)connect)."""

    venue: VenueId


class CancelWorking(msgspec.Struct, frozen=True, kw_only=True):
    """Cancel every working order in a scope (kill switch, risk breach, cancel-on-disconnect)."""

    account: str | None = None
    client: str | None = None
    """A client CompID: its session's orders."""
    everything: bool = False
    day_only: bool = False
    """Only orders whose TimeInForce (59) is Day: cancel-on-disconnect cancels a client's working day orders."""
    reason: str


class SubmitRiskOrder(msgspec.Struct, frozen=True, kw_only=True):
    """The risk engine's own order after a post-trade breach: bring a position back within its limit.

    The OMS books it under ``RISK_SESSION`` and hands it straight to the EMS as an immediate-or-cancel market
    order: it is the risk engine's decision, so the pre-trade catalogue (which may by then refuse everything
    for the account) does not judge it again.
    """

    cl_ord_id: ClOrdId
    """ClOrdID (11), ``RISK-...``: unique across restarts (it carries the time it was made)."""
    account: Account
    symbol: Symbol
    side: Side
    order_qty: Decimal
    reason: str
    """Why: the breach it answers (kept as the order's Text)."""
    ts_ns: int


class Unrecorded(msgspec.Struct, frozen=True, kw_only=True):
    """The book of record refused what one received message changed: it is quarantined (issue 12). Undo in memory
    what never left (an order not yet sent, a request not yet sent) and answer the message's sender."""

    quarantine_id: int
    session: SessionKey | None
    """Where the message came from (None: the changes came from no received message)."""
    msg_type: str | None
    cl_ord_id: ClOrdId | None
    """Its ClOrdID (11), as the audit trail shows it (escaped when it was not printable ASCII)."""
    order_ids: tuple[OrderId, ...]
    """The orders the refused changes were about."""
    reason: str
    """What the database (or the encoder) said, one line."""


class AnswerAgain(msgspec.Struct, frozen=True, kw_only=True):
    """Answer a request whose answer was still owed when the gateway stopped (a ``pending_lookups`` row)."""

    key: str
    """The owed answer's key: deleted in the transaction that records it again (or its answer)."""
    command: QueryOrder | CancelOrder | ReplaceOrder
