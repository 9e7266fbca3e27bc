"""The fixgw admin CLI."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from app import (
    bench_cli,
    book_cli,
    dashboard_cli,
    marketdata_cli,
    quarantine_cli,
    replay_cli,
    risk_cli,
    routing_cli,
    serve_cli,
    session_cli,
    strategy_cli,
    tca_cli,
    venue_cli,
)
from app.config import REPO_ROOT, load_config
from app.runtime import configure_logging, settings_for, tune_gc, wait_for_signal
from fixgw.errors import ConfigError, GatewayError
from fixgw.session.settings import SessionsFile

cli = typer.Typer(
    help="fixgw: a FIX order gateway with pre-trade risk, routing and a SQL book of record.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# Piped output (CI logs, files) gets a wide fixed width instead of 80 columns of wrapped cells.
console = Console(width=None if sys.stdout.isatty() else 180)
err = Console(stderr=True, soft_wrap=True)  # an error stays on one line

ConfigOption = Annotated[Path, typer.Option("--config", "-c", help="QuickFIX session file.")]
SettingsOption = Annotated[Path, typer.Option("--settings", "-s", help="fixgw settings (TOML).")]
RunSettingsOption = Annotated[
    Path | None,
    typer.Option(
        "--settings", "-s", help="fixgw settings (TOML); default: fixgw.toml beside --config, else the repository's."
    ),
]
DEFAULT_SETTINGS = REPO_ROOT / "fixgw.toml"


@cli.command()
def run(
    config: ConfigOption = REPO_ROOT / "sessions.cfg",
    settings: RunSettingsOption = None,
) -> None:
    """Run the gateway: accept clients, check risk, route to venues, keep the book. Ctrl-C stops it."""
    from app.gateway import Gateway

    path = settings_for(config, settings)
    gateway_config = load_config(path)
    if gateway_config.deployment.mode == "services":
        raise ConfigError(f'{path}: deployment.mode is "services": run fixgw serve core, edge and venue')
    configure_logging(logging.INFO)
    gateway = Gateway(gateway_config, SessionsFile.load(config))
    tune_gc()  # a process of its own: its heap as at start is frozen (app.runtime)
    gateway.start()
    console.print(f"gateway running ({config}); book: {gateway.config.database_url()}; Ctrl-C to stop")
    try:
        wait_for_signal()
    finally:
        gateway.stop()


@cli.command()
def venue(
    config: ConfigOption = REPO_ROOT / "venue.cfg",
    settings: SettingsOption = DEFAULT_SETTINGS,
    flow: Annotated[
        bool,
        typer.Option(
            "--flow",
            help="Run the simulator's own order flow (a drifting fair value and noise takers, \\[simulator.flow]) "
            "even where the settings leave it off.",
        ),
    ] = False,
) -> None:
    """Run the venue simulator: a FIX acceptor in front of a seeded matching engine. Ctrl-C stops it."""
    from app.venue import VenueServer

    configure_logging(logging.INFO)
    loaded = load_config(settings)
    simulator = loaded.simulator
    server = VenueServer(
        simulator.with_flow() if flow else simulator,
        SessionsFile.load(config),
        admin_token=loaded.venue_admin_token_path(),
    )
    tune_gc()
    server.start()
    flowing = f"; order flow on (seed {simulator.flow.seed})" if server.flow is not None else ""
    behaving = f"; behaviour {server.simulator.behaviour.settings.as_dict()}" if simulator.behaviour else ""
    console.print(f"venue simulator running ({config}){flowing}{behaving}; Ctrl-C to stop")
    try:
        wait_for_signal()
    finally:
        server.stop()


@cli.command()
def demo(
    work_dir: Annotated[Path, typer.Option(help="Where the demo keeps its book, stores and logs.")] = REPO_ROOT
    / "var"
    / "demo",
    client_port: Annotated[int | None, typer.Option(help="Client acceptor port (default: sessions.cfg's).")] = None,
    venue_port: Annotated[int | None, typer.Option(help="Venue port (default: venue.cfg's).")] = None,
    strategy: Annotated[
        bool,
        typer.Option(
            "--strategy",
            help="Instead: the simulator with its order flow, the gateway and the market maker MM1 for --seconds; "
            "print what it did.",
        ),
    ] = False,
    seconds: Annotated[float, typer.Option(min=1, help="How long the market maker runs (--strategy).")] = 20,
    services: Annotated[
        bool,
        typer.Option(
            "--services",
            help="Instead: the same orders through the services deployment (a nats-server of its own, the core, "
            "the edge and a venue service over JetStream); the same book.",
        ),
    ] = False,
) -> None:
    """Run venue simulator, gateway and a scripted client; send a few orders; print the book."""
    from app.demo import DemoFailed, run_demo
    from app.services.demo import run_services_demo
    from app.strategy_demo import run_strategy_demo

    configure_logging(logging.WARNING)
    try:
        if services:
            run_services_demo(console, work_dir, client_port, venue_port)
        elif strategy:
            run_strategy_demo(console, work_dir, seconds, client_port, venue_port)
        else:
            run_demo(console, work_dir, client_port, venue_port)
    except DemoFailed as exc:
        err.print(f"[red]demo failed:[/red] {exc}")
        raise typer.Exit(1) from None
    console.print(f"[green]demo passed[/green]; book of record: {work_dir / 'fixgw.db'}")


cli.command()(book_cli.orders)
cli.command()(book_cli.order)
cli.command()(book_cli.positions)
cli.command()(tca_cli.tca)
cli.command()(marketdata_cli.book)
cli.command()(session_cli.sessions)
cli.command()(book_cli.cancel)
cli.command()(quarantine_cli.quarantine)
cli.add_typer(book_cli.db_cli, name="db")
cli.add_typer(risk_cli.risk_cli, name="risk")
cli.command()(risk_cli.kill)
cli.add_typer(strategy_cli.strategy_cli, name="strategy")
cli.add_typer(routing_cli.routing_cli, name="routing")
cli.add_typer(venue_cli.venues_cli, name="venues")
cli.command("venue-behaviour")(venue_cli.venue_behaviour)
cli.command()(replay_cli.replay)
cli.command()(bench_cli.bench)
cli.command()(dashboard_cli.dashboard)
cli.command()(serve_cli.serve)


@cli.command("hash-password")
def hash_password_command(
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input (scripts), not a prompt.")
    ] = False,
) -> None:
    """Print a salted scrypt hash for a session's PasswordHash= (sessions.cfg); the password is never stored.

    A client session with PasswordHash= (and optionally Username=) must send Username (553) and Password (554)
    in its Logon; a wrong or missing one is disconnected before the session changes anything.
    """
    from fixgw.session.auth import hash_password

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    if not password:
        err.print("fixgw: error: the password must not be empty")
        raise typer.Exit(2)
    console.print(f"PasswordHash={hash_password(password)}", soft_wrap=True, highlight=False)


def main() -> None:
    """Entry point: run the CLI, turning our errors into one line and exit code 2."""
    try:
        cli()
    except GatewayError as exc:
        err.print(f"fixgw: error: {exc}")
        sys.exit(2)
