"""Recovery snapshots for tests: what ``oms.store.recovery.recover`` would read back of rows a test journaled."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from domain.enums import Side
from domain.ids import Account, ClOrdId, ExecId, OrderId, SessionKey, Symbol, VenueId
from domain.order import Order
from oms.recovery import Fill, RecoverySnapshot
from oms.rows import decode_pending
from oms.store.repository import order_from_row


def snapshot(
    rows: Iterable[dict[str, Any]] = (),
    executions: Iterable[dict[str, Any]] = (),
    *,
    orders: Iterable[Order] = (),
    incarnation: int = 1,
    last_seq: int = 0,
    retired: Iterable[tuple[SessionKey, ClOrdId]] = (),
) -> RecoverySnapshot:
    """A snapshot of the orders whose last rows are ``rows`` (or ``orders`` as they are), and of ``executions``."""
    restored = list(orders)
    for row in rows:
        order = order_from_row(row)
        order.pending = decode_pending(row["pending"])
        restored.append(order)
    return RecoverySnapshot(
        incarnation=incarnation,
        orders=restored,
        executions=[fill(e) for e in executions],
        last_seq=last_seq,
        retired=list(retired),
        controls=[],
        resume={},
        undelivered=[],
        owed=[],
    )


def last_rows(entries: Iterable[dict[str, Any] | None]) -> list[dict[str, Any]]:
    """The last row journaled of each order, oldest order first (what committed)."""
    rows: dict[str, dict[str, Any]] = {}
    for row in entries:
        if row is not None:
            rows[row["order_id"]] = row
    return list(rows.values())


def fill(row: dict[str, Any]) -> Fill:
    """An execution row as the snapshot holds it."""
    return Fill(
        order_id=OrderId(row["order_id"]),
        venue=VenueId(row["venue"]),
        venue_exec_id=ExecId(row["venue_exec_id"]),
        account=Account(row["account"]),
        symbol=Symbol(row["symbol"]),
        side=Side(row["side"]),
        last_qty=row["last_qty"],
        last_px=row["last_px"],
        commission=row["commission"],
        ts_ns=row["ts_ns"],
    )
