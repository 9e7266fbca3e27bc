"""Write a replayed book into a database through the OMS's own journal writer.

The rows are built from the tables' columns, so a column added to the book later (a migration) gets a neutral
value instead of breaking replay: NULL where allowed, else zero or "". Positions are not written: the book
folds them from the executions at start (``OmsEngine.restore``).
"""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any, Final

from domain.clock import LiveClock
from domain.commands import Unrecorded
from oms.store.journal import Journal
from oms.store.schema import executions, orders
from replay.book import ReplayBook, ReplayOrder
from replay.timestamps import parse_utc_timestamp

_ZERO: Final = Decimal(0)


class StoreError(Exception):
    """The replayed book could not be written."""


def write_book(engine: Any, book: ReplayBook, *, timeout: float = 60.0) -> tuple[int, int]:
    """Write every order and execution of ``book``; return how many of each. Raises StoreError."""
    refused: list[Unrecorded] = []  # what the book of record refuses is quarantined there; we stop at the first
    journal = Journal(engine, deliver=_no_reports, clock=LiveClock(), on_quarantine=refused.append)
    journal.start()
    written = 0
    exec_ids: set[tuple[str, str]] = set()
    try:
        for order in book.orders:
            journal.append(order=_row(orders, _order_values(order)))
            for number, fill in enumerate(order.fills, start=1):
                venue = _peer(order.session)
                venue_exec_id = fill.exec_id or f"{order.seq}-{number}"
                while (venue, venue_exec_id) in exec_ids:  # the same ExecID on two orders (Ireach): keep both
                    venue_exec_id += "'"
                exec_ids.add((venue, venue_exec_id))
                values = {
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
                journal.append(execution=_row(executions, values))
                written += 1
        limit = timeout + len(book.orders) / 1000
        deadline = time.monotonic() + limit
        while not journal.flush(0.1) or refused:
            if refused:
                raise StoreError(f"the database refused the replayed book: {refused[0].reason}")
            if time.monotonic() > deadline:
                why = f" ({journal.last_error})" if journal.last_error else ""
                raise StoreError(f"the database took more than {limit:.0f} s to take the replayed book{why}")
    finally:
        journal.stop(timeout=1.0)
    return len(book.orders), written


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


def _row(table: Any, values: dict[str, Any]) -> dict[str, Any]:
    """One value per column of ``table``: ours; else the column's default (left to the database), NULL, or a
    neutral value of its type."""
    row = {}
    for column in table.columns:
        if column.name in values:
            row[column.name] = values[column.name]
        elif column.server_default is not None or column.default is not None or column.autoincrement is True:
            continue
        else:
            row[column.name] = None if column.nullable else _neutral(column)
    return row


def _neutral(column: Any) -> object:
    try:
        kind = getattr(column.type, "impl", column.type).python_type  # a TypeDecorator (Money) says its impl's
    except NotImplementedError:
        return ""
    if issubclass(kind, int):
        return 0
    return _ZERO if issubclass(kind, Decimal) else ""


def _peer(session: str) -> str:
    """The counterparty of ``BEGIN:OWN->PEER`` (both sides of ``BEGIN:A<->B``)."""
    return session.partition(":")[2].replace("<->", "->").rpartition("->")[2] or session


def _no_reports(_report: object) -> None:
    """Replay sends no reports."""
