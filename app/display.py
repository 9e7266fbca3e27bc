"""Tables for people: the book of record as rich tables, and the one way a time is shown to them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from rich.table import Table

from domain.enums import OrdStatus, Side
from fixgw.codec.outbound import format_decimal

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def utc_time(ns: int | None) -> str:
    """A time in ns since the epoch as people read it: UTC to the microsecond, ``2026-12-02 11:11:55.308763``
    ("" for None). Tables and text show this; ``--json`` keeps the integer."""
    if ns is None:
        return ""
    return (_EPOCH + timedelta(microseconds=ns // 1000)).strftime("%Y-%m-%d %H:%M:%S.%f")


def _num(value: Decimal | None) -> str:
    return "" if value is None else format_decimal(value)


def orders_table(rows: list[dict[str, Any]], title: str = "Orders (book of record)") -> Table:
    """Render order rows as a table."""
    table = Table(title=title)
    for name, justify in [
        ("OrderID", "left"),
        ("ClOrdID", "left"),
        ("Account", "left"),
        ("Symbol", "left"),
        ("Side", "left"),
        ("Qty", "right"),
        ("Price", "right"),
        ("Status", "left"),
        ("CumQty", "right"),
        ("Leaves", "right"),
        ("AvgPx", "right"),
        ("Venue", "left"),
        ("Text", "left"),
    ]:
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
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
