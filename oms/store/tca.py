"""TCA's side of the book of record (issue 18): the mid series' writes and retention, and the readers that hand
orders, fills, mids and ack times to ``tca`` as plain values (``domain.tca_records``).

The readers never compute: every figure is ``tca``'s, in Decimal, so the same book gives the same figures on
SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, Select, func, select
from sqlalchemy.dialects import postgresql, sqlite

from domain.enums import OrdStatus, Side
from domain.tca_records import AckRecord, FillRecord, MidPoints, OrderRecord
from oms.store.schema import RECEIVED, executions, messages, mids, orders

_SIDES = {side.value: side for side in Side}
_STATUSES = {status.value: status for status in OrdStatus}
_PRUNE_STEP_NS = 60 * 1_000_000_000
"""Retention deletes at most a minute of the series per statement: short transactions beside the journal's."""


def write_mids(engine: Engine, rows: list[dict[str, Any]]) -> None:
    """Insert mid rows (symbol, ts_ns, mid) in one transaction; a row already there (same symbol and ns) stays."""
    if not rows:
        return
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(mids).on_conflict_do_nothing(index_elements=["symbol", "ts_ns"])
    with engine.begin() as conn:
        conn.execute(statement, rows)


def prune_mids(engine: Engine, before_ns: int) -> int:
    """Delete the mid rows older than ``before_ns``, a minute of the series per transaction; return how many."""
    deleted = 0
    while True:
        with engine.begin() as conn:
            oldest = conn.execute(select(func.min(mids.c.ts_ns))).scalar()
            if oldest is None or oldest >= before_ns:
                return deleted
            upto = min(before_ns, int(oldest) + _PRUNE_STEP_NS)
            deleted += conn.execute(mids.delete().where(mids.c.ts_ns < upto)).rowcount or 0


def venues(engine: Engine) -> list[str]:
    """Every venue the book has routed an order to."""
    with engine.connect() as conn:
        query = select(orders.c.venue).where(orders.c.venue.is_not(None)).distinct()
        return sorted(str(v) for v in conn.scalars(query))


def symbols(engine: Engine) -> list[str]:
    """Every symbol the book has routed an order in."""
    with engine.connect() as conn:
        query = select(orders.c.symbol).where(orders.c.venue.is_not(None)).distinct()
        return sorted(str(v) for v in conn.scalars(query))


def routed_orders(
    engine: Engine, *, venue: str | None = None, symbol: str | None = None, since_ns: int | None = None
) -> list[OrderRecord]:
    """The orders routed to a venue (booked at or after ``since_ns``), oldest first: what TCA scores.

    An order the pre-trade checks denied never reached a market: it is not here.
    """
    query = _filtered(
        select(
            orders.c.order_id,
            orders.c.cl_ord_id,
            orders.c.account,
            orders.c.symbol,
            orders.c.side,
            orders.c.venue,
            orders.c.order_qty,
            orders.c.status,
            orders.c.arrival_bid,
            orders.c.arrival_ask,
            orders.c.decision_px,
            orders.c.created_ns,
            orders.c.updated_ns,
            orders.c.route_reason,
        ).order_by(orders.c.seq),
        venue,
        symbol,
        since_ns,
    )
    with engine.connect() as conn:
        return [
            OrderRecord(
                order_id=r[0],
                cl_ord_id=r[1],
                account=r[2],
                symbol=r[3],
                side=_SIDES[r[4]],
                venue=r[5],
                order_qty=r[6],
                status=_STATUSES[r[7]],
                arrival_bid=r[8],
                arrival_ask=r[9],
                decision_px=r[10],
                created_ns=r[11],
                updated_ns=r[12],
                route_reason=r[13],
            )
            for r in conn.execute(query).all()
        ]


