"""``fixgw serve ROLE``: run one service of the services deployment (``[deployment] mode = "services"``)."""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import threading
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from app.config import REPO_ROOT, GatewayConfig, load_config
from app.runtime import configure_logging, settings_for, wait_for_signal
from fixgw.errors import ConfigError
from fixgw.session.settings import SessionsFile

if TYPE_CHECKING:
    from app.services.core import CoreService
    from app.services.edge import EdgeService
    from app.services.venue import VenueService

console = Console(width=None if sys.stdout.isatty() else 180)


class Role(StrEnum):
    """What ``fixgw serve`` runs."""

    EDGE = "edge"
    CORE = "core"
    VENUE = "venue"
    ALL = "all"


def serve(
    role: Annotated[
        Role,
        typer.Argument(
            help="edge: the client FIX sessions; core: OMS, risk, routing and the venue "
            "sessions (the book's single writer); venue: one venue's session ([deployment] venues); all: each of "
            "them, as child processes."
        ),
    ],
    config: Annotated[Path, typer.Option("--config", "-c", help="QuickFIX session file.")] = REPO_ROOT / "sessions.cfg",
    settings: Annotated[Path | None, typer.Option("--settings", "-s", help="fixgw settings (TOML).")] = None,
    spawn_nats: Annotated[
        bool,
        typer.Option(
            "--spawn-nats", help="all: start a nats-server of our own on [nats] url's port (store in var/nats)."
        ),
    ] = False,
    venue: Annotated[
        str | None, typer.Option("--venue", help="venue: which one of [deployment] venues (default: the only one).")
    ] = None,
    partition: Annotated[
        int, typer.Option("--partition", "-p", help="core: the partition it writes (0 .. [deployment] partitions - 1).")
    ] = 0,
    name: Annotated[
        str, typer.Option("--name", help="edge: its name (its report consumer's); one per edge process.")
    ] = "edge",
    metrics: Annotated[
        str | None,
        typer.Option("--metrics", help="venue: serve GET /metrics on HOST:PORT (its session, requests, publishes)."),
    ] = None,
) -> None:
    """Run one service of the services deployment over NATS JetStream and the shared book of record.

    Needs [deployment] mode = "services" and [nats] url in the settings. Start the core first (it declares the
    streams too, so either order works), then the edge; Ctrl-C stops it.
    """
    path = settings_for(config, settings)
    gateway_config = load_config(path)
    if gateway_config.deployment.mode != "services":
        raise ConfigError(f'{path}: fixgw serve needs deployment.mode = "services" (it is "monolith": use fixgw run)')
    configure_logging(logging.INFO)
    if role is Role.ALL:
        _serve_all(config, path, gateway_config, spawn_nats)
        return
    sessions = SessionsFile.load(config)
    service = _build(role, gateway_config, sessions, str(partition), name, venue, metrics)
    service.start()
    book = "" if role is Role.VENUE else f"; book {gateway_config.database_url()}"  # a venue service holds none
    console.print(f"{role} running ({config}); NATS {gateway_config.nats.url}{book}")
    try:
        wait_for_signal()
    finally:
        service.stop()


def _build(
    role: Role,
    config: GatewayConfig,
    sessions: SessionsFile,
    partition: str,
    name: str,
    venue: str | None,
    metrics: str | None,
) -> CoreService | EdgeService | VenueService:
    from app.services.core import CoreService
    from app.services.edge import EdgeService
    from app.services.venue import VenueService

    if role is Role.VENUE:
        return VenueService(config, sessions, venue, metrics)
    if role is Role.CORE:
        return CoreService(config, sessions, partition)
    return EdgeService(config, sessions, name=name)


def _serve_all(config: Path, settings: Path, gateway_config: GatewayConfig, spawn_nats: bool) -> None:
    """A core per partition, the edge and a venue service per [deployment] venues as child processes (and a
    nats-server of our own with --spawn-nats)."""
    from app.services.nats_server import NatsServer

    server = None
    if spawn_nats:
        port = int(gateway_config.nats.url.rsplit(":", 1)[-1])
        server = NatsServer(config.resolve().parent / "var" / "nats", port)
        server.start()
    children = []
    try:
        partitions = range(gateway_config.deployment.partitions)
        roles: list[tuple[Role, list[str]]] = [(Role.CORE, ["-p", str(p)]) for p in partitions]
        roles += [(Role.VENUE, ["--venue", name]) for name in gateway_config.deployment.venues]
        roles.append((Role.EDGE, []))
        for role, extra in roles:
            command = [
                sys.executable,
                "-c",
                "from app.cli import main; main()",
                "serve",
                role.value,
                "-c",
                str(config),
                "-s",
                str(settings),
                *extra,
            ]
            # A session of its own: a Ctrl-C reaches this process only, which stops the edge, then the core, then
            # the nats-server, in that order (the core relays what it commits while stopping).
            children.append(subprocess.Popen(command, cwd=REPO_ROOT, start_new_session=True))
        pids = ", ".join(
            f"{' '.join([role, *extra[1:]])} pid {child.pid}"
            for (role, extra), child in zip(roles, children, strict=True)
        )
        console.print(f"services running: {pids}; Ctrl-C to stop")
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        while not stop.wait(0.5):
            if any(child.poll() is not None for child in children):
                console.print("a service exited; stopping the others")
                break
    finally:
        for child in reversed(children):
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children:
            try:
                child.wait(30)
            except subprocess.TimeoutExpired:
                child.kill()
        if server is not None:
            server.stop()
