"""Builders of domain objects with sensible defaults: override only what a test is about."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from domain.commands import SubmitOrder
from domain.enums import CxlRejReason, ExecType, OrdRejReason, OrdStatus, OrdType, Side, TimeInForce
from domain.events import (
    CancelRejected,
    CancelRequested,
    OrderAccepted,
    OrderCanceled,
    OrderDenied,
    OrderDoneForDay,
    OrderExpired,
    OrderFilled,
    OrderRejected,
    OrderReplaced,
    ReplaceRequested,
)
from domain.ids import Account, ClOrdId, ExecId, OrderId, SessionKey, Symbol, VenueId
from domain.reports import ExecutionReport


def new_order(**overrides: Any) -> SubmitOrder:
    fields: dict[str, Any] = {
        "session": SessionKey("FIX.4.4:FIXGW->CLIENT1"),
        "cl_ord_id": ClOrdId("C1"),
        "account": Account("ACCT1"),
        "symbol": Symbol("MSFT"),
        "side": Side.BUY,
        "ord_type": OrdType.LIMIT,
        "order_qty": Decimal(100),
        "price": Decimal("100.00"),
        "ts_received_ns": 1,
        "order_id": OrderId("O1"),
    }
    return SubmitOrder(**(fields | overrides))


def _venue(**overrides: Any) -> dict[str, Any]:
    return {
        "venue": VenueId("VENUE"),
        "venue_cl_ord_id": ClOrdId("O1"),
        "venue_order_id": "V1",
        "venue_exec_id": ExecId("E1"),
        "ts_ns": 2,
    } | overrides


def accepted(**overrides: Any) -> OrderAccepted:
    return OrderAccepted(**_venue(**overrides))


def fill(qty: str, px: str, **overrides: Any) -> OrderFilled:
    return OrderFilled(**_venue(**overrides), last_qty=Decimal(qty), last_px=Decimal(px))


def canceled(**overrides: Any) -> OrderCanceled:
    return OrderCanceled(**_venue(**overrides))


def rejected(**overrides: Any) -> OrderRejected:
    return OrderRejected(**_venue(**overrides), reason=OrdRejReason.OTHER, text="venue says no")


def denied(**overrides: Any) -> OrderDenied:
    fields: dict[str, Any] = {
        "order_id": OrderId("O1"),
        "reason": OrdRejReason.ORDER_EXCEEDS_LIMIT,
        "text": "no",
        "ts_ns": 2,
    }
    return OrderDenied(**(fields | overrides))


def done_for_day(**overrides: Any) -> OrderDoneForDay:
    return OrderDoneForDay(**_venue(**overrides))


def expired(**overrides: Any) -> OrderExpired:
    return OrderExpired(**_venue(**overrides))


def replaced(qty: str, price: str | None = "100", **overrides: Any) -> OrderReplaced:
    return OrderReplaced(**_venue(**overrides), order_qty=Decimal(qty), price=Decimal(price) if price else None)


def cancel_requested(**overrides: Any) -> CancelRequested:
    fields: dict[str, Any] = {
        "order_id": OrderId("O1"),
        "cl_ord_id": ClOrdId("C2"),
        "orig_cl_ord_id": ClOrdId("C1"),
        "venue_cl_ord_id": ClOrdId("O1.1"),
        "ts_ns": 3,
    }
    return CancelRequested(**(fields | overrides))


def replace_requested(qty: str, price: str = "100", **overrides: Any) -> ReplaceRequested:
    fields: dict[str, Any] = {
        "order_id": OrderId("O1"),
        "cl_ord_id": ClOrdId("C2"),
        "orig_cl_ord_id": ClOrdId("C1"),
        "venue_cl_ord_id": ClOrdId("O1.1"),
        "ts_ns": 3,
        "order_qty": Decimal(qty),
        "price": Decimal(price),
        "ord_type": OrdType.LIMIT,
        "time_in_force": TimeInForce.DAY,
    }
    return ReplaceRequested(**(fields | overrides))


def cancel_rejected(**overrides: Any) -> CancelRejected:
    fields: dict[str, Any] = {
        "venue": VenueId("VENUE"),
        "venue_cl_ord_id": ClOrdId("O1.1"),
        "reason": CxlRejReason.TOO_LATE_TO_CANCEL,
        "text": "too late",
        "ts_ns": 4,
    }
    return CancelRejected(**(fields | overrides))


def execution_report(**overrides: Any) -> ExecutionReport:
    """An acknowledgement (150=0) of 100 MSFT at 100 for CLIENT1; ``exec_id`` is the order's first."""
    values: dict[str, Any] = {
        "session": SessionKey("FIX.4.4:FIXGW->CLIENT1"),
        "order_id": OrderId("O1"),
        "cl_ord_id": ClOrdId("CO1"),
        "exec_id": ExecId("O1-1-1"),
        "exec_type": ExecType.NEW,
        "ord_status": OrdStatus.NEW,
        "account": Account("ACCT1"),
        "symbol": Symbol("MSFT"),
        "side": Side.BUY,
        "ord_type": OrdType.LIMIT,
        "price": Decimal(100),
        "order_qty": Decimal(100),
        "cum_qty": Decimal(0),
        "leaves_qty": Decimal(100),
        "avg_px": Decimal(0),
        "transact_time_ns": 1,
    }
    return ExecutionReport(**(values | overrides))
