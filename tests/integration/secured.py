"""A whole system whose client session has credentials and/or TLS: built like conftest.start_system."""

from __future__ import annotations

from pathlib import Path

from app.config import GatewayConfig
from app.fixclient import ScriptedClient, client_sessions
from app.gateway import Gateway
from app.venue import VenueServer
from fixgw.session.settings import SessionsFile
from tests.integration.conftest import System, make_sessions


def client_session(sessions: SessionsFile, comp_id: str = "CLIENT1") -> dict[str, str]:
    """The [SESSION] section (a mutable dict) of the acceptor session for ``comp_id``."""
    return next(own for own in sessions.sessions if own.get("TargetCompID") == comp_id)


def start_secured_system(
    work: Path,
    config: GatewayConfig,
    client_settings: dict[str, str],
    *,
    start_client: bool = True,
    client_logon: list[tuple[int, str]] | None = None,
) -> System:
    """Start venue and gateway with ``client_settings`` added to CLIENT1's session; maybe the quickfix client too."""
    gateway_sessions, venue_sessions, client_port = make_sessions(work)
    client_session(gateway_sessions).update(client_settings)
    venue = VenueServer(config.simulator, venue_sessions)
    gateway = Gateway(config, gateway_sessions)
    client = new_client(gateway_sessions, work, client_logon)
    venue.start()
    gateway.start()
    assert gateway.venues.app.wait_for_logon(timeout=10), "gateway did not log on to the venue"
    if start_client:
        client.start()
    return System(venue, gateway, client, gateway_sessions, client_port, work)


def new_client(gateway_sessions: SessionsFile, work: Path, logon: list[tuple[int, str]] | None) -> ScriptedClient:
    """A quickfix client for CLIENT1 (plain TCP) that keeps its store in ``work/client``: a reconnect continues."""
    plain = SessionsFile(gateway_sessions.defaults, [client_session(gateway_sessions)], gateway_sessions.base_dir)
    client = ScriptedClient(client_sessions(plain, "CLIENT1", work / "client"))
    if logon:
        client.app.logon_fields[client.session] = logon
    return client


def stop_secured_system(system: System) -> None:
    """Stop whatever runs."""
    system.client.stop()
    system.gateway.stop()
    system.venue.stop()


def files_under(directory: Path) -> dict[str, bytes]:
    """Every file below ``directory`` by relative path, with its bytes."""
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}
