"""CLI over the running gateway's adaptive routing: fixgw routing scores [--json]."""

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
from app.display import titled_table
from fixgw.errors import ConfigError

console = Console(width=None if sys.stdout.isatty() else 180)
routing_cli = typer.Typer(
    help="The running gateway's adaptive routing (section routing.adaptive of fixgw.toml).", no_args_is_help=True
)
SettingsOption = Annotated[Path, typer.Option("--settings", "-s", help="fixgw settings (TOML).")]
DEFAULT_SETTINGS = REPO_ROOT / "fixgw.toml"
_NUMBERS = ("Cost bps", "n", "Fills", "Slippage", "Fee", "Markout", "Rejects")


@routing_cli.command()
def scores(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    settings: SettingsOption = DEFAULT_SETTINGS,
) -> None:
    """Each adaptive symbol's venues as the router sees them now: expected cost in bps (slippage + fee - markout +
    reject rate x penalty; lower wins), orders answered (n) and fills marked out in the window, and which venue
    holds the flow (*)."""
    status, answer = AdminClient(load_config(settings).admin_token_path()).call("GET", "/routing")
    if status != 200:
        raise ConfigError(answer.get("error", f"the gateway answered HTTP {status}"))
    if as_json:
        typer.echo(json.dumps(answer, indent=2))
        return
    if not answer["adaptive"]:
        console.print("Adaptive routing is off: no [routing.adaptive] symbols; orders follow the static rules.")
        return
    console.print(scores_table(answer))


def scores_table(answer: dict[str, Any]) -> Table:
    """The scores as a table: one row per symbol and venue."""
    policy = answer["policy"]
    title = (
        f"Venue scores (min_samples {policy['min_samples']}, window {policy['window']}, "
        f"horizon {policy['horizon_ms']} ms, hysteresis {policy['hysteresis_bps']} bps)"
    )
    table = titled_table(title, ["Symbol", "Venue", *_NUMBERS, "Trusted"], _NUMBERS)
    for symbol, state in answer["symbols"].items():
        for s in state["scores"]:
            held = "*" if s["venue"] == state["incumbent"] else ""
            table.add_row(
                symbol,
                f"{s['venue']}{held}",
                _text(s["cost_bps"]),
                str(s["n"]),
                str(s["fills"]),
                _text(s["slippage_bps"]),
                _text(s["fee_bps"]),
                _text(s["markout_bps"]),
                _text(s["reject_rate"]),
                "yes" if s["trusted"] else "no",
            )
    return table


def _text(value: str | None) -> str:
    return "" if value is None else value
