"""CLI over the running gateway's live books: fixgw book SYMBOL [--venue V] [--depth N] [--watch] [--json]."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from app.admin import AdminClient
from app.config import REPO_ROOT, load_config
from fixgw.errors import ConfigError

console = Console(width=None if sys.stdout.isatty() else 180)
SettingsOption = Annotated[Path, typer.Option("--settings", "-s", help="fixgw settings (TOML).")]
DEFAULT_SETTINGS = REPO_ROOT / "fixgw.toml"
WATCH_INTERVAL_S = 0.5


def book(
    symbol: Annotated[str, typer.Argument(help="The instrument, e.g. MSFT.")],
    venue: Annotated[str | None, typer.Option(help="One venue's book (default: consolidated across venues).")] = None,
    depth: Annotated[int, typer.Option(min=0, help="Levels a side (0: all).")] = 5,
    watch: Annotated[bool, typer.Option("--watch", help="Refresh in place until Ctrl-C.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    settings: SettingsOption = DEFAULT_SETTINGS,
) -> None:
    """Show the live book of SYMBOL from the running gateway."""
    client = AdminClient(load_config(settings).admin_token_path())
    body: dict[str, Any] = {"depth": depth} | ({"venue": venue} if venue else {})

    def fetch() -> dict[str, Any]:
        status, answer = client.call("GET", f"/book/{symbol}", body)
        if status != 200:
            raise ConfigError(answer.get("error", f"the gateway answered HTTP {status}"))
        return answer

    if as_json:
        typer.echo(json.dumps(fetch(), indent=2))
        return
    if not watch:
        console.print(render(fetch()))
        return
    with Live(render(fetch()), console=console, auto_refresh=False) as live:
        try:
            while True:
                time.sleep(WATCH_INTERVAL_S)  # a display's refresh period, not a wait for a condition
                live.update(render(fetch()), refresh=True)
        except KeyboardInterrupt:
            pass


def render(answer: dict[str, Any]) -> Group:
    """The book as a table: bids on the left, offers on the right, best first; then its state."""
    table = Table(title=f"{answer['symbol']} ({answer['venue']})")
    for name, justify in (("bid size", "right"), ("bid", "right"), ("ask", "left"), ("ask size", "right")):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    bids, asks = answer["bids"], answer["asks"]
    for i in range(max(len(bids), len(asks))):
        bid = bids[i] if i < len(bids) else {"price": "", "size": ""}
        ask = asks[i] if i < len(asks) else {"price": "", "size": ""}
        table.add_row(bid["size"], Text(bid["price"], "green"), Text(ask["price"], "red"), ask["size"])
    mid = answer["mid"] or f"none ({answer['mid_unavailable']})"
    states = ", ".join(
        f"{v}: {'stale' if s.get('stale') else 'crossed' if s.get('crossed') else 'live' if s['live'] else 'down'}"
        for v, s in answer["venues"].items()
    )
    return Group(table, Text(f"mid {mid}   last trade {answer['last_trade'] or 'none'}   venues {states or 'none'}"))
