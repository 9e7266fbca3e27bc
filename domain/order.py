"""The order and its state machine.

Theory of operation: the legal transitions are data (``_TRANSITIONS``), as in h11 and nautilus. The table is
the whole truth, plus two state-triggered rules: a fill that leaves nothing open completes the order, and
``_WORKING`` (the end of a pending cancel or replace) means "New, Partially filled or Filled, whichever the
quantities say". An event the table does not allow raises ``InvalidTransition`` naming the order, the event
and the state it found; the engine logs it and leaves the order untouched.

A cancel or replace is a *pending request* on the order until the venue answers. While it is pending the
order reports 39=6 / 39=E (OrdStatus precedence, FIX 4.4: Pending Cancel > Pending Replace > Filled > ...)
even for fills, and keeps its old terms: an order is not replaced until 150=5 (Appendix D C.1.b). Pairs come
from FIX 4.4 Appendix D (../shared/reference/risk-oms-tca.md 2.2-2.4).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Final

from domain.commands import SubmitOrder
from domain.enums import OrdRejReason, OrdStatus, OrdType, Side, TimeInForce
from domain.events import (
    CancelRejected,
    CancelRequested,
    OrderAccepted,
    OrderCanceled,
    OrderDenied,
    OrderDoneForDay,
    OrderEvent,
    OrderExpired,
    OrderFilled,
    OrderRejected,
    OrderReplaced,
    ReplaceRequested,
)
from domain.ids import Account, ClOrdId, OrderId, SessionKey, Symbol, VenueId

AVG_PX_QUANTUM: Final = Decimal("1e-8")
_ZERO: Final = Decimal(0)
_WORKING: Final = None  # back to New / Partially filled / Filled, by the quantities

S = OrdStatus
_LIVE_EVENTS: Final[dict[type, OrdStatus | None]] = {
    OrderFilled: S.PARTIALLY_FILLED,
    OrderCanceled: S.CANCELED,
    OrderDoneForDay: S.DONE_FOR_DAY,
    OrderExpired: S.EXPIRED,
    CancelRequested: S.PENDING_CANCEL,
    ReplaceRequested: S.PENDING_REPLACE,
}
_TRANSITIONS: Final[Mapping[tuple[OrdStatus, type], OrdStatus | None]] = {
    (S.PENDING_NEW, OrderDenied): S.REJECTED,
    (S.PENDING_NEW, OrderRejected): S.REJECTED,
    (S.PENDING_NEW, OrderAccepted): S.NEW,
    # Some venues fill before (or instead of) acknowledging.
    (S.PENDING_NEW, OrderFilled): S.PARTIALLY_FILLED,
    (S.PENDING_NEW, OrderCanceled): S.CANCELED,
    (S.PENDING_NEW, OrderExpired): S.EXPIRED,
    **{(S.NEW, event): target for event, target in _LIVE_EVENTS.items()},
    **{(S.PARTIALLY_FILLED, event): target for event, target in _LIVE_EVENTS.items()},
    # Pending cancel: fills still count and are reported 39=6 (B.1.c); the venue answers 150=4 or 35=9.
    (S.PENDING_CANCEL, OrderFilled): S.PENDING_CANCEL,
    (S.PENDING_CANCEL, OrderCanceled): S.CANCELED,
    (S.PENDING_CANCEL, CancelRejected): _WORKING,
    (S.PENDING_CANCEL, OrderDoneForDay): S.DONE_FOR_DAY,
    (S.PENDING_CANCEL, OrderExpired): S.EXPIRED,
    # Pending replace: fills carry the old terms (C.1.b); the venue answers 150=5, 35=9, or cancels.
    (S.PENDING_REPLACE, OrderFilled): S.PENDING_REPLACE,
    (S.PENDING_REPLACE, OrderReplaced): _WORKING,
    (S.PENDING_REPLACE, CancelRejected): _WORKING,
    (S.PENDING_REPLACE, OrderCanceled): S.CANCELED,
    (S.PENDING_REPLACE, OrderDoneForDay): S.DONE_FOR_DAY,
    (S.PENDING_REPLACE, OrderExpired): S.EXPIRED,
    # A late fill after a cancel or expiry is legal and keeps the state (Appendix D J.1.b).
    (S.CANCELED, OrderFilled): S.CANCELED,
    (S.EXPIRED, OrderFilled): S.EXPIRED,
}


class InvalidTransition(Exception):
    """An event that the order's current state does not allow."""

    def __init__(self, order_id: OrderId, status: OrdStatus, event: object) -> None:
        super().__init__(f"order {order_id}: {type(event).__name__} not allowed, was {status.name}")
        self.order_id = order_id
        self.status = status
        self.event = event


