"""What an exchange reports, as the events ``fixgw.codec.inbound`` decodes from a FIX venue's messages: the internal
venue's reports reach the OMS exactly as a FIX venue's would, field for field."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Final

from domain.clock import Clock
from domain.enums import ExecType, OrdRejReason
from domain.events import (
    CancelRejected,
    OrderAccepted,
    OrderCanceled,
    OrderDoneForDay,
    OrderExpired,
    OrderFilled,
    OrderRejected,
    OrderReplaced,
    OrderStatusReported,
    VenueReport,
)
from domain.ids import VenueId
from domain.reports import CancelReject, ExecutionReport
from matching.exchange import VenueReport as ExchangeReport


def venue_event(venue: VenueId, report: ExchangeReport, clock: Clock) -> VenueReport | CancelRejected | None:
    """The event ``fixgw.codec.inbound`` decodes from this report as a FIX venue sends it; None for others."""
    if isinstance(report, CancelReject):  # as decode_cancel_reject: the request is found by its ClOrdID
        return CancelRejected(
            venue=venue,
            venue_cl_ord_id=report.cl_ord_id,
            reason=report.reason,
            text=report.text or "cancel rejected by venue",
            ts_ns=clock.now_ns(),
        )
    if not isinstance(report, ExecutionReport):
        return None  # a mass cancel report: the OMS never asks this venue for one
    build = _EVENTS.get(report.exec_type)
    return build(venue, report) if build is not None else None


def _rejected(venue: VenueId, r: ExecutionReport) -> OrderRejected:
    return OrderRejected(
        venue=venue,
        venue_cl_ord_id=r.cl_ord_id,
        venue_order_id=r.order_id,
        venue_exec_id=r.exec_id,
        ts_ns=r.transact_time_ns,
        reason=r.ord_rej_reason or OrdRejReason.OTHER,
        text=r.text or "rejected by venue",
    )


def _filled(venue: VenueId, r: ExecutionReport) -> OrderFilled:
    assert r.last_qty is not None and r.last_px is not None
    return OrderFilled(
        venue=venue,
        venue_cl_ord_id=r.cl_ord_id,
        venue_order_id=r.order_id,
        venue_exec_id=r.exec_id,
        ts_ns=r.transact_time_ns,
        last_qty=r.last_qty,
        last_px=r.last_px,
        commission=r.fee(),  # as fixgw.codec.inbound.commission reads Commission (12) and CommType (13)
    )


def _status(venue: VenueId, r: ExecutionReport) -> OrderStatusReported:
    return OrderStatusReported(
        venue=venue,
        venue_cl_ord_id=r.cl_ord_id,
        venue_order_id=r.order_id,
        venue_exec_id=r.exec_id,
        ts_ns=r.transact_time_ns,
        ord_status=r.ord_status,
        cum_qty=r.cum_qty or _ZERO,
        text=r.text or "",
    )


_ZERO = Decimal(0)
_EVENTS: Final[dict[ExecType, Callable[[VenueId, ExecutionReport], VenueReport]]] = {
    ExecType.NEW: lambda v, r: OrderAccepted(
        venue=v,
        venue_cl_ord_id=r.cl_ord_id,
        venue_order_id=r.order_id,
        venue_exec_id=r.exec_id,
        ts_ns=r.transact_time_ns,
    ),
    ExecType.TRADE: _filled,
    ExecType.REJECTED: _rejected,
    ExecType.CANCELED: lambda v, r: OrderCanceled(
        venue=v,
        venue_cl_ord_id=r.cl_ord_id,
        venue_order_id=r.order_id,
        venue_exec_id=r.exec_id,
        ts_ns=r.transact_time_ns,
        text=r.text or "",
    ),
    ExecType.DONE_FOR_DAY: lambda v, r: OrderDoneForDay(
        venue=v,
        venue_cl_ord_id=r.cl_ord_id,
        venue_order_id=r.order_id,
        venue_exec_id=r.exec_id,
        ts_ns=r.transact_time_ns,
        text=r.text or "",
    ),
    ExecType.EXPIRED: lambda v, r: OrderExpired(
        venue=v,
        venue_cl_ord_id=r.cl_ord_id,
        venue_order_id=r.order_id,
        venue_exec_id=r.exec_id,
        ts_ns=r.transact_time_ns,
        text=r.text or "",
    ),
    ExecType.REPLACED: lambda v, r: OrderReplaced(
        venue=v,
        venue_cl_ord_id=r.cl_ord_id,
        venue_order_id=r.order_id,
        venue_exec_id=r.exec_id,
        ts_ns=r.transact_time_ns,
        order_qty=r.order_qty,
        price=r.price,
    ),
    ExecType.ORDER_STATUS: _status,
}
"""Per ExecType (150), as ``fixgw.codec.inbound._EXEC_TYPE_DECODERS``."""
