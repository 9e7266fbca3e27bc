"""A whole system on loopback: venue simulator, gateway and a scripted FIX client, on free ports."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from app.config import AdminConfig, DatabaseConfig, GatewayConfig, MetricsConfig, load_config
from app.fixclient import ScriptedClient, client_sessions
from app.gateway import Gateway
from app.venue import VenueServer
from domain.clock import Clock
from fixgw.session.settings import SessionsFile
from tests.conftest import ROOT

pytestmark = pytest.mark.integration


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class System:
    venue: VenueServer
    gateway: Gateway
    client: ScriptedClient
    gateway_sessions: SessionsFile
    client_port: int
    work: Path


def make_config(work: Path, database_url: str | None = None) -> GatewayConfig:
    config = load_config(ROOT / "fixgw.toml")
    url = database_url or f"sqlite:///{work / 'book.db'}"
    admin = AdminConfig(listen="127.0.0.1:0", token_file=str(work / "admin.token"))
    # Metrics on free ports (the shipped ones are fixed): every system test serves /metrics, as a deployment does.
    simulator = config.simulator.model_copy(update={"metrics_listen": "127.0.0.1:0"})
    return config.model_copy(
        update={
            "database": DatabaseConfig(url=url),
            "admin": admin,
            "metrics": MetricsConfig(listen="127.0.0.1:0"),
            "simulator": simulator,
        }
    )


def make_sessions(work: Path) -> tuple[SessionsFile, SessionsFile, int]:
    client_port, venue_port = free_port(), free_port()
    gateway = (
        SessionsFile.load(ROOT / "sessions.cfg")
        .relocated(work / "gateway")
        .with_port("acceptor", client_port)
        .with_port("initiator", venue_port)
    )
    venue = SessionsFile.load(ROOT / "venue.cfg").relocated(work / "venue").with_port("acceptor", venue_port)
    return gateway, venue, client_port


def start_system(
    work: Path,
    config: GatewayConfig,
    clock: Clock | None = None,
    adjust_sessions: Callable[[SessionsFile], SessionsFile] | None = None,
) -> System:
    """``clock``: the gateway's (e.g. a ``TestClock`` to hold time still for throttles); the system clock if None.
    ``adjust_sessions``: changes the gateway's sessions file (e.g. one setting of its acceptor) before it starts."""
    gateway_sessions, venue_sessions, client_port = make_sessions(work)
    if adjust_sessions is not None:
        gateway_sessions = adjust_sessions(gateway_sessions)
    venue = VenueServer(config.simulator, venue_sessions)
    gateway = Gateway(config, gateway_sessions, clock)
    client = ScriptedClient(client_sessions(gateway_sessions, "CLIENT1", work / "client"))
    venue.start()
    gateway.start()
    assert gateway.venues.app.wait_for_logon(timeout=10), "gateway did not log on to the venue"
    client.start()
    return System(venue, gateway, client, gateway_sessions, client_port, work)


def stop_system(system: System) -> None:
    """Stop the three at once (each waits for its engines' threads): seconds off every test."""
    stoppers = [threading.Thread(target=part.stop) for part in (system.client, system.gateway, system.venue)]
    for stopper in stoppers:
        stopper.start()
    for stopper in stoppers:
        stopper.join()


@pytest.fixture
def system(tmp_path: Path) -> Iterator[System]:
    running = start_system(tmp_path, make_config(tmp_path))
    yield running
    stop_system(running)
