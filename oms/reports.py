"""Every report the OMS sends a client, built in one place: the one owner of ExecID numbering (``oms.exec_ids``).

ExecutionReports for an order's events (ExecType from the event, ClOrdID/OrigClOrdID chains as FIX 4.4 Appendix D
wants them), refusals of messages that are not booked (OrderID NONE), OrderCancelRejects, OrderMassCancelReports and
BusinessMessageRejects. Building a report changes nothing but the ExecID count; the OMS journals it.
"""

from __future__ import annotations

from decimal import Decimal

from domain.clock import Clock
from domain.commands import CancelOrder, MassCancel, QueryOrder, ReplaceOrder, SubmitOrder
from domain.enums import CxlRejReason, CxlRejResponseTo, ExecType, OrdRejReason, OrdStatus
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
from domain.ids import ClOrdId, OrderId, SessionKey
from domain.order import Order
from domain.reports import BusinessReject, CancelReject, ClientReport, ExecutionReport, MassCancelReport
from oms.exec_ids import ExecIds

_EXEC_TYPES: dict[type, ExecType] = {
    OrderDenied: ExecType.REJECTED,
    OrderRejected: ExecType.REJECTED,
    OrderAccepted: ExecType.NEW,
    OrderFilled: ExecType.TRADE,
    OrderCanceled: ExecType.CANCELED,
    OrderDoneForDay: ExecType.DONE_FOR_DAY,
    OrderExpired: ExecType.EXPIRED,
    OrderReplaced: ExecType.REPLACED,
    CancelRequested: ExecType.PENDING_CANCEL,
    ReplaceRequested: ExecType.PENDING_REPLACE,
}
_ZERO = Decimal(0)
NOT_BOOKED = OrderId("NONE")
"""OrderID (37) of an answer about a message that booked no order."""