class Overfill(InvalidTransition):
    """A fill larger than what was left of the order."""

    def __init__(self, order_id: OrderId, status: OrdStatus, event: OrderFilled, leaves_qty: Decimal) -> None:
        super().__init__(order_id, status, event)
        self.args = (f"order {order_id}: fill of {event.last_qty} exceeds LeavesQty {leaves_qty}, was {status.name}",)


def working_status(cum_qty: Decimal, leaves_qty: Decimal) -> OrdStatus:
    """The state of an order with no pending request, from its quantities ("Filled" takes precedence)."""
    if leaves_qty == _ZERO and cum_qty > _ZERO:
        return OrdStatus.FILLED
    return OrdStatus.PARTIALLY_FILLED if cum_qty > _ZERO else OrdStatus.NEW


def next_status(
    order_id: OrderId, current: OrdStatus, event: OrderEvent, cum_qty: Decimal, leaves_qty: Decimal
) -> OrdStatus:
    """Return the state ``event`` moves an order in ``current`` to, or raise ``InvalidTransition``."""
    try:
        status = _TRANSITIONS[current, type(event)]
    except KeyError:
        raise InvalidTransition(order_id, current, event) from None
    if status is _WORKING:
        return working_status(cum_qty, leaves_qty)
    return OrdStatus.FILLED if status is OrdStatus.PARTIALLY_FILLED and leaves_qty == _ZERO else status


