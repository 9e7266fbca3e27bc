"""`fixgw serve venue` as a real process between `fixgw serve core` and the venue simulator: orders reach the venue
and their fills the book; a venue whose session is down refuses; a venue service that is not running has the core
refuse at once; a venue service whose JetStream lost what it had published rewinds its inbound MsgSeqNum and the
venue resends it."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import nats
import pytest
from prometheus_client.metrics_core import Metric

from app.config import SimulatorConfig
from app.fixclient import ScriptedClient, client_sessions
from app.services.nats_server import NatsServer
from app.venue import VenueServer
from domain.enums import Side
from domain.ids import SessionKey
from oms.store import repository
from oms.store.database import connect
from tests.integration.conftest import make_config, make_sessions
from tests.integration.test_metrics import sample, scrape
from tests.integration.test_risk_controls import wait_until
from tests.services.conftest import ServiceProcess, services_settings
from transport.nats import NatsLink
from transport.venues import SILENT_AFTER_S, VENUE_IN, decode_live, fix_subject, live_subject

pytestmark = [pytest.mark.integration, pytest.mark.postgres]
TIMEOUT = 60.0
VENUE = "VENUE"


class System:
    """nats-server (the fixture's), core, venue service and edge processes, the simulator and a client."""

    def __init__(self, work: Path, nats_url: str, pg_url: str) -> None:
        gateway_sessions, venue_sessions, _ = make_sessions(work)
        (work / "sessions.cfg").write_text(gateway_sessions.dumps())
        services_settings(work, pg_url, nats_url, venues=(VENUE,))
        config = make_config(work)
        symbols = config.simulator.symbols
        self.service_session = str(config.venues[VENUE].session)
        """The venue service's side of the venue session."""
        self.venue = VenueServer(SimulatorConfig(depth=5, level_qty=Decimal(400), symbols=symbols), venue_sessions)
        self.client = ScriptedClient(client_sessions(gateway_sessions, "CLIENT1", work / "client"))
        self.core, self.edge = ServiceProcess(work, "core"), ServiceProcess(work, "edge")
        self.service = ServiceProcess(work, "venue", ("--metrics", "127.0.0.1:0"))
        self.pg_url = pg_url

    @property
    def venue_session(self) -> SessionKey:
        return next(s for s in self.venue.simulator.app.sessions if s.endswith(":VENUE->FIXGW"))

    def start(self) -> None:
        self.venue.start()
        self.core.start()
        self.service.start()
        self.edge.start()
        self.client.start(timeout=TIMEOUT)
        assert self.venue.simulator.app.wait_for_logon([self.venue_session], TIMEOUT), "no venue service logon"

    def stop(self) -> None:
        self.client.stop()
        self.edge.stop()
        self.service.stop()
        self.core.stop()
        self.venue.stop()

    def fill(self, cl_ord_id: str, qty: int) -> dict[int, str]:
        """A buy that fills at once; its last report."""
        self.client.send_order(cl_ord_id, "MSFT", Side.BUY, Decimal(qty), Decimal("100.05"))
        return self.client.wait_for(lambda m: m.get(11) == cl_ord_id and m.get(39) in ("2", "8"), TIMEOUT)

    def executions(self) -> list[tuple[str, str]]:
        engine = connect(self.pg_url, read_only=True)
        try:
            return sorted((e["venue"], e["venue_exec_id"]) for e in repository.load_executions(engine))
        finally:
            engine.dispose()


@pytest.fixture
def system(tmp_path: Path, nats_server: NatsServer, pg_url: str) -> Iterator[System]:
    running = System(tmp_path, nats_server.url, pg_url)
    try:
        running.start()
        yield running
    finally:
        running.stop()


async def _delete_last(url: str, stream: str, subject: str) -> int:
    """Delete the last message ``stream`` holds on ``subject`` (what a JetStream that lost acked writes has lost)."""
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        last = await js.get_last_msg(stream, subject)
        await js.delete_msg(stream, last.seq)
        return int(last.seq)
    finally:
        await nc.close()


def _wait_for_executions(system: System, count: int) -> list[tuple[str, str]]:
    assert wait_until(lambda: len(system.executions()) >= count, TIMEOUT)
    return system.executions()


def _venue_requests_sent(system: System) -> list[str]:
    """The 35=D texts the book's audit trail holds as the venue service sent them (``VenueSaid.sent``)."""
    engine = connect(system.pg_url, read_only=True)
    try:
        return [
            str(m["body"])
            for order in repository.load_orders(engine)
            for m in repository.order_messages(engine, order)
            if m["direction"] == "out" and m["seq"] is not None and "|35=D|" in str(m["body"])
        ]
    finally:
        engine.dispose()


@pytest.mark.timeout(180)
def test_venue_service_when_orders_fill_then_fills_booked_and_sent_text_audited(system: System) -> None:
    # Act
    reports = [system.fill(f"F{i}", 100) for i in range(3)]

    # Assert
    assert [r[39] for r in reports] == ["2", "2", "2"]
    executions = _wait_for_executions(system, 3)
    assert len(executions) == 3 and {v for v, _ in executions} == {VENUE}
    assert wait_until(lambda: len(_venue_requests_sent(system)) == 3, TIMEOUT), _venue_requests_sent(system)
    # the venue service's own endpoint (--metrics): its session, the three orders handed on, their reports published
    service = metrics_of(system.service)
    assert sample(service, "fixgw_session_logged_on", role="venue", session=system.service_session) == 1
    assert sample(service, "fixgw_venue_service_requests_total", venue=VENUE, outcome="sent") == 3
    assert sample(service, "fixgw_venue_service_requests_total", venue=VENUE, outcome="refused") == 0
    assert sample(service, "fixgw_venue_service_published_total", venue=VENUE, kind="fix") >= 6  # 150=0 and 150=F each
    assert sample(service, "fixgw_venue_service_sent_through", venue=VENUE) >= 3


@pytest.mark.timeout(180)
def test_venue_service_when_venue_session_down_then_order_refused_to_the_client(system: System) -> None:
    # Arrange
    assert system.fill("UP", 100)[39] == "2"
    system.venue.stop()  # the venue goes away; the venue service stays up, its session logged out

    # Act
    refused = system.fill("DOWN", 100)

    # Assert
    assert refused[39] == "8"
    assert "not connected" in refused.get(58, "")


class Heartbeats:
    """The venue service's heartbeats as any core hears them."""

    def __init__(self, url: str) -> None:
        self.last = 0.0
        self.logged_on = False
        self._link = NatsLink(url, "test-heartbeats")
        self._link.listen([live_subject(VENUE)], self._heard, inline=True)

    def _heard(self, subject: str, data: bytes) -> None:
        self.last, self.logged_on = time.monotonic(), decode_live(data).logged_on

    def silent_for(self) -> float:
        return time.monotonic() - self.last

    def close(self) -> None:
        self._link.close()


def metrics_of(process: ServiceProcess) -> dict[str, Metric]:
    """A scrape of the process's ``GET /metrics`` (the last URL its log names: a restart logs a new one)."""
    found = re.findall(r"metrics: (http://\S+/metrics)", process.log_path.read_text())
    assert found, f"{process.role} logs its metrics URL"
    return scrape(found[-1])


def venue_up(system: System) -> float:
    """The core's ``fixgw_venue_up`` of the venue."""
    return sample(metrics_of(system.core), "fixgw_venue_up", venue=VENUE)


@pytest.mark.timeout(240)
def test_venue_service_when_not_running_then_core_refuses_at_once_and_takes_orders_after_restart(
    system: System, nats_server: NatsServer
) -> None:
    # Arrange: the service killed, and silent for longer than a core waits for its heartbeat
    live = Heartbeats(nats_server.url)
    try:
        assert wait_until(lambda: live.logged_on, TIMEOUT)
        assert system.fill("UP", 100)[39] == "2"
        up_before = venue_up(system)
        system.service.kill()
        assert wait_until(lambda: live.silent_for() > SILENT_AFTER_S + 0.5, TIMEOUT)
        up_silent = venue_up(system)

        # Act
        refused = system.fill("GONE", 100)
        system.service.start()
        assert system.venue.simulator.app.wait_for_logon([system.venue_session], TIMEOUT)
        assert wait_until(lambda: venue_up(system) == 1, TIMEOUT)  # the core heard the service is back
        back = system.fill("BACK", 100)
        up_after = venue_up(system)
    finally:
        live.close()

    # Assert: refused with the reason rather than left waiting for the service; sent again once it is back
    assert refused[39] == "8" and refused[150] == "8"
    assert "venue service VENUE is not running (silent for" in refused.get(58, ""), refused
    assert back[39] == "2"
    assert (up_before, up_silent, up_after) == (1, 0, 1)  # the core's metrics say so too
    assert live.logged_on and live.silent_for() < SILENT_AFTER_S  # because the restarted service's heartbeats came


@pytest.mark.timeout(240)
def test_venue_service_when_jetstream_lost_its_last_report_then_rewinds_and_venue_resends(
    system: System, nats_server: NatsServer, tmp_path: Path
) -> None:
    # Arrange: fills published, the service killed, JetStream made to lose the last message it took from the venue
    assert system.fill("R1", 100)[39] == "2"
    booked = _wait_for_executions(system, 1)
    system.service.kill()
    assert system.venue.simulator.app.wait_for_logout(system.venue_session, TIMEOUT)
    asyncio.run(_delete_last(nats_server.url, VENUE_IN.name, fix_subject(VENUE)))

    # Act
    system.service.start()
    assert system.venue.simulator.app.wait_for_logon([system.venue_session], TIMEOUT)
    assert wait_until(lambda: venue_up(system) == 1, TIMEOUT)  # the core heard the service is back (VenueWatch)
    after = system.fill("R2", 100)

    # Assert: the service resumed before the lost message, and nothing was booked twice (the venue's resend is
    # dropped by JetStream here: a deleted message's Nats-Msg-Id stays in the duplicate window; a server that lost
    # the write lost that too, and the core's ExecID check drops it instead)
    log = (tmp_path / "venue.out").read_text()
    assert "resuming at MsgSeqNum" in log, log[-2000:]
    assert after[39] == "2"
    executions = _wait_for_executions(system, len(booked) + 1)
    assert len(executions) == len(booked) + 1
