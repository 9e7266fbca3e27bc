"""``fixgw quarantine``: what the book of record refused, kept aside so the gateway could go on (issue 12)."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from app.book_cli import DEFAULT_SETTINGS, DbOption, JsonOption, SettingsOption, _engine, _print_json, console
from app.display import utc_time
from domain.audit import audit_text
from fixgw.errors import ConfigError
from oms.store import quarantine as store


def quarantine(
    settings: SettingsOption = DEFAULT_SETTINGS,
    db: DbOption = None,
    show: Annotated[
        int | None, typer.Option("--show", help="One quarantined unit in full: its message, its changes.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="How many of the newest.")] = 50,
    as_json: JsonOption = False,
) -> None:
    """List the messages whose changes the book of record refused (set aside; the gateway went on)."""
    engine = _engine(settings, db)
    try:
        rows = store.load(engine, limit if show is None else 1_000_000)
    finally:
        engine.dispose()
    for row in rows:  # bytes as the audit trail writes a message: FIX text, | for SOH, \xHH for the rest
        raw = row.pop("raw")
        row["message"] = audit_text(raw.decode("utf-8", "surrogateescape")) if raw else None
    if show is not None:
        rows = [r for r in rows if r["id"] == show]
        if not rows:
            raise ConfigError(f"no quarantined unit Q{show}")
    if as_json:
        _print_json(rows)
    elif show is not None:
        _print_one(rows[0])
    else:
        console.print(_table(rows))


def _table(rows: list[dict[str, Any]]) -> Table:
    table = Table(title=f"quarantine: {len(rows)} unit(s) the book of record refused")
    for column in ("id", "time (UTC)", "session", "seq", "type", "ClOrdID", "orders", "error"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(
            f"Q{row['id']}",
            utc_time(row["ts_ns"]),
            row["session"] or "",
            str(row["seq"] or ""),
            row["msg_type"] or "",
            row["cl_ord_id"] or "",
            row["order_ids"],
            row["error"],
        )
    return table


def _print_one(row: dict[str, Any]) -> None:
    console.print(f"Q{row['id']} at {utc_time(row['ts_ns'])} UTC: {row['error']}", highlight=False)
    console.print(f"message ({row['session']} seq {row['seq']}): {row['message'] or '(none)'}", highlight=False)
    console.print(f"orders: {row['order_ids']}\nchanges not recorded:\n{row['detail']}", highlight=False)
