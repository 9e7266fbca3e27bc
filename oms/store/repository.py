"""Queries over the book of record, for start-up, the CLI and tests."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, func, select

from domain.commands import SubmitOrder
from domain.enums import OrdRejReason, OrdStatus, OrdType, Side, TimeInForce
from domain.ids import Account, ClOrdId, OrderId, SessionKey, Symbol, VenueId
from domain.order import Order
from oms.store.schema import executions, orders


def load_orders(engine: Engine) -> list[dict[str, Any]]:
    """Return every order row, oldest first."""
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(orders).order_by(orders.c.seq))]


def load_executions(engine: Engine, order_id: str | None = None) -> list[dict[str, Any]]:
    """Return execution rows, of one order or all, oldest first."""
    query = select(executions).order_by(executions.c.ts_ns, executions.c.exec_id)
    if order_id is not None:
        query = query.where(executions.c.order_id == order_id)
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def last_order_seq(engine: Engine) -> int:
    """Return the highest order sequence number used so far (0 for an empty book)."""
    with engine.connect() as conn:
        return int(conn.execute(select(func.coalesce(func.max(orders.c.seq), 0))).scalar_one())


def recent_orders(engine: Engine, limit: int) -> list[dict[str, Any]]:
    """Return the ``limit`` newest orders, newest last."""
    query = select(orders).order_by(orders.c.seq.desc()).limit(limit)
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(query)]
    return rows[::-1]


def order_from_row(row: dict[str, Any]) -> Order:
    """Rebuild an in-memory order from its row in the book."""
    command = SubmitOrder(
        session=SessionKey(row["session"]), cl_ord_id=ClOrdId(row["cl_ord_id"]), account=Account(row["account"]),
        symbol=Symbol(row["symbol"]), side=Side(row["side"]), ord_type=OrdType(row["ord_type"]),
        order_qty=row["order_qty"], price=row["price"], time_in_force=TimeInForce(row["time_in_force"]),
        ts_received_ns=row["created_ns"],
    )  # fmt: skip
    order = Order(command, OrderId(row["order_id"]))
    order.cum_qty = row["cum_qty"]
    order.leaves_qty = row["leaves_qty"]
    order.avg_px = row["avg_px"]
    order.status = OrdStatus(row["status"])
    order.venue = VenueId(row["venue"]) if row["venue"] else None
    order.venue_cl_ord_id = ClOrdId(row["venue_cl_ord_id"]) if row["venue_cl_ord_id"] else None
    order.venue_order_id = row["venue_order_id"]
    order.orig_cl_ord_id = ClOrdId(row["orig_cl_ord_id"]) if row["orig_cl_ord_id"] else None
    order.ord_rej_reason = OrdRejReason(row["ord_rej_reason"]) if row["ord_rej_reason"] else None
    order.text = row["text"]
    order.updated_ns = row["updated_ns"]
    order.restore_fill_value()
    return order
