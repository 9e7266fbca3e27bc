"""Verify a book of record against the gateway's own FIX logs, order by order.

Theory of operation: the client sessions are the ones the book's orders name, and every session on which the
logs show the gateway receiving orders (``ReplayOrder.received``): a client session the book lacks, or an empty
book, must not pass for agreement. Each order row is matched to the replayed chain of its session with the same
OrderID (37), else one that carried its ClOrdID (11). Their terms and state must agree (account, symbol, side,
type, price, quantities, status, reject reason, text when the log shows one), and so must their executions, by
ExecID: the ExecutionReports the gateway sent the client are the executions it booked. When the venue sessions'
logs are given too, the venue leg is checked as well: the chain at the venue that carried the order's venue
ClOrdID must have the venue's OrderID and exactly the venue's ExecIDs the book recorded. A client order the logs
show and the book lacks is a difference, unless the gateway refused the message itself (35=3 or 35=j), which
never books an order.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Final

import msgspec

from replay.book import ReplayBook
from replay.orders import ReplayOrder
from replay.summary import ord_status_name

_DEFAULT_TIME_IN_FORCE: Final = "0"


class Difference(msgspec.Struct, frozen=True, kw_only=True):
    """One way the book and the logs disagree."""

    order: str
    """``OrderID ClOrdID`` as the book (or the log) names the order."""
    field: str
    book: str
    logs: str


class Verification(msgspec.Struct, kw_only=True):
    """The outcome of a verification."""

    orders_checked: int
    executions_checked: int
    sessions: list[str]
    differences: list[Difference]

    @property
    def agrees(self) -> bool:
        """True when the book and the logs tell the same story."""
        return not self.differences


def verify_book(
    order_rows: list[dict[str, Any]], execution_rows: list[dict[str, Any]], book: ReplayBook
) -> Verification:
    """Diff the book of record (its order and execution rows) against a book replayed from logs."""
    sessions = _client_sessions(order_rows, book)
    client = [order for order in book.orders if order.session in sessions]
    venue = [order for order in book.orders if order.session not in sessions]
    by_id = {(o.session, o.order_id): o for o in client if o.order_id}
    by_cl_ord_id = {(o.session, cl_ord_id): o for o in client for cl_ord_id in o.cl_ord_ids}
    venue_by_cl_ord_id = {cl_ord_id: o for o in venue for cl_ord_id in o.cl_ord_ids}
    executions: dict[str, list[dict[str, Any]]] = {}
    for row in execution_rows:
        executions.setdefault(str(row["order_id"]), []).append(row)
    differences = _undirected(sessions, book)
    matched: set[int] = set()
    for row in order_rows:
        session = str(row["session"])
        order = by_id.get((session, row["order_id"])) or by_cl_ord_id.get((session, row["cl_ord_id"]))
        label = f"{row['order_id']} {row['cl_ord_id']}"
        if order is None:
            differences.append(Difference(order=label, field="order", book=_status(row), logs="missing"))
            continue
        matched.add(order.seq)
        differences += _order_differences(label, row, order)
        rows = executions.get(str(row["order_id"]), [])
        differences += _execution_differences(label, rows, order)
        leg = venue_by_cl_ord_id.get(str(row.get("venue_cl_ord_id") or ""))
        if leg is not None:
            differences += _venue_differences(label, row, rows, leg)
    for order in client:
        if order.seq not in matched and not order.session_rejected:
            label = f"{order.order_id or '-'} {order.root}"
            differences.append(Difference(order=label, field="order", book="missing", logs=_status_of(order)))
    return Verification(
        orders_checked=len(order_rows),
        executions_checked=len(execution_rows),
        sessions=sessions,
        differences=differences,
    )


def _client_sessions(order_rows: list[dict[str, Any]], book: ReplayBook) -> list[str]:
    return sorted({str(row["session"]) for row in order_rows} | {o.session for o in book.orders if o.received})


def _undirected(sessions: list[str], book: ReplayBook) -> list[Difference]:
    # A log that does not say which way its orders went could hide a whole client session: never agree on it.
    unknown = sorted({o.session for o in book.orders if o.received is None} - set(sessions))
    why = "which side the gateway is on is unknown: give --own-compid"
    return [Difference(order="-", field=f"session {session}", book="-", logs=why) for session in unknown]


def _order_differences(label: str, row: dict[str, Any], order: ReplayOrder) -> list[Difference]:
    logged: dict[str, object] = {
        "order_id": order.order_id,
        "cl_ord_id": order.cl_ord_id,
        "account": order.account,
        "symbol": order.symbol,
        "side": order.side,
        "ord_type": order.ord_type,
        "time_in_force": order.time_in_force or _DEFAULT_TIME_IN_FORCE,
        "price": order.price,
        "order_qty": order.order_qty,
        "status": order.status,
        "cum_qty": order.cum_qty,
        "leaves_qty": order.leaves_qty,
        "avg_px": order.avg_px,
        "ord_rej_reason": order.ord_rej_reason,
    }
    if order.text is not None:  # the gateway sends Text (58) only on rejects and cancels
        logged["text"] = order.text
    differences = []
    for column, value in logged.items():
        if column not in row:
            continue  # a book without that column (older or newer schema) cannot disagree on it
        if not _same(row[column], value):
            differences.append(Difference(order=label, field=column, book=_text(row[column]), logs=_text(value)))
    return differences


def _execution_differences(label: str, rows: list[dict[str, Any]], order: ReplayOrder) -> list[Difference]:
    booked = {str(row["exec_id"]): row for row in rows}
    logged = {fill.exec_id: fill for fill in order.fills}
    differences = []
    for exec_id in booked.keys() - logged.keys():
        row = booked[exec_id]
        fill_text = f"{_text(row['last_qty'])} @ {_text(row['last_px'])}"
        differences.append(Difference(order=label, field=f"execution {exec_id}", book=fill_text, logs="missing"))
    for exec_id in logged.keys() - booked.keys():
        fill = logged[exec_id]
        fill_text = f"{_text(fill.last_qty)} @ {_text(fill.last_px)}"
        differences.append(Difference(order=label, field=f"execution {exec_id}", book="missing", logs=fill_text))
    for exec_id in booked.keys() & logged.keys():
        row, fill = booked[exec_id], logged[exec_id]
        for column, value in (("last_qty", fill.last_qty), ("last_px", fill.last_px)):
            if not _same(row[column], value):
                field = f"execution {exec_id} {column}"
                differences.append(Difference(order=label, field=field, book=_text(row[column]), logs=_text(value)))
    return sorted(differences, key=lambda d: d.field)


def _venue_differences(
    label: str, row: dict[str, Any], rows: list[dict[str, Any]], leg: ReplayOrder
) -> list[Difference]:
    differences = []
    if "venue_order_id" in row and not _same(row["venue_order_id"], leg.order_id):
        differences.append(
            Difference(order=label, field="venue_order_id", book=_text(row["venue_order_id"]), logs=_text(leg.order_id))
        )
    booked = sorted(str(r["venue_exec_id"]) for r in rows)
    logged = sorted(fill.exec_id for fill in leg.fills)
    if booked != logged:
        book_text, logs_text = ", ".join(booked) or "none", ", ".join(logged) or "none"
        differences.append(Difference(order=label, field="venue executions", book=book_text, logs=logs_text))
    return differences


def _same(booked: object, logged: object) -> bool:
    if booked is None or booked == "":
        return logged is None or logged == ""
    if isinstance(booked, Decimal) or isinstance(logged, Decimal):
        try:
            return Decimal(str(booked)) == Decimal(str(logged))
        except ArithmeticError:
            return False
    return str(booked) == str(logged)


def _text(value: object) -> str:
    if value is None or value == "":
        return "-"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral_value() else format(value, "f")
    return str(value)


def _status(row: dict[str, Any]) -> str:
    return ord_status_name(str(row.get("status", "")))


def _status_of(order: ReplayOrder) -> str:
    return ord_status_name(order.status)
