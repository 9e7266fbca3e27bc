"""Changes the book of record refuses: tell a failure that heals from one that never will, and set aside the
change that causes the second kind so that everything else commits (issue 12).

Theory of operation. A commit fails for one of two reasons. Either the database cannot take *any* write for a
while (unreachable, restarting, locked, full): then the journal retries the same batch, with backoff, and says it
is failing (``Journal.health``); nothing is lost, reports wait. Or the database refuses *this* batch (a value it
cannot hold, a constraint, text it cannot encode): retrying can never succeed, and before issue 12 the journal did
so forever while every session waited behind it. Then the batch is split in halves and each half committed on
its own (``Journal._isolate``), down to the one received message whose changes the database refuses: that unit
is written here, with the message's bytes, and the OMS is told (``Unrecorded``) so it can answer the sender.

``heals`` decides by the driver's exception class (PEP 249: ``OperationalError`` is the database's state, and on
PostgreSQL ``InterfaceError`` a lost connection). When a failure said to heal keeps coming back while the
database takes a small write (``Journal._probe``), it is the batch after all, and it is split.
"""

from __future__ import annotations

from typing import Any

import msgspec
from sqlalchemy import Engine, func, select

from domain.audit import audit_bytes
from domain.commands import Unrecorded
from domain.ids import ClOrdId, OrderId, SessionKey
from oms.store.schema import quarantine

Row = dict[str, Any]
_DETAIL_LIMIT = 100_000


def heals(exc: BaseException, dbapi: Any, sqlite: bool) -> bool:
    """Whether the same commit may succeed later (the database's state), rather than never (the data)."""
    if isinstance(exc, UnicodeError | ValueError | TypeError | msgspec.EncodeError):
        return False  # our own encoding of a row: the same row fails the same way every time
    healing: tuple[type[BaseException], ...] = (dbapi.OperationalError,)
    if not sqlite:  # psycopg: InterfaceError is a connection gone; sqlite3's is a parameter it cannot bind
        healing += (dbapi.InterfaceError, dbapi.InternalError)
    return isinstance(exc, healing)


def one_line(exc: BaseException) -> str:
    """The error as one line of printable ASCII, for a log, a Text (58) and the quarantine row."""
    first = (str(exc).strip().splitlines() or [""])[0]
    return ascii(f"{type(exc).__name__}: {first}")[1:-1][:500]


def quarantine_row(entries: list[Any], error: BaseException, ts_ns: int) -> Row:
    """The row that keeps one refused unit: the message that caused it, byte for byte, and its changes, escaped."""
    inbound = next((e.audit for e in entries if e.audit is not None and e.audit.get("direction") == "in"), None)
    order_ids = sorted(
        {str(e.order["order_id"]) for e in entries if e.order is not None}
        | {str(e.execution["order_id"]) for e in entries if e.execution is not None}
        | {str(o) for e in entries if e.report is not None and (o := getattr(e.report, "order_id", "NONE")) != "NONE"}
    )
    detail = "\n".join(ascii(_changes(e)) for e in entries)
    return {
        "ts_ns": ts_ns,
        "session": inbound["session"] if inbound else None,
        "seq": inbound["seq"] if inbound else None,
        "msg_type": inbound["msg_type"] if inbound else None,
        "cl_ord_id": inbound["cl_ord_id"] if inbound else None,
        "order_ids": msgspec.json.encode(order_ids).decode(),
        "error": one_line(error),
        "raw": audit_bytes(inbound["body"]) if inbound else None,
        "detail": detail[:_DETAIL_LIMIT],
    }


def _changes(entry: Any) -> dict[str, Any]:
    fields = ("order", "execution", "position", "audit", "report")
    return {name: getattr(entry, name) for name in fields if getattr(entry, name) is not None}


def save(engine: Engine, row: Row) -> int:
    """Insert ``row`` in a transaction of its own; return its id (the ``Q<id>`` operators see)."""
    with engine.begin() as conn:
        key = conn.execute(quarantine.insert().values(**row)).inserted_primary_key
    assert key is not None
    return int(key[0])


def unrecorded(row: Row, quarantine_id: int) -> Unrecorded:
    """What the OMS is told about a quarantined unit."""
    return Unrecorded(
        quarantine_id=quarantine_id,
        session=SessionKey(row["session"]) if row["session"] else None,
        msg_type=row["msg_type"],
        cl_ord_id=ClOrdId(row["cl_ord_id"]) if row["cl_ord_id"] else None,
        order_ids=tuple(OrderId(o) for o in msgspec.json.decode(row["order_ids"])),
        reason=row["error"],
    )


def load(engine: Engine, limit: int = 100) -> list[Row]:
    """The newest quarantined units, newest last (for ``fixgw quarantine``)."""
    with engine.connect() as conn:
        query = select(quarantine).order_by(quarantine.c.id.desc()).limit(limit)
        rows = [dict(r._mapping) for r in conn.execute(query)]
    return rows[::-1]


def count(engine: Engine) -> int:
    """How many units the book holds in quarantine."""
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(quarantine)).scalar_one())
