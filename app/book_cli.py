"""CLI commands that read the book of record: orders, order, positions, db."""

from __future__ import annotations

import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from app.config import REPO_ROOT, load_config
from app.display import executions_table, messages_table, orders_table, utc_time
from app.marketdata_admin import live_marks, mark_for
from domain.enums import OrdStatus
from domain.positions import unsigned_zero
from fixgw.codec.outbound import format_decimal
from fixgw.errors import ConfigError
from oms.store import repository
from oms.store.database import BookDb, connect, current_revision, head_revision, upgrade

console = Console(width=None if sys.stdout.isatty() else 180)
SettingsOption = Annotated[Path, typer.Option("--settings", "-s", help="fixgw settings (TOML).")]
DbOption = Annotated[str | None, typer.Option("--db", help="Database URL (default: from the settings file).")]
JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
DEFAULT_SETTINGS = REPO_ROOT / "fixgw.toml"

db_cli = typer.Typer(help="Manage the book's database schema (Alembic migrations).", no_args_is_help=True)


def _engine(settings: Path, db: str | None, *, migrated: bool = True) -> BookDb:
    engine = connect(db or load_config(settings).database_url())
    if migrated:
        at, head = current_revision(engine), head_revision()
        if at != head:
            engine.dispose()
            raise ConfigError(
                f"the database schema is at {at or 'nothing'}, this fixgw needs {head}: run `fixgw db upgrade`"
            )
    return engine


def _print_json(data: Any) -> None:
    typer.echo(
        json.dumps(data, default=lambda v: str(unsigned_zero(v)) if isinstance(v, Decimal) else repr(v), indent=2)
    )


def orders(
    settings: SettingsOption = DEFAULT_SETTINGS,
    db: DbOption = None,
    status: Annotated[str | None, typer.Option(help="OrdStatus name or code, e.g. FILLED or 2.")] = None,
    symbol: Annotated[str | None, typer.Option(help="Only this symbol.")] = None,
    account: Annotated[str | None, typer.Option(help="Only this account.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="How many of the newest orders.")] = 50,
    as_json: JsonOption = False,
) -> None:
    """List the newest orders of the book of record."""
    code = _status_code(status) if status else None
    engine = _engine(settings, db)
    try:
        rows = repository.recent_orders(engine, limit, status=code, symbol=symbol, account=account)
    finally:
        engine.dispose()
    if as_json:
        _print_json(rows)
    else:
        console.print(orders_table(rows))


def _status_code(text: str) -> str:
    try:
        return OrdStatus[text.upper()].value
    except KeyError:
        try:
            return OrdStatus(text).value
        except ValueError:
            names = ", ".join(s.name for s in OrdStatus)
            raise ConfigError(f"unknown status {text!r}; one of: {names}") from None


def order(
    key: Annotated[str, typer.Argument(help="OrderID (e.g. O12) or the client's ClOrdID.")],
    settings: SettingsOption = DEFAULT_SETTINGS,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show one order's whole life: its state, executions and every message in and out."""
    engine = _engine(settings, db)
    try:
        row = repository.find_order(engine, key)
        if row is None:
            raise ConfigError(f"no order with OrderID or ClOrdID {key!r}")
        fills = repository.load_executions(engine, row["order_id"])
        messages = repository.order_messages(engine, row)
    finally:
        engine.dispose()
    if as_json:
        _print_json({"order": row, "executions": fills, "messages": messages})
        return
    console.print(orders_table([row], title=f"Order {row['order_id']}"))
    console.print(f"Booked {utc_time(row['created_ns'])} UTC, last changed {utc_time(row['updated_ns'])} UTC")
    console.print(f"Routed: {row.get('route_reason') or 'not routed'}", markup=False, highlight=False)
    bid, ask = row["arrival_bid"], row["arrival_ask"]
    arrival = f"bid {_exact(bid)}, ask {_exact(ask)}" if (bid, ask) != (None, None) else "no market data"
    console.print(f"Arrival (consolidated book when booked): {arrival}")
    if row.get("decision_px") is not None:
        console.print(f"Decision price (DecisionPx 5900, the sender's): {_exact(row['decision_px'])}")
    if fills:
        console.print(executions_table(fills))
    console.print(messages_table(messages))


def positions(settings: SettingsOption = DEFAULT_SETTINGS, db: DbOption = None, as_json: JsonOption = False) -> None:
    """Show positions and P&L per account and symbol (average cost; unrealized at the mark).

    The mark is the live mid from the running gateway's market data, else the last trade there, else (no gateway
    running, or no price there) the last fill in the book; the Mark column says which.
    """
    engine = _engine(settings, db)
    try:
        rows = repository.load_positions(engine)
        fills = repository.last_prices(engine)
    finally:
        engine.dispose()
    live = live_marks(settings) if rows else {}
    for r in rows:
        r["mark"], r["mark_source"] = mark_for(r["symbol"], live, fills.get(r["symbol"], r["mark"]))
        r["unrealized_pnl"] = (
            unsigned_zero(r["qty"] * (r["mark"] - r["avg_cost"])) if r["mark"] is not None and r["qty"] else 0
        )
    if as_json:
        _print_json(rows)
        return
    table = Table(title="Positions")
    for name in ("Account", "Symbol", "Qty", "AvgCost", "Mark", "Realized", "Unrealized", "Bought", "Sold"):
        table.add_column(name, justify="left" if name in ("Account", "Symbol") else "right")
    for r in rows:
        mark = f"{r['mark_source']} {_fmt(r['mark'])}" if r["mark_source"] else ""
        table.add_row(
            r["account"],
            r["symbol"],
            _fmt(r["qty"]),
            _fmt(r["avg_cost"]),
            mark,
            *(_fmt(r[k]) for k in ("realized_pnl", "unrealized_pnl", "bought_qty", "sold_qty")),
        )
    console.print(table)


def _exact(value: Decimal | None) -> str:
    return "-" if value is None else format_decimal(value)


def _fmt(value: Any) -> str:
    if value is None:
        return ""
    shown = unsigned_zero(round(Decimal(value), 4))  # not "-0" for a loss too small to show
    return "0" if shown == 0 else f"{shown:,f}".rstrip("0").rstrip(".")


@db_cli.command("upgrade")
def db_upgrade(settings: SettingsOption = DEFAULT_SETTINGS, db: DbOption = None) -> None:
    """Apply every migration the database does not have yet."""
    engine = _engine(settings, db, migrated=False)
    try:
        before = current_revision(engine)
        upgrade(engine)
        console.print(f"database at {head_revision()} (was {before or 'empty'})")
    finally:
        engine.dispose()


@db_cli.command("current")
def db_current(settings: SettingsOption = DEFAULT_SETTINGS, db: DbOption = None) -> None:
    """Show the migration the database is at and the newest one this fixgw has."""
    engine = _engine(settings, db, migrated=False)
    try:
        console.print(f"database at {current_revision(engine) or 'empty'}; newest migration {head_revision()}")
    finally:
        engine.dispose()


def cancel(
    order_id: Annotated[str, typer.Argument(help="OrderID, e.g. O12 (see fixgw orders).")],
    settings: SettingsOption = DEFAULT_SETTINGS,
) -> None:
    """Cancel a working order through the running gateway (the client gets an unsolicited cancel)."""
    from app.admin import AdminClient

    status, answer = AdminClient(load_config(settings).admin_token_path()).call("POST", f"/orders/{order_id}/cancel")
    if status != 202:
        raise ConfigError(answer.get("error", f"the gateway answered HTTP {status}"))
    console.print(f"{order_id}: {answer['result']}")
