"""Queries over the book of record, for start-up, the CLI and tests."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import msgspec
from sqlalchemy import Engine, func, select, update

from domain.commands import AnswerAgain, CancelOrder, QueryOrder, ReplaceOrder, SubmitOrder
from domain.enums import OrdRejReason, OrdStatus, OrdType, Side, TimeInForce
from domain.ids import Account, ClOrdId, OrderId, SessionKey, Symbol, VenueId
from domain.order import Order
from oms.store.schema import (
    RECEIVED,
    executions,
    journal_state,
    messages,
    orders,
    pending_lookups,
    positions,
    risk_audit,
    risk_controls,
)

INCARNATION = "incarnation"


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


def recent_orders(
    engine: Engine, limit: int, *, status: str | None = None, symbol: str | None = None, account: str | None = None
) -> list[dict[str, Any]]:
    """Return the ``limit`` newest orders matching the filters, newest last."""
    query = select(orders).order_by(orders.c.seq.desc()).limit(limit)
    for column, value in ((orders.c.status, status), (orders.c.symbol, symbol), (orders.c.account, account)):
        if value is not None:
            query = query.where(column == value)
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(query)]
    return rows[::-1]


def find_order(engine: Engine, key: str) -> dict[str, Any] | None:
    """Return the order whose OrderID, or else current ClOrdID, is ``key`` (the newest such order)."""
    with engine.connect() as conn:
        for column in (orders.c.order_id, orders.c.cl_ord_id):
            row = conn.execute(select(orders).where(column == key).order_by(orders.c.seq.desc())).first()
            if row is not None:
                return dict(row._mapping)
    return None


def order_messages(engine: Engine, order: dict[str, Any]) -> list[dict[str, Any]]:
    """Every message in and out that concerns ``order``, oldest first, each as FIX text where there is one.

    Outbound rows carry the OrderID; received rows are found by the ClOrdIDs of the order's chain on the
    client session and by the ClOrdIDs we used for it at its venue (OrderID, OrderID.n). A report or request that
    a session sent is shown as it went out (``oms.store.sent``) instead of the JSON the book decided it from; one
    sent twice (again after a restart) shows twice.
    """
    order_id = order["order_id"]
    with engine.connect() as conn:
        out = [dict(r._mapping) for r in conn.execute(select(messages).where(messages.c.order_id == order_id))]
        client_ids = {r["cl_ord_id"] for r in out if r["session"] == order["session"]} | {order["cl_ord_id"]}
        venue_ids = {order_id} | {f"{order_id}.{n}" for n in range(1, int(order["requests_sent"]) + 1)}
        received = conn.execute(
            select(messages).where(
                RECEIVED,
                ((messages.c.session == order["session"]) & messages.c.cl_ord_id.in_(client_ids))
                | ((messages.c.session != order["session"]) & messages.c.cl_ord_id.in_(venue_ids)),
            )
        )
        rows = _as_sent([r for r in out if r["direction"] == "out"]) + [dict(r._mapping) for r in received]
    return sorted(rows, key=lambda r: (r["ts_ns"], r["id"]))


def _as_sent(out: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Outbound rows, each decision (JSON, no MsgSeqNum) replaced by the text it was sent as: a report's by its
    ``sent_from``, a venue request's by its ClOrdID and MsgType. A decision never sent (the internal venue's
    requests, the risk engine's own reports) stays; a text without a decision (a status request) shows alone."""
    decided = [r for r in out if r["seq"] is None]
    sent = [r for r in out if r["seq"] is not None]
    taken = {r["sent_from"] for r in sent} | {(r["cl_ord_id"], r["msg_type"]) for r in sent if r["sent_from"] is None}
    # Reports are 35=8, 9, r, j and requests 35=D, F, G, H: a report's decision is never taken by a request's text.
    return sent + [r for r in decided if r["id"] not in taken and (r["cl_ord_id"], r["msg_type"]) not in taken]


def venue_requests(engine: Engine, venue: str, order_ids: list[str]) -> list[dict[str, Any]]:
    """The audit rows of the orders (35=D) and replaces (35=G) sent to ``venue`` for these orders, oldest first."""
    rows: list[dict[str, Any]] = []
    columns = (messages.c.id, messages.c.order_id, messages.c.msg_type, messages.c.body)
    with engine.connect() as conn:
        for start in range(0, len(order_ids), 500):  # bounded IN lists
            query = select(
                *columns
            ).where(
                messages.c.direction == "out",
                messages.c.seq.is_(None),  # the JSON (the text as sent has its MsgSeqNum)
                messages.c.session == venue,
                messages.c.msg_type.in_(("D", "G")),
                messages.c.order_id.in_(order_ids[start : start + 500]),
            )
            rows.extend(dict(r._mapping) for r in conn.execute(query))
    return sorted(rows, key=lambda r: int(r["id"]))


def load_positions(engine: Engine) -> list[dict[str, Any]]:
    """Return every position row."""
    with engine.connect() as conn:
        return [
            dict(r._mapping) for r in conn.execute(select(positions).order_by(positions.c.account, positions.c.symbol))
        ]


def last_inbound_seq(engine: Engine, session: str, since_ns: int) -> int | None:
    """The highest MsgSeqNum received on ``session`` since ``since_ns`` whose processing is committed."""
    query = select(func.max(messages.c.seq)).where(
        RECEIVED, messages.c.session == session, messages.c.ts_ns >= since_ns
    )
    with engine.connect() as conn:
        value = conn.execute(query).scalar_one()
    return None if value is None else int(value)


