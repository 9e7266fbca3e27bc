"""The book of record's rows, as the OMS hands them to its journal: pure shapes, no SQL.

The columns are ``oms.store.schema``'s; a row is a plain dict so that the journal can write it in bulk.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec

from domain.commands import CancelOrder, QueryOrder, ReplaceOrder
from domain.events import CancelRequested, OrderFilled, ReplaceRequested
from domain.ids import ClOrdId, ExecId
from domain.order import Order
from domain.positions import Position

Row = dict[str, Any]


def order_row(order: Order) -> Row:
    """The order's row: its state now, the request in flight (``pending``) and how many requests it sent."""
    return {
        "order_id": order.order_id,
        "seq": int(order.order_id[1:]),
        "session": order.session,
        "cl_ord_id": order.cl_ord_id,
        "orig_cl_ord_id": order.orig_cl_ord_id,
        "account": order.account,
        "symbol": order.symbol,
        "side": order.side.value,
        "ord_type": order.ord_type.value,
        "time_in_force": order.time_in_force.value,
        "price": order.price,
        "order_qty": order.order_qty,
        "cum_qty": order.cum_qty,
        "leaves_qty": order.leaves_qty,
        "avg_px": order.avg_px,
        "status": order.status.value,
        "venue": order.venue,
        "venue_cl_ord_id": order.venue_cl_ord_id,
        "venue_order_id": order.venue_order_id,
        "ord_rej_reason": order.ord_rej_reason.value if order.ord_rej_reason else None,
        "text": order.text,
        "requests_sent": order.requests_sent,
        "pending": encode_pending(order.pending),
        "created_ns": order.created_ns,
        "updated_ns": order.updated_ns,
        "arrival_bid": order.arrival_bid,
        "arrival_ask": order.arrival_ask,
        "decision_px": order.decision_px,
        "route_reason": order.route_reason,
    }


def execution_row(
    order: Order, event: OrderFilled, exec_id: ExecId, bid_ask: tuple[Decimal | None, Decimal | None] = (None, None)
) -> Row:
    """A fill's row: unique by (venue, venue ExecID), so a resent or replayed fill never counts twice; ``bid_ask``
    is the consolidated quote when it was booked (TCA)."""
    return {
        "exec_id": exec_id,
        "order_id": order.order_id,
        "venue": event.venue,
        "venue_exec_id": event.venue_exec_id,
        "account": order.account,
        "symbol": order.symbol,
        "side": order.side.value,
        "last_qty": event.last_qty,
        "last_px": event.last_px,
        "ts_ns": event.ts_ns,
        "commission": event.commission,
        "bid": bid_ask[0],
        "ask": bid_ask[1],
    }


def position_row(position: Position, ts_ns: int) -> Row:
    """The row of a position in the book."""
    return {
        "account": position.account,
        "symbol": position.symbol,
        "qty": position.qty,
        "avg_cost": position.avg_cost,
        "realized_pnl": position.realized_pnl,
        "fees": position.fees,
        "mark": position.mark,
        "bought_qty": position.bought_qty,
        "sold_qty": position.sold_qty,
        "updated_ns": ts_ns,
    }


def request_audit(order: Order, msg_type: str, venue_cl_ord_id: ClOrdId, ts_ns: int) -> Row:
    """The audit row of a request we send to the venue, as JSON (its FIX text as sent: ``oms.store.sent``)."""
    body = {
        "order_id": order.order_id,
        "venue_cl_ord_id": venue_cl_ord_id,
        "symbol": order.symbol,
        "side": order.side.value,
        "order_qty": str(order.order_qty),
        "price": str(order.price),
    }
    return {
        "ts_ns": ts_ns,
        "direction": "out",
        "session": order.venue or "",
        "msg_type": msg_type,
        "seq": None,
        "order_id": order.order_id,
        "cl_ord_id": venue_cl_ord_id,
        "body": msgspec.json.encode(body).decode(),
        "sent_from": None,
    }


def owed_row(key: str, command: QueryOrder | CancelOrder | ReplaceOrder, ts_ns: int) -> Row:
    """The ``pending_lookups`` row of an answer owed to ``command``."""
    kind = "query" if isinstance(command, QueryOrder) else "cancel" if isinstance(command, CancelOrder) else "replace"
    return {
        "key": key,
        "session": command.session,
        "kind": kind,
        "command": msgspec.json.encode(command).decode(),
        "ts_ns": ts_ns,
    }


def encode_pending(request: CancelRequested | None) -> str | None:
    """The pending request as JSON for the book (so a restart knows what is in flight)."""
    if request is None:
        return None
    kind = "replace" if isinstance(request, ReplaceRequested) else "cancel"
    return msgspec.json.encode({"kind": kind, "request": request}).decode()


def decode_pending(text: str | None) -> CancelRequested | None:
    """Read back what ``encode_pending`` wrote."""
    if not text:
        return None
    raw = msgspec.json.decode(text)
    request_type = ReplaceRequested if raw["kind"] == "replace" else CancelRequested
    return msgspec.convert(raw["request"], request_type)
