"""The order and its state machine.

Theory of operation: the legal transitions are data (``_TRANSITIONS``), as in h11 and nautilus. The table
is the whole truth, plus one state-triggered rule: a fill that leaves nothing open completes the order,
whatever the path to it. An event that the table does not allow raises ``InvalidTransition`` naming the
order, the event and the state it found; the engine logs it and leaves the order untouched. Appendix D of
FIX 4.4 (via ../shared/reference/risk-oms-tca.md 2.4) is the source of the pairs.
"""

from collections.abc import Mapping
from decimal import Decimal
from typing import Final

from domain.commands import SubmitOrder
from domain.enums import OrdRejReason, OrdStatus, OrdType, Side, TimeInForce
from domain.events import (
    OrderAccepted,
    OrderCanceled,
    OrderDenied,
    OrderEvent,
    OrderFilled,
    OrderRejected,
)
from domain.ids import Account, ClOrdId, OrderId, SessionKey, Symbol, VenueId

AVG_PX_QUANTUM: Final = Decimal("1e-8")
_ZERO: Final = Decimal(0)

_TRANSITIONS: Final[Mapping[tuple[OrdStatus, type], OrdStatus]] = {
    (OrdStatus.PENDING_NEW, OrderDenied): OrdStatus.REJECTED,
    (OrdStatus.PENDING_NEW, OrderRejected): OrdStatus.REJECTED,
    (OrdStatus.PENDING_NEW, OrderAccepted): OrdStatus.NEW,
    # Some venues fill before (or instead of) acknowledging.
    (OrdStatus.PENDING_NEW, OrderFilled): OrdStatus.PARTIALLY_FILLED,
    (OrdStatus.PENDING_NEW, OrderCanceled): OrdStatus.CANCELED,
    (OrdStatus.NEW, OrderFilled): OrdStatus.PARTIALLY_FILLED,
    (OrdStatus.NEW, OrderCanceled): OrdStatus.CANCELED,
    (OrdStatus.PARTIALLY_FILLED, OrderFilled): OrdStatus.PARTIALLY_FILLED,
    (OrdStatus.PARTIALLY_FILLED, OrderCanceled): OrdStatus.CANCELED,
    # A late fill after a cancel is legal and keeps the order Canceled (Appendix D J.1.b).
    (OrdStatus.CANCELED, OrderFilled): OrdStatus.CANCELED,
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


def next_status(order_id: OrderId, current: OrdStatus, event: OrderEvent, leaves_qty: Decimal) -> OrdStatus:
    """Return the state ``event`` moves an order in ``current`` to, or raise ``InvalidTransition``."""
    try:
        status = _TRANSITIONS[current, type(event)]
    except KeyError:
        raise InvalidTransition(order_id, current, event) from None
    return OrdStatus.FILLED if status is OrdStatus.PARTIALLY_FILLED and leaves_qty == _ZERO else status


class Order:
    """One client order as the book of record sees it, with its venue leg."""

    __slots__ = (
        "_filled_value",
        "account",
        "avg_px",
        "cl_ord_id",
        "created_ns",
        "cum_qty",
        "leaves_qty",
        "ord_rej_reason",
        "ord_type",
        "order_id",
        "order_qty",
        "price",
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
    )  # fmt: skip

    def __init__(self, command: SubmitOrder, order_id: OrderId) -> None:
        self.order_id = order_id
        self.session: SessionKey = command.session
        self.cl_ord_id: ClOrdId = command.cl_ord_id
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
        self._filled_value = _ZERO

    def apply(self, event: OrderEvent) -> None:
        """Move the order by ``event``, or raise ``InvalidTransition`` and leave it as it was."""
        if isinstance(event, OrderFilled):
            self._apply_fill(event)
        else:
            self.status = next_status(self.order_id, self.status, event, self.leaves_qty)
            if self.status is OrdStatus.REJECTED or self.status is OrdStatus.CANCELED:
                self.leaves_qty = _ZERO  # LeavesQty (151) is 0 on a closed order
            if isinstance(event, OrderDenied | OrderRejected):
                self.ord_rej_reason = event.reason
                self.text = event.text
            elif isinstance(event, OrderCanceled) and event.text:
                self.text = event.text
        if isinstance(event, OrderAccepted | OrderFilled) and event.venue_order_id:
            self.venue_order_id = event.venue_order_id
        self.updated_ns = event.ts_ns

    def _apply_fill(self, fill: OrderFilled) -> None:
        live = not self.status.is_terminal
        if live and fill.last_qty > self.leaves_qty:
            raise Overfill(self.order_id, self.status, fill, self.leaves_qty)
        leaves = self.leaves_qty - fill.last_qty if live else _ZERO
        self.status = next_status(self.order_id, self.status, fill, leaves)
        self.leaves_qty = leaves
        self.cum_qty += fill.last_qty
        self._filled_value += fill.last_qty * fill.last_px
        self.avg_px = (self._filled_value / self.cum_qty).quantize(AVG_PX_QUANTUM)

    def restore_fill_value(self) -> None:
        """Recompute the running fill value from CumQty and AvgPx (after loading from the book)."""
        self._filled_value = self.cum_qty * self.avg_px