def fills_of(
    engine: Engine, *, venue: str | None = None, symbol: str | None = None, since_ns: int | None = None
) -> list[FillRecord]:
    """The executions of the orders ``routed_orders`` gives for the same filters, oldest first."""
    chosen = _filtered(select(orders.c.order_id), venue, symbol, since_ns)
    query = (
        select(
            executions.c.exec_id,
            executions.c.order_id,
            executions.c.venue,
            executions.c.symbol,
            executions.c.side,
            executions.c.last_qty,
            executions.c.last_px,
            executions.c.ts_ns,
            executions.c.bid,
            executions.c.ask,
        )
        .where(executions.c.order_id.in_(chosen.scalar_subquery()))
        .order_by(executions.c.ts_ns, executions.c.exec_id)
    )
    with engine.connect() as conn:
        return [
            FillRecord(
                exec_id=r[0],
                order_id=r[1],
                venue=r[2],
                symbol=r[3],
                side=_SIDES[r[4]],
                qty=r[5],
                px=r[6],
                ts_ns=r[7],
                bid=r[8],
                ask=r[9],
            )
            for r in conn.execute(query).all()
        ]


def mid_series(engine: Engine, symbol: str, start_ns: int, end_ns: int) -> tuple[MidPoints, tuple[int, Decimal] | None]:
    """The symbol's mids that hold anywhere in [start_ns, end_ns] (the row in force at ``start_ns`` first), and
    its last row overall (how far the series covers, and the mid now)."""
    with engine.connect() as conn:
        ours = mids.c.symbol == symbol
        first = conn.execute(select(func.max(mids.c.ts_ns)).where(ours, mids.c.ts_ns <= start_ns)).scalar()
        query = (
            select(mids.c.ts_ns, mids.c.mid)
            .where(ours, mids.c.ts_ns >= (first if first is not None else start_ns), mids.c.ts_ns <= end_ns)
            .order_by(mids.c.ts_ns)
        )
        points: MidPoints = [(int(ts), Decimal(mid)) for ts, mid in conn.execute(query)]
        last = conn.execute(select(mids.c.ts_ns, mids.c.mid).where(ours).order_by(mids.c.ts_ns.desc()).limit(1)).first()
    return points, None if last is None else (int(last[0]), Decimal(last[1]))


def ack_times(engine: Engine, records: Iterable[OrderRecord]) -> dict[str, AckRecord]:
    """Each order's trip to its venue, from the audit trail: the text of its NewOrderSingle (35=D) as its session
    sent it (``ts_ns`` when it was handed to the session) and the first ExecutionReport (35=8) received on that
    session with its ClOrdID (``ts_ns`` when it arrived). Orders at the internal venue have none: it answers
    inside the gateway, without a message."""
    venue_of = {r.order_id: r.venue or "" for r in records}
    if not venue_of:
        return {}
    since = min(r.created_ns for r in records)
    sent: dict[tuple[str, str], tuple[str, int]] = {}
    answered: dict[tuple[str, str], int] = {}
    with engine.connect() as conn:
        query = select(messages.c.order_id, messages.c.session, messages.c.cl_ord_id, messages.c.ts_ns).where(
            messages.c.direction == "out",
            messages.c.msg_type == "D",
            messages.c.seq.is_not(None),  # the text as sent, not the JSON decided before the commit
            messages.c.ts_ns >= since,
        )
        for order_id, session, cl_ord_id, ts_ns in conn.execute(query).all():
            key = (session, cl_ord_id)
            if order_id in venue_of and (key not in sent or ts_ns < sent[key][1]):
                sent[key] = (order_id, int(ts_ns))
        for session in {session for session, _ in sent}:  # one pass over each venue session's answers
            first = (
                select(messages.c.cl_ord_id, func.min(messages.c.ts_ns))
                .where(RECEIVED, messages.c.session == session, messages.c.msg_type == "8", messages.c.ts_ns >= since)
                .group_by(messages.c.cl_ord_id)
            )
            answered.update(((session, cl_ord_id), int(ts_ns)) for cl_ord_id, ts_ns in conn.execute(first).all())
    return {
        order_id: AckRecord(order_id=order_id, venue=venue_of[order_id], sent_ns=sent_ns, answered_ns=answered[key])
        for key, (order_id, sent_ns) in sent.items()
        if key in answered and answered[key] >= sent_ns
    }


def _filtered(query: Select[Any], venue: str | None, symbol: str | None, since_ns: int | None) -> Select[Any]:
    query = query.where(orders.c.venue.is_not(None))
    if venue is not None:
        query = query.where(orders.c.venue == venue)
    if symbol is not None:
        query = query.where(orders.c.symbol == symbol)
    if since_ns is not None:
        query = query.where(orders.c.created_ns >= since_ns)
    return query