def live_orders(engine: Engine, sessions: Collection[str]) -> list[tuple[str, str]]:
    """(session, ClOrdID) of every order of ``sessions`` that is not done (the ClOrdID a cancel names it by)."""
    done = [status.value for status in OrdStatus if status.is_terminal]
    query = select(orders.c.session, orders.c.cl_ord_id).where(
        orders.c.session.in_(list(sessions)), orders.c.status.not_in(done)
    )
    with engine.connect() as conn:
        return [(str(session), str(cl_ord_id)) for session, cl_ord_id in conn.execute(query)]


def begin_incarnation(engine: Engine) -> int:
    """Count one more start of the gateway on this book and return its number (committed before it returns).

    Part of every ExecID (oms.exec_ids): no two starts may share one, so the new number is durable before any
    report is built. One gateway writes a book; the row lock (PostgreSQL) or the write lock (SQLite) keeps two
    starts from reading the same number anyway.
    """
    with engine.begin() as conn:
        bumped = conn.execute(
            update(journal_state).where(journal_state.c.name == INCARNATION).values(value=journal_state.c.value + 1)
        )
        if bumped.rowcount == 0:
            conn.execute(journal_state.insert().values(name=INCARNATION, value=1))
        value = conn.execute(select(journal_state.c.value).where(journal_state.c.name == INCARNATION)).scalar_one()
    return int(value)


def order_from_row(row: dict[str, Any]) -> Order:
    """Rebuild an in-memory order from its row in the book."""
    command = SubmitOrder(
        session=SessionKey(row["session"]),
        cl_ord_id=ClOrdId(row["cl_ord_id"]),
        account=Account(row["account"]),
        symbol=Symbol(row["symbol"]),
        side=Side(row["side"]),
        ord_type=OrdType(row["ord_type"]),
        order_qty=row["order_qty"],
        price=row["price"],
        time_in_force=TimeInForce(row["time_in_force"]),
        ts_received_ns=row["created_ns"],
        decision_px=row.get("decision_px"),
    )
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
    order.requests_sent = int(row["requests_sent"])
    order.arrival_bid, order.arrival_ask = row.get("arrival_bid"), row.get("arrival_ask")
    order.route_reason = row.get("route_reason")
    order.restore_fill_value()
    return order


def last_prices(engine: Engine) -> dict[str, Any]:
    """The price of the latest execution in each symbol (the mark for unrealized P&L)."""
    latest = select(executions.c.symbol, func.max(executions.c.ts_ns).label("ts")).group_by(executions.c.symbol)
    sub = latest.subquery()
    query = select(executions.c.symbol, executions.c.last_px).join(
        sub, (executions.c.symbol == sub.c.symbol) & (executions.c.ts_ns == sub.c.ts)
    )
    with engine.connect() as conn:
        return {r.symbol: r.last_px for r in conn.execute(query)}


def undelivered_reports(engine: Engine, after_id: int) -> list[dict[str, Any]]:
    """Outbound report rows committed after ``after_id`` (reports a crash may have kept from their client)."""
    query = (
        select(messages)
        .where(
            messages.c.direction == "out",
            messages.c.seq.is_(None),  # the JSON a restart sends again (the text as sent has its MsgSeqNum)
            messages.c.id > after_id,
            messages.c.msg_type.in_(("8", "9", "r", "j")),
        )
        .order_by(messages.c.id)
    )
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def save_control(engine: Engine, row: dict[str, Any]) -> None:
    """Record a control change: in force (or lifted) in ``risk_controls``, and always in ``risk_audit``."""
    key = (
        (risk_controls.c.kind == row["kind"])
        & (risk_controls.c.scope == row["scope"])
        & (risk_controls.c.key == row["key"])
    )
    with engine.begin() as conn:
        conn.execute(risk_controls.delete().where(key))
        if row["value"] not in ("active", "off"):
            conn.execute(risk_controls.insert(), [row])
        conn.execute(risk_audit.insert(), [row])


def save_audit(engine: Engine, row: dict[str, Any]) -> None:
    """Record a change that is not a control (e.g. a limit) in ``risk_audit``."""
    with engine.begin() as conn:
        conn.execute(risk_audit.insert(), [row])


def load_controls(engine: Engine) -> list[dict[str, Any]]:
    """The controls in force."""
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(risk_controls))]


def load_risk_audit(engine: Engine, limit: int = 100) -> list[dict[str, Any]]:
    """The newest control and limit changes, newest last."""
    with engine.connect() as conn:
        rows = [
            dict(r._mapping) for r in conn.execute(select(risk_audit).order_by(risk_audit.c.id.desc()).limit(limit))
        ]
    return rows[::-1]


_OWED_KINDS: dict[str, type[QueryOrder] | type[CancelOrder] | type[ReplaceOrder]] = {
    "query": QueryOrder,
    "cancel": CancelOrder,
    "replace": ReplaceOrder,
}


def owed_answers(engine: Engine) -> list[AnswerAgain]:
    """The answers owed when the gateway stopped (``pending_lookups``), oldest first."""
    with engine.connect() as conn:
        rows = conn.execute(select(pending_lookups).order_by(pending_lookups.c.ts_ns, pending_lookups.c.key)).all()
    return [AnswerAgain(key=r.key, command=msgspec.json.decode(r.command, type=_OWED_KINDS[r.kind])) for r in rows]


def journal_value(engine: Engine, name: str) -> int:
    """The ``journal_state`` counter ``name`` (0 when never written), e.g. a consumer's applied stream sequence."""
    with engine.connect() as conn:
        value = conn.execute(select(journal_state.c.value).where(journal_state.c.name == name)).scalar()
    return int(value or 0)
