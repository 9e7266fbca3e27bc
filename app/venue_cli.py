"""CLI for venue behaviours: ``fixgw venues list | set NAME | swap A B`` (the gateway's internal venues) and
``fixgw venue-behaviour`` (a running ``fixgw venue``, through its own admin API)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from app.admin import AdminClient
from app.config import REPO_ROOT, load_config
from fixgw.errors import ConfigError

console = Console(width=None if sys.stdout.isatty() else 180)
venues_cli = typer.Typer(
    help="The running gateway's venues: list them with their behaviour; change an internal venue's behaviour.",
    no_args_is_help=True,
)
SettingsOption = Annotated[Path, typer.Option("--settings", "-s", help="fixgw settings (TOML).")]
JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
FeePerShare = Annotated[str | None, typer.Option(help="Money per share filled (Commission 12, CommType 13=1).")]
FeeBps = Annotated[str | None, typer.Option(help="Basis points of each fill's value (CommType 13=2).")]
LatencyMs = Annotated[int | None, typer.Option(help="Added delay before each request is handled, in ms.")]
RejectRatio = Annotated[float | None, typer.Option(help="Fraction of valid new orders rejected (0 to 1).")]
AdverseBps = Annotated[str | None, typer.Option(help="Fair value moves against members' fills by this many bps.")]
DEFAULT_SETTINGS = REPO_ROOT / "fixgw.toml"
COLUMNS = ("fee_per_share", "fee_bps", "latency_ms", "reject_ratio", "adverse_bps")


def _call(token: Path, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    status, answer = AdminClient(token).call(method, path, body)
    if status != 200:
        raise ConfigError(answer.get("error", f"the server answered HTTP {status}"))
    return answer


def _changes(**given: Any) -> dict[str, Any]:
    changes = {name: value for name, value in given.items() if value is not None}
    if not changes:
        raise ConfigError(
            f"nothing to change: give at least one of --{', --'.join(c.replace('_', '-') for c in COLUMNS)}"
        )
    return changes


def _table(title: str, rows: dict[str, dict[str, Any]]) -> Table:
    table = Table(title=title)
    for column in ("venue", "kind", *COLUMNS, "seed", "new_orders", "rejected", "fees", "adverse_moves", "delayed"):
        table.add_column(column)
    for name, row in rows.items():
        settings = row.get("behaviour") or {}
        cells = [str(settings.get(c, "")) for c in COLUMNS]
        counters = [str(row.get(c, "")) for c in ("seed", "new_orders", "rejected", "fees", "adverse_moves", "delayed")]
        table.add_row(name, row.get("kind", ""), *cells, *counters)
    return table


@venues_cli.command("list")
def list_venues(settings: SettingsOption = DEFAULT_SETTINGS, as_json: JsonOption = False) -> None:
    """Every venue: a FIX venue's session, an internal venue's behaviour and what it did so far."""
    rows = _call(load_config(settings).admin_token_path(), "GET", "/venues")["venues"]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    console.print(_table("Venues", rows))


@venues_cli.command("set")
def set_behaviour(
    name: Annotated[str, typer.Argument(metavar="NAME", help="An internal venue, as named in [venues.<NAME>].")],
    settings: SettingsOption = DEFAULT_SETTINGS,
    fee_per_share: FeePerShare = None,
    fee_bps: FeeBps = None,
    latency_ms: LatencyMs = None,
    reject_ratio: RejectRatio = None,
    adverse_bps: AdverseBps = None,
) -> None:
    """Change an internal venue's behaviour from its next request on (settings not given stay)."""
    changes = _changes(
        fee_per_share=fee_per_share,
        fee_bps=fee_bps,
        latency_ms=latency_ms,
        reject_ratio=reject_ratio,
        adverse_bps=adverse_bps,
    )
    answer = _call(load_config(settings).admin_token_path(), "POST", f"/venues/{name}/behaviour", changes)
    console.print(_table(f"venue {name}", {name: answer}))


@venues_cli.command("swap")
def swap(
    first: Annotated[str, typer.Argument(metavar="A", help="An internal venue.")],
    second: Annotated[str, typer.Argument(metavar="B", help="Another internal venue.")],
    settings: SettingsOption = DEFAULT_SETTINGS,
) -> None:
    """Exchange two internal venues' behaviours at once (each keeps its own random stream)."""
    answer = _call(load_config(settings).admin_token_path(), "POST", "/venues/swap", {"venues": [first, second]})
    console.print(_table("swapped", answer["venues"]))


def venue_behaviour(
    settings: SettingsOption = DEFAULT_SETTINGS,
    fee_per_share: FeePerShare = None,
    fee_bps: FeeBps = None,
    latency_ms: LatencyMs = None,
    reject_ratio: RejectRatio = None,
    adverse_bps: AdverseBps = None,
    as_json: JsonOption = False,
) -> None:
    """Show or change the behaviour of the running `fixgw venue` started with these settings ([simulator]
    admin_listen must be set): with no option, show it; with options, change those from its next request on."""
    token = load_config(settings).venue_admin_token_path()
    given = {
        "fee_per_share": fee_per_share,
        "fee_bps": fee_bps,
        "latency_ms": latency_ms,
        "reject_ratio": reject_ratio,
        "adverse_bps": adverse_bps,
    }
    if any(v is not None for v in given.values()):
        answer = _call(token, "POST", "/behaviour", _changes(**given))
    else:
        answer = _call(token, "GET", "/behaviour")
    if as_json:
        typer.echo(json.dumps(answer, indent=2))
        return
    console.print(_table(f"venue simulator ({settings})", {"simulator": {"kind": "fixgw venue"} | answer}))
