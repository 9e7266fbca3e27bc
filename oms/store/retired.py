"""Retired orders in the book of record: what a start loads of them, and answers about them off the order path.

The OMS keeps only the orders that can still change (``oms.book``). At start it loads those, plus the ClOrdIDs
of all the others (still taken on their session). A client's question about a retired order (35=H, or a cancel
that comes too late) is answered from its row: read on the journal's thread once everything before it is
committed (so the row is the order's last state), then handed back to the OMS under the bus lock.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy import Engine, or_, select

from domain.enums import OrdStatus
from domain.ids import ClOrdId, OrderId, SessionKey
from domain.order import Order
from oms.store.repository import order_from_row
from oms.store.schema import orders

log = logging.getLogger("fixgw.oms.retired")

_FINAL = [s.value for s in OrdStatus if s.is_terminal]
_LATE_FILLS = [OrdStatus.CANCELED.value, OrdStatus.EXPIRED.value]
Found = Callable[[Order | None], None]


def open_orders(engine: Engine, closed_since_ns: int) -> list[dict[str, Any]]:
    """Rows of the orders that may still change, oldest first: not final, or canceled or expired since
    ``closed_since_ns`` (a late fill may still come, FIX 4.4 Appendix D J.1.b)."""
    recent = orders.c.status.in_(_LATE_FILLS) & (orders.c.updated_ns >= closed_since_ns)
    query = select(orders).where(or_(orders.c.status.not_in(_FINAL), recent)).order_by(orders.c.seq)
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def retired_names(engine: Engine) -> Iterator[tuple[SessionKey, ClOrdId]]:
    """(session, ClOrdID) of every final order: its ClOrdID and the one its last cancel or replace replaced."""
    query = select(orders.c.session, orders.c.cl_ord_id, orders.c.orig_cl_ord_id).where(orders.c.status.in_(_FINAL))
    with engine.connect() as conn:
        for session, cl_ord_id, orig in conn.execute(query):
            yield SessionKey(session), ClOrdId(cl_ord_id)
            if orig:
                yield SessionKey(session), ClOrdId(orig)


def find_order(
    engine: Engine, session: SessionKey, cl_ord_id: ClOrdId | None, order_id: OrderId | None
) -> dict[str, Any] | None:
    """The row of the session's order now named ``cl_ord_id`` (else the one it replaced), or with ``order_id``."""
    s = orders.c
    if cl_ord_id is not None:
        wheres = [s.cl_ord_id == cl_ord_id, s.orig_cl_ord_id == cl_ord_id]
    else:
        wheres = [s.order_id == order_id]
    with engine.connect() as conn:
        for where in wheres:  # the indexed lookup first: OrigClOrdID has no index, and is rarely asked for
            row = conn.execute(select(orders).where(s.session == session, where).order_by(s.seq.desc())).first()
            if row is not None:
                return dict(row._mapping)
    return None


class RetiredOrders:
    """Look retired orders up for the OMS (its ``find_retired``)."""

    def __init__(
        self, engine: Engine, defer: Callable[[Callable[[], None]], None], lock: AbstractContextManager[Any]
    ) -> None:
        """``defer``: run after everything queued so far is committed (``Journal.after_commit``); ``lock``: the
        bus lock the answer runs under."""
        self._engine = engine
        self._defer = defer
        self._lock = lock

    def find(self, session: SessionKey, cl_ord_id: ClOrdId | None, order_id: OrderId | None, then: Found) -> None:
        """Find the order once its last change is committed, then call ``then`` with it (None: not found)."""
        self._defer(lambda: self._answer(session, cl_ord_id, order_id, then))

    def _answer(self, session: SessionKey, cl_ord_id: ClOrdId | None, order_id: OrderId | None, then: Found) -> None:
        try:
            row = find_order(self._engine, session, cl_ord_id, order_id)
        except Exception:  # the client still gets an answer: the order is then unknown
            log.exception("could not look up retired order %s / %s of %s", cl_ord_id, order_id, session)
            row = None
        order = order_from_row(row) if row is not None else None
        with self._lock:
            then(order)
