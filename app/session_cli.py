"""CLI over the running gateway's FIX sessions: fixgw sessions [--json]."""

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
from app.display import titled_table, utc_time
from fixgw.errors import ConfigError

console = Console(width=None if sys.stdout.isatty() else 180)
SettingsOption = Annotated[Path, typer.Option("--settings", "-s", help="fixgw settings (TOML).")]
DEFAULT_SETTINGS = REPO_ROOT / "fixgw.toml"


def sessions(
    as_json: Annotated[
        bool, typer.Option("--json", help="Machine-readable output (times as ns since the epoch).")
    ] = False,
    settings: SettingsOption = DEFAULT_SETTINGS,
) -> None:
    """Show every FIX session of the running gateway: logged on or not and since when (UTC), the next MsgSeqNum
    (34) it will send and expects to receive, messages in and out (admin ones too) and the last Heartbeat."""
    status, answer = AdminClient(load_config(settings).admin_token_path()).call("GET", "/sessions")
    if status != 200:
        raise ConfigError(answer.get("error", f"the gateway answered HTTP {status}"))
    if as_json:
        typer.echo(json.dumps(answer, indent=2))
        return
    console.print(sessions_table(answer["sessions"]))


def sessions_table(rows: list[dict[str, Any]]) -> Table:
    """The sessions as a table, times in UTC."""
    numbers = ["Next out", "Next in", "Msgs in", "Msgs out"]
    table = titled_table(
        "FIX sessions", ["Session", "Role", "State", "Since (UTC)", *numbers, "Last heartbeat (UTC)"], numbers
    )
    for r in rows:
        table.add_row(
            r["session"],
            r["role"],
            "[green]logged on[/green]" if r["logged_on"] else "[red]down[/red]",
            utc_time(r["since_ns"]),
            _count(r["next_sender_seq"]),
            _count(r["next_target_seq"]),
            _count(r["messages_in"]),
            _count(r["messages_out"]),
            utc_time(r["last_heartbeat_ns"]),
        )
    return table


def _count(value: int | None) -> str:
    return "" if value is None else str(value)
