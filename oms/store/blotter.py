"""Read-only queries for the operator's live views (the dashboard): the blotter.

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
