"""A replayed book as the book of record's rows (plain values): ``oms.store.replayed`` writes them.

Positions are not written: the book folds them from the executions at start.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Final

from replay.book import ReplayBook
from replay.orders import ReplayOrder
from replay.timestamps import parse_utc_timestamp

_ZERO: Final = Decimal(0)
Row = dict[str, Any]


def book_rows(book: ReplayBook) -> tuple[list[Row], list[Row]]:
    """The order rows and execution rows of ``book`` (columns it has no value for are the store's business)."""
    orders: list[Row] = []
    executions: list[Row] = []
    exec_ids: set[tuple[str, str]] = set()
    for order in book.orders:
        orders.append(_order_values(order))
        for number, fill in enumerate(order.fills, start=1):
            venue = _peer(order.session)
            venue_exec_id = fill.exec_id or f"{order.seq}-{number}"
            while (venue, venue_exec_id) in exec_ids:  # the same ExecID on two orders (Ireach): keep both
                venue_exec_id += "'"
            exec_ids.add((venue, venue_exec_id))
            executions.append(
                {
                    "exec_id": f"R{order.seq}-{number}",
                    "order_id": f"R{order.seq}",
                    "venue": venue,
                    "venue_exec_id": venue_exec_id,
                    "account": order.account,
                    "symbol": order.symbol,
                    "side": order.side[:1],
                    "last_qty": fill.last_qty,
                    "last_px": fill.last_px,
                    "ts_ns": parse_utc_timestamp(fill.time) or 0,
                }
            )
    return orders, executions


def _order_values(order: ReplayOrder) -> dict[str, Any]:
    return {
        "order_id": f"R{order.seq}",
        "seq": order.seq,
        "session": order.session,
        "cl_ord_id": order.cl_ord_id,
        "orig_cl_ord_id": order.root if order.root != order.cl_ord_id else None,
        "account": order.account,
        "symbol": order.symbol,
        "side": order.side[:1],
        "ord_type": order.ord_type[:1],
        "time_in_force": (order.time_in_force or "0")[:1],
        "price": order.price,
        "order_qty": order.order_qty or _ZERO,
        "cum_qty": order.cum_qty or _ZERO,
        "leaves_qty": order.leaves_qty or _ZERO,
        "avg_px": order.avg_px or _ZERO,
        "status": order.status[:1],
        "venue": _peer(order.session),
        "venue_order_id": order.order_id,
        "ord_rej_reason": order.ord_rej_reason,
        "text": order.text,
        "created_ns": parse_utc_timestamp(order.created) or 0,
        "updated_ns": parse_utc_timestamp(order.updated) or 0,
    }


def _peer(session: str) -> str:
    """The counterparty of ``BEGIN:OWN->PEER`` (both sides of ``BEGIN:A<->B``)."""
    return session.partition(":")[2].replace("<->", "->").rpartition("->")[2] or session