class Reports:
    """Build the client's reports; hand out their ExecIDs."""

    def __init__(self, clock: Clock, exec_ids: ExecIds) -> None:
        self._clock = clock
        self._exec_ids = exec_ids

    @property
    def incarnation(self) -> int:
        """This start's incarnation (part of every ExecID, and of other ids that must never repeat)."""
        return self._exec_ids.incarnation

    def execution(self, order: Order, event: OrderEvent | None, exec_type: ExecType | None = None) -> ExecutionReport:
        """The ExecutionReport of ``event`` on ``order`` (None and ``exec_type``: a status report, 150=I)."""
        fill = event if isinstance(event, OrderFilled) else None
        cl_ord_id, orig = _report_ids(order, event)
        return ExecutionReport(
            session=order.session,
            order_id=order.order_id,
            cl_ord_id=cl_ord_id,
            exec_id=self._exec_ids.next(order.order_id),
            exec_type=exec_type or _EXEC_TYPES[type(event)],
            ord_status=order.status,
            account=order.account,
            symbol=order.symbol,
            side=order.side,
            ord_type=order.ord_type,
            price=order.price,
            order_qty=order.order_qty,
            cum_qty=order.cum_qty,
            leaves_qty=order.leaves_qty,
            avg_px=order.avg_px,
            last_qty=fill.last_qty if fill else None,
            last_px=fill.last_px if fill else None,
            transact_time_ns=event.ts_ns if event is not None else self._clock.now_ns(),
            ord_rej_reason=order.ord_rej_reason if isinstance(event, OrderDenied | OrderRejected) else None,
            text=order.text if isinstance(event, OrderDenied | OrderRejected | OrderCanceled) else None,
            orig_cl_ord_id=orig,
        )

    def refusal(self, command: SubmitOrder, reason: OrdRejReason, text: str, about: str) -> ExecutionReport:
        """150=8 39=8 for a NewOrderSingle that is not booked (OrderID NONE); ``about`` names it in its ExecID."""
        now = self._clock.now_ns()
        return ExecutionReport(
            session=command.session,
            order_id=NOT_BOOKED,
            cl_ord_id=command.cl_ord_id,
            exec_id=self._exec_ids.next(about),
            exec_type=ExecType.REJECTED,
            ord_status=OrdStatus.REJECTED,
            account=command.account,
            symbol=command.symbol,
            side=command.side,
            ord_type=command.ord_type,
            price=command.price,
            order_qty=command.order_qty,
            cum_qty=_ZERO,
            leaves_qty=_ZERO,
            avg_px=_ZERO,
            transact_time_ns=now,
            ord_rej_reason=reason,
            text=text,
        )

    def unknown_status(self, command: QueryOrder) -> ExecutionReport:
        """150=I 39=8 103=5 for a status request about an order we do not know."""
        return ExecutionReport(
            session=command.session,
            order_id=NOT_BOOKED,
            cl_ord_id=command.cl_ord_id,
            exec_id=self._exec_ids.next("STATUS"),
            exec_type=ExecType.ORDER_STATUS,
            ord_status=OrdStatus.REJECTED,
            account=None,
            symbol=command.symbol,
            side=command.side,
            ord_type=None,
            price=None,
            order_qty=_ZERO,
            cum_qty=_ZERO,
            leaves_qty=_ZERO,
            avg_px=_ZERO,
            transact_time_ns=self._clock.now_ns(),
            ord_rej_reason=OrdRejReason.UNKNOWN_ORDER,
            text=f"Unknown order: ClOrdID (11) {command.cl_ord_id!r}",
        )

    @staticmethod
    def cancel_reject(
        command: CancelOrder | ReplaceOrder,
        order: Order | None,
        reason: CxlRejReason,
        text: str,
        response_to: CxlRejResponseTo = CxlRejResponseTo.ORDER_CANCEL_REPLACE_REQUEST,
    ) -> CancelReject:
        """35=9 to a client's cancel or replace (the order unknown: OrderID NONE, 39=8)."""
        return CancelReject(
            session=command.session,
            order_id=order.order_id if order else NOT_BOOKED,
            cl_ord_id=command.cl_ord_id,
            orig_cl_ord_id=command.orig_cl_ord_id,
            ord_status=order.status if order else OrdStatus.REJECTED,
            response_to=response_to,
            reason=reason,
            text=text,
        )

    @staticmethod
    def venue_cancel_reject(order: Order, request: CancelRequested, event: CancelRejected) -> CancelReject:
        """35=9 for the request in flight that the venue (or the gateway on its behalf) refused."""
        response_to = (
            CxlRejResponseTo.ORDER_CANCEL_REPLACE_REQUEST
            if isinstance(request, ReplaceRequested)
            else CxlRejResponseTo.ORDER_CANCEL_REQUEST
        )
        return CancelReject(
            session=order.session,
            order_id=order.order_id,
            cl_ord_id=request.cl_ord_id,
            orig_cl_ord_id=request.orig_cl_ord_id,
            ord_status=order.status,
            response_to=response_to,
            reason=event.reason,
            text=event.text,
        )

    @staticmethod
    def mass_cancel(
        command: MassCancel, *, affected: int = 0, reject_reason: str | None = None, text: str | None = None
    ) -> MassCancelReport:
        """35=r: accepted with ``affected`` orders, or rejected (531=0) with ``reject_reason`` (532)."""
        return MassCancelReport(
            session=command.session,
            cl_ord_id=command.cl_ord_id,
            order_id=OrderId(f"MC-{command.cl_ord_id}"),
            request_type=command.request_type,
            response="0" if reject_reason is not None else command.request_type,
            reject_reason=reject_reason,
            total_affected=affected,
            text=text,
        )

    @staticmethod
    def business_reject(session: SessionKey, cl_ord_id: ClOrdId, ref_msg_type: str, text: str) -> BusinessReject:
        """35=j 380=0 (Other): for a message FIX has no reject of its own for (FIX 4.4 has no throttle reason)."""
        return BusinessReject(session=session, cl_ord_id=cl_ord_id, ref_msg_type=ref_msg_type, reason=0, text=text)

    def throttled(
        self,
        command: SubmitOrder | CancelOrder | ReplaceOrder | QueryOrder | MassCancel,
        target: Order | None,
        text: str,
    ) -> ClientReport:
        """The reject FIX has for each message type, for a message a throttle refused: never a silent drop."""
        if isinstance(command, SubmitOrder):
            return self.refusal(command, OrdRejReason.OTHER, text, "THROTTLED")
        if isinstance(command, CancelOrder):
            return self.cancel_reject(command, target, CxlRejReason.OTHER, text, CxlRejResponseTo.ORDER_CANCEL_REQUEST)
        if isinstance(command, ReplaceOrder):
            return self.cancel_reject(command, target, CxlRejReason.OTHER, text)
        if isinstance(command, MassCancel):
            return self.mass_cancel(command, reject_reason="99", text=text)
        return self.business_reject(command.session, command.cl_ord_id, "H", text)


def _report_ids(order: Order, event: OrderEvent | None) -> tuple[ClOrdId, ClOrdId | None]:
    """ClOrdID (11) and OrigClOrdID (41) of a report: the request's for pending acks and their outcome."""
    if isinstance(event, CancelRequested):
        return event.cl_ord_id, event.orig_cl_ord_id if event.orig_cl_ord_id != event.cl_ord_id else None
    if isinstance(event, OrderCanceled | OrderReplaced) and order.orig_cl_ord_id not in (None, order.cl_ord_id):
        return order.cl_ord_id, order.orig_cl_ord_id
    return order.cl_ord_id, None
