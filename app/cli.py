"""The fixgw admin CLI."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from app.config import REPO_ROOT, load_config
from app.display import orders_table
from fixgw.errors import GatewayError
from fixgw.session.settings import SessionsFile

cli = typer.Typer(
    help="fixgw: a FIX order gateway with pre-trade risk, routing and a SQL book of record.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# Piped output (CI logs, files) gets a wide fixed width instead of 80 columns of wrapped cells.
console = Console(width=None if sys.stdout.isatty() else 180)
err = Console(stderr=True)

ConfigOption = Annotated[Path, typer.Option("--config", "-c", help="QuickFIX session file.")]
SettingsOption = Annotated[Path, typer.Option("--settings", "-s", help="fixgw settings (TOML).")]
DEFAULT_SETTINGS = REPO_ROOT / "fixgw.toml"


def _logging(level: int) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)


def _wait_for_signal() -> None:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()


@cli.command()
def run(
    config: ConfigOption = REPO_ROOT / "sessions.cfg",
    settings: SettingsOption = DEFAULT_SETTINGS,
) -> None:
    """Run the gateway: accept clients, check risk, route to venues, keep the book. Ctrl-C stops it."""
    from app.gateway import Gateway

    _logging(logging.INFO)
    gateway = Gateway(load_config(settings), SessionsFile.load(config))
    gateway.start()
    console.print(f"gateway running ({config}); book: {gateway.config.database_url()}; Ctrl-C to stop")
    try:
        _wait_for_signal()
    finally:
        gateway.stop()


@cli.command()
def venue(
    config: ConfigOption = REPO_ROOT / "venue.cfg",
    settings: SettingsOption = DEFAULT_SETTINGS,
) -> None:
    """Run the venue simulator: a FIX acceptor in front of a seeded matching engine. Ctrl-C stops it."""
    from app.venue import VenueServer

    _logging(logging.INFO)
    server = VenueServer(load_config(settings).simulator, SessionsFile.load(config))
    server.start()
    console.print(f"venue simulator running ({config}); Ctrl-C to stop")
    try:
        _wait_for_signal()
    finally:
        server.stop()


@cli.command()
def demo(
    work_dir: Annotated[Path, typer.Option(help="Where the demo keeps its book, stores and logs.")] = REPO_ROOT
    / "var"
    / "demo",
    client_port: Annotated[int | None, typer.Option(help="Client acceptor port (default: sessions.cfg's).")] = None,
    venue_port: Annotated[int | None, typer.Option(help="Venue port (default: venue.cfg's).")] = None,
) -> None:
    """Run venue simulator, gateway and a scripted client; send a few orders; print the book."""
    from app.demo import DemoFailed, run_demo

    _logging(logging.WARNING)
    try:
        run_demo(console, work_dir, client_port, venue_port)
    except DemoFailed as exc:
        err.print(f"[red]demo failed:[/red] {exc}")
        raise typer.Exit(1) from None
    console.print(f"[green]demo passed[/green]; book of record: {work_dir / 'fixgw.db'}")


@cli.command()
def orders(
    settings: SettingsOption = DEFAULT_SETTINGS,
    db: Annotated[str | None, typer.Option(help="Database URL (default: from the settings file).")] = None,
    limit: Annotated[int, typer.Option(min=1, help="How many of the newest orders.")] = 50,
) -> None:
    """Print the newest orders of the book of record."""
    from oms.store import repository
    from oms.store.database import open_database

    url = db or load_config(settings).database_url()
    engine = open_database(url)
    try:
        console.print(orders_table(repository.recent_orders(engine, limit)))
    finally:
        engine.dispose()


def main() -> None:
    """Entry point: run the CLI, turning our errors into one line and exit code 2."""
    try:
        cli()
    except GatewayError as exc:
        err.print(f"fixgw: error: {exc}")
        sys.exit(2)
