"""``fixgw demo --services``: the demo's six orders through the services deployment — a nats-server of its own,
the core, the edge and a venue service for each FIX venue (in this process, each with its own NATS connection,
talking only through JetStream), the venue simulator and the scripted client — then the same book of record the
monolith's demo prints.

The demo's second part (the client's market data, 35=V) is the monolith's only: the edge does not serve market
data yet (README, "Services deployment")."""

from __future__ import annotations

import time
from pathlib import Path

from rich.console import Console

from app.demo import STEPS, DemoFailed, _run_step, prepare
from app.display import orders_table
from app.fixclient import ScriptedClient, client_sessions
from app.services.core import CoreService
from app.services.edge import EdgeService
from app.services.nats_server import NatsServer
from app.services.settings import DeploymentConfig, NatsConfig
from app.services.venue import VenueService
from app.venue import VenueServer
from domain.ids import VenueId
from oms.store import repository


def run_services_demo(
    console: Console, work: Path, client_port: int | None = None, venue_port: int | None = None
) -> None:
    """Run the scripted flow over the services; raise DemoFailed when an order does not end as expected."""
    config, gateway_sessions, venue_sessions = prepare(work, client_port, venue_port)
    server = NatsServer(work / "nats")
    server.start()
    config = config.model_copy(
        update={
            "deployment": DeploymentConfig(
                mode="services", venues=tuple(name for name, v in config.venues.items() if v.session)
            ),
            "nats": NatsConfig(url=server.url),
        }
    )
    venue = VenueServer(config.simulator, venue_sessions)
    core: CoreService | None = None
    edge: EdgeService | None = None
    venues: list[VenueService] = []
    client = ScriptedClient(client_sessions(gateway_sessions, "CLIENT1", work / "client"))
    try:
        venue.start()
        core = CoreService(config, gateway_sessions)
        core.start()
        for name in config.deployment.venues:
            venues.append(VenueService(config, gateway_sessions, name))
            venues[-1].start()
        if not all(v.app.wait_for_logon(timeout=10) for v in venues):
            raise DemoFailed("a venue service could not log on to the venue simulator")
        if not _heard(core, config.deployment.venues, timeout=10):
            raise DemoFailed("the core did not hear from the venue service(s) (fixgw.vlive)")
        edge = EdgeService(config, gateway_sessions)
        edge.start()
        client.start()
        console.print(
            f"[bold]venue simulator, venue service(s), core, edge ({server.url}) and client are logged on[/bold]"
        )
        for step in STEPS:
            _run_step(console, client, step)
        core.gateway.journal.flush()
        console.print(orders_table(repository.load_orders(core.gateway.db)))
        console.print(f"services: {core.stats()}; edge: JetStream duplicates {edge.link.duplicates}")
    finally:
        client.stop()
        if edge is not None:
            edge.stop()
        for service in venues:
            service.stop()
        if core is not None:
            core.stop()
        venue.stop()
        server.stop()


def _heard(core: CoreService, names: tuple[str, ...], timeout: float) -> bool:
    """Whether the core takes orders for every venue service within ``timeout`` (their logon heartbeats came)."""
    deadline = time.monotonic() + timeout
    while not all(core.gateway.ems.venues[VenueId(name)].available() for name in names):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True
