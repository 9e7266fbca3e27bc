"""Read-only queries for the operator's live views (the dashboard): the blotter and the day's risk denials.

Each reads an index range (``seq``, ``ts_ns``) with a LIMIT, so that a view polled every half second costs about
the same on a book of ten orders and of ten million. Working orders have no index of their own (one on a column
that changes with every fill would cost the order path): the caller passes the lowest ``seq`` that can still be
working, the lowest of the orders it last saw working, since an order that has stopped working never works again.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select

from domain.enums import OrdStatus
from oms.store.schema import executions, orders

WORKING = (
    OrdStatus.PENDING_NEW,
    OrdStatus.NEW,
    OrdStatus.PARTIALLY_FILLED,
    OrdStatus.PENDING_CANCEL,
    OrdStatus.PENDING_REPLACE,
)
"""The statuses of an order that may still trade or be canceled."""


def working_orders(engine: Engine, from_seq: int) -> list[dict[str, Any]]:
    """The working orders whose ``seq`` is ``from_seq`` or later, oldest first."""
    query = (
        select(orders)
        .where(orders.c.seq >= from_seq, orders.c.status.in_([s.value for s in WORKING]))
        .order_by(orders.c.seq)
    )
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def recent_fills(engine: Engine, limit: int) -> list[dict[str, Any]]:
    """The ``limit`` newest executions, newest first."""
    query = select(executions).order_by(executions.c.ts_ns.desc(), executions.c.exec_id.desc()).limit(limit)
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def risk_denials(engine: Engine, after_seq: int, since_ns: int, limit: int) -> list[tuple[int, str | None]]:
    """(seq, Text (58)) of up to ``limit`` orders refused before any venue saw them (rejected, no venue), created
    since ``since_ns``, after order ``after_seq``, oldest first: a caller counts each once by moving ``after_seq``
    on to the last one it got."""
    query = (
        select(orders.c.seq, orders.c.text)
        .where(
            orders.c.seq > after_seq,
            orders.c.status == OrdStatus.REJECTED.value,
            orders.c.venue.is_(None),
            orders.c.created_ns >= since_ns,
        )
        .order_by(orders.c.seq)
        .limit(limit)
    )
    with engine.connect() as conn:
        return [(int(seq), text) for seq, text in conn.execute(query)]
