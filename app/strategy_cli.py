"""CLI for the running gateway's strategies: fixgw strategy list | start NAME | stop NAME | show NAME."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console, Group
from rich.table import Table

from app.admin import AdminClient
from app.config import REPO_ROOT, load_config
from fixgw.errors import ConfigError

console = Console(width=None if sys.stdout.isatty() else 180)
strategy_cli = typer.Typer(
    help="The running gateway's strategies ([strategies.<NAME>] in fixgw.toml): list, start, stop, show.",
    no_args_is_help=True,
)
SettingsOption = Annotated[Path, typer.Option("--settings", "-s", help="fixgw settings (TOML).")]
NameArgument = Annotated[str, typer.Argument(metavar="NAME", help="The strategy, as named in [strategies.<NAME>].")]
JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
DEFAULT_SETTINGS = REPO_ROOT / "fixgw.toml"


def _call(settings: Path, method: str, path: str) -> dict[str, Any]:
    status, answer = AdminClient(load_config(settings).admin_token_path()).call(method, path)
    if status != 200:
        raise ConfigError(answer.get("error", f"the gateway answered HTTP {status}"))
    return answer


@strategy_cli.command("list")
def list_strategies(settings: SettingsOption = DEFAULT_SETTINGS, as_json: JsonOption = False) -> None:
    """Every configured strategy: running or not, its inventory and P&L."""
    rows = _call(settings, "GET", "/strategies")["strategies"]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table(title="Strategies")
    columns = ("name", "session", "runner", "state", "symbol", "account", "inventory", "pnl", "fills")
    for column in columns:
        table.add_column(column, justify="right" if column in ("inventory", "pnl", "fills") else "left")
    for row in rows:
        table.add_row(*(str(row.get(c, "")) if row.get(c) is not None else "" for c in columns))
    console.print(table)


@strategy_cli.command("start")
def start(name: NameArgument, settings: SettingsOption = DEFAULT_SETTINGS) -> None:
    """Start a strategy (what an earlier run of it left working is canceled first)."""
    console.print(_call(settings, "POST", f"/strategies/{name}/start")["result"])


@strategy_cli.command("stop")
def stop(name: NameArgument, settings: SettingsOption = DEFAULT_SETTINGS) -> None:
    """Stop a strategy and cancel its quotes."""
    answer = _call(settings, "POST", f"/strategies/{name}/stop")
    console.print(answer["result"])
    for quote in answer.get("working", []):
        console.print(f"[yellow]still working:[/yellow] {quote}")


@strategy_cli.command("show")
def show(name: NameArgument, settings: SettingsOption = DEFAULT_SETTINGS, as_json: JsonOption = False) -> None:
    """One strategy: state, quotes, inventory, P&L, refusals by kind, conflations, tick-to-trade."""
    answer = _call(settings, "GET", f"/strategies/{name}")
    if as_json:
        typer.echo(json.dumps(answer, indent=2))
        return
    console.print(render(answer))


def render(status: dict[str, Any]) -> Group:
    """A strategy's status as tables for people."""
    summary = Table(title=f"strategy {status['name']} ({status.get('session', '')})", show_header=False)
    summary.add_column("what")
    summary.add_column("value")
    for key in (
        "runner",
        "state",
        "symbol",
        "account",
        "bid",
        "ask",
        "mid",
        "inventory",
        "max_inventory",
        "avg_cost",
        "realized_pnl",
        "unrealized_pnl",
        "pnl",
        "fills",
        "bought",
        "sold",
        "sent",
        "denials",
        "last_denial",
        "stopped_sides",
        "idle",
        "conflated",
        "tops",
        "reports",
        "error",
    ):
        if key in status:
            value = status[key]
            summary.add_row(key, "" if value is None else json.dumps(value) if isinstance(value, dict) else str(value))
    parts: list[Any] = [summary]
    quotes = status.get("quotes") or {}
    if any(quotes.values()):
        table = Table(title="quotes")
        for column in ("side", "cl_ord_id", "price", "order_qty", "cum_qty", "status", "new_price"):
            table.add_column(column)
        for side, quote in quotes.items():
            quote = quote or {}
            table.add_row(
                side,
                *(
                    str(quote.get(c) or "")
                    for c in ("cl_ord_id", "price", "order_qty", "cum_qty", "status", "new_price")
                ),
            )
        parts.append(table)
    if ticks := status.get("tick_to_trade"):
        parts.append(tick_table(ticks))
    return Group(*parts)


def tick_table(ticks: dict[str, dict[str, float]], title: str = "tick-to-trade of strategy orders (µs)") -> Table:
    """Each hop's percentiles, then the whole."""
    table = Table(title=title)
    for column in ("hop", "count", "p50", "p90", "p99", "p99.9", "max"):
        table.add_column(column, justify="left" if column == "hop" else "right")
    for hop, figures in ticks.items():
        table.add_row(
            hop,
            f"{figures['count']:,.0f}",
            *(f"{figures.get(k, 0):,.1f}" for k in ("p50", "p90", "p99", "p99.9", "max")),
        )
    return table
