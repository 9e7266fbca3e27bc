"""Tables for people: the book of record as rich tables, and the one way a time is shown to them."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from rich.table import Table

from domain.enums import OrdStatus, Side
from domain.positions import unsigned_zero
from fixgw.codec.outbound import format_decimal

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def utc_time(ns: int | None) -> str:
    """A time in ns since the epoch as people read it: UTC to the microsecond, ``2026-12-02 11:11:55.308763``
    ("" for None). Tables and text show this; ``--json`` keeps the integer."""
    if ns is None:
        return ""
    return (_EPOCH + timedelta(microseconds=ns // 1000)).strftime("%Y-%m-%d %H:%M:%S.%f")


def _num(value: Decimal | None) -> str:
    return "" if value is None else format_decimal(unsigned_zero(value))


def titled_table(title: str, columns: Sequence[str], numbers: Collection[str] = ()) -> Table:
    """An empty table with these columns; those in ``numbers`` are right-aligned."""
    table = Table(title=title)
    for name in columns:
        table.add_column(name, justify="right" if name in numbers else "left")
    return table


def orders_table(rows: list[dict[str, Any]], title: str = "Orders (book of record)") -> Table:
    """Render order rows as a table."""
    columns = ["OrderID", "ClOrdID", "Account", "Symbol", "Side", "Qty", "Price", "Status", "CumQty", "Leaves"]
    table = titled_table(title, [*columns, "AvgPx", "Venue", "Text"], {"Qty", "Price", "CumQty", "Leaves", "AvgPx"})
    for r in rows:
        table.add_row(
            r["order_id"],
            r["cl_ord_id"],
            r["account"],
            r["symbol"],
            Side(r["side"]).name,
            _num(r["order_qty"]),
            _num(r["price"]) or "MKT",
            OrdStatus(r["status"]).name,
            _num(r["cum_qty"]),
            _num(r["leaves_qty"]),
            _num(r["avg_px"]),
            r["venue"] or "",
            r["text"] or "",
        )
    return table


def executions_table(rows: list[dict[str, Any]]) -> Table:
    """An order's executions (fills), oldest first, times in UTC."""
    numbers = ["LastQty", "LastPx", "Commission", "Bid", "Ask"]  # bid/ask: the consolidated quote when booked (TCA)
    table = titled_table("Executions", ["Time (UTC)", "ExecID", "Venue", "Venue ExecID", *numbers], numbers)
    for r in rows:
        table.add_row(
            utc_time(r["ts_ns"]),
            r["exec_id"],
            r["venue"],
            r["venue_exec_id"],
            _num(r["last_qty"]),
            _num(r["last_px"]),
            _num(r["commission"]),
            _num(r.get("bid")),
            _num(r.get("ask")),
        )
    return table


def messages_table(rows: list[dict[str, Any]]) -> Table:
    """An order's audit trail: every message received and sent, oldest first, times in UTC."""
    table = Table(title="Messages")
    for name in ("Time (UTC)", "Dir", "Session", "Type", "Seq", "ClOrdID", "Message"):
        table.add_column(name, overflow="fold" if name == "Message" else "ellipsis")
    for m in rows:
        table.add_row(
            utc_time(m["ts_ns"]),
            m["direction"],
            m["session"],
            m["msg_type"],
            str(m["seq"] or ""),
            m["cl_ord_id"] or "",
            m["body"],
        )
    return table