class Order:
    """One client order as the book of record sees it, with its venue leg and any pending request."""

    __slots__ = (
        "_filled_value",
        "account",
        "arrival_ask",
        "arrival_bid",
        "avg_px",
        "cl_ord_id",
        "created_ns",
        "cum_qty",
        "decision_px",
        "leaves_qty",
        "ord_rej_reason",
        "ord_type",
        "order_id",
        "order_qty",
        "orig_cl_ord_id",
        "pending",
        "price",
        "requests_sent",
        "route_reason",
        "session",
        "side",
        "status",
        "symbol",
        "text",
        "time_in_force",
        "updated_ns",
        "venue",
        "venue_cl_ord_id",
        "venue_order_id",
    )

    def __init__(self, command: SubmitOrder, order_id: OrderId) -> None:
        self.order_id = order_id
        self.session: SessionKey = command.session
        self.cl_ord_id: ClOrdId = command.cl_ord_id
        """The last accepted ClOrdID (11) of the chain."""
        self.orig_cl_ord_id: ClOrdId | None = None
        """The ClOrdID the last accepted replace or cancel replaced (41 on its report)."""
        self.account: Account = command.account
        self.symbol: Symbol = command.symbol
        self.side: Side = command.side
        self.ord_type: OrdType = command.ord_type
        self.price = command.price
        self.time_in_force: TimeInForce = command.time_in_force
        self.order_qty = command.order_qty
        self.cum_qty = _ZERO
        self.leaves_qty = command.order_qty
        self.avg_px = _ZERO
        self.status = OrdStatus.PENDING_NEW
        self.venue: VenueId | None = None
        self.venue_cl_ord_id: ClOrdId | None = None
        self.venue_order_id: str | None = None
        self.ord_rej_reason: OrdRejReason | None = None
        self.text: str | None = None
        self.created_ns = command.ts_received_ns
        self.updated_ns = command.ts_received_ns
        self.pending: CancelRequested | None = None
        """The cancel or replace request in flight, if any."""
        self.requests_sent = 0
        """How many cancels and replaces we sent its venue: the next one's ClOrdID there is ``<OrderID>.<n+1>``."""
        self._filled_value = _ZERO
        self.arrival_bid: Decimal | None = None
        """The consolidated best bid when the OMS booked the order (the arrival price TCA measures against)."""
        self.arrival_ask: Decimal | None = None
        """The consolidated best offer when the OMS booked the order."""
        self.decision_px = command.decision_px
        """DecisionPx (5900): the sender's decision price, if it gave one (TCA)."""
        self.route_reason: str | None = None
        """Why the EMS sent it to its venue (``OrderRouted.route_reason``)."""

    def apply(self, event: OrderEvent) -> None:
        """Move the order by ``event``, or raise ``InvalidTransition`` and leave it as it was."""
        if isinstance(event, OrderFilled):
            self._apply_fill(event)
        elif isinstance(event, OrderReplaced):
            self._apply_replaced(event)
        else:
            self.status = next_status(self.order_id, self.status, event, self.cum_qty, self.leaves_qty)
            self._after(event)
        if isinstance(event, OrderAccepted | OrderFilled | OrderReplaced) and event.venue_order_id:
            self.venue_order_id = event.venue_order_id
        self.updated_ns = event.ts_ns

    def _after(self, event: OrderEvent) -> None:
        if isinstance(event, CancelRequested):  # and ReplaceRequested
            self.pending = event
            return
        if isinstance(event, OrderDenied | OrderRejected):
            self.ord_rej_reason = event.reason
            self.text = event.text
        elif isinstance(event, OrderCanceled | OrderDoneForDay | OrderExpired):
            if event.text:
                self.text = event.text
            if isinstance(event, OrderCanceled) and self.pending is not None:
                self._take_request_ids(self.pending)  # the cancel's ClOrdID now names the order
        if self.status.is_terminal:
            self.leaves_qty = _ZERO  # LeavesQty (151) is 0 on a closed order
        self.pending = None

    def _take_request_ids(self, request: CancelRequested) -> None:
        self.orig_cl_ord_id = self.cl_ord_id
        self.cl_ord_id = request.cl_ord_id
        self.venue_cl_ord_id = request.venue_cl_ord_id

    def _apply_fill(self, fill: OrderFilled) -> None:
        live = not self.status.is_terminal
        if live and fill.last_qty > self.leaves_qty:
            raise Overfill(self.order_id, self.status, fill, self.leaves_qty)
        leaves = self.leaves_qty - fill.last_qty if live else _ZERO
        cum = self.cum_qty + fill.last_qty
        self.status = next_status(self.order_id, self.status, fill, cum, leaves)
        self.leaves_qty = leaves
        self.cum_qty = cum
        self._filled_value += fill.last_qty * fill.last_px
        self.avg_px = (self._filled_value / self.cum_qty).quantize(AVG_PX_QUANTUM)

    def _apply_replaced(self, event: OrderReplaced) -> None:
        request = self.pending
        if not isinstance(request, ReplaceRequested):
            raise InvalidTransition(self.order_id, self.status, event)
        leaves = max(event.order_qty - self.cum_qty, _ZERO)
        self.status = next_status(self.order_id, self.status, event, self.cum_qty, leaves)
        self.order_qty = event.order_qty
        self.leaves_qty = leaves
        self.price = request.price
        self.ord_type = request.ord_type
        self.time_in_force = request.time_in_force
        self._take_request_ids(request)
        self.pending = None

    def restore_fill_value(self) -> None:
        """Recompute the running fill value from CumQty and AvgPx (after loading from the book)."""
        self._filled_value = self.cum_qty * self.avg_px
