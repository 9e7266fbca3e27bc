"""Tables for people: the book of record as rich tables."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rich.table import Table

from domain.enums import OrdStatus, Side
from fixgw.codec.outbound import format_decimal


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
