"""Chaos over real processes: during a busy flow, SIGKILL the core 10 times, the edge 3 times, the venue service 2
times and the nats-server once, restarting each (the venue simulator, the venue service's counterparty, stays up);
then the book of record, the venue and the client must agree as after the monolith's crash test
(tests/integration/test_crash_recovery.py, whose flow, kill moments and checks this reuses).

What is checked at the end:
- every order the client sent is booked once; per order, the fills the client was told (each ExecID once) are the
  book's executions, and their sum is the book's CumQty and the venue's; positions are the fold of the fills; no
  ExecID is on two different reports (`assert_*` of the crash test);
- every consumer (the core's commands and venue messages, the edge's reports, the venue service's requests) has
  nothing pending within 10 s;
- the duplicates JetStream dropped (a publish it already had), the core dropped (a command or venue message it had
  applied), the edge dropped (a report it had delivered) and the venue service dropped (a request it had sent) are
  counted from the services' logs, shown, and their sum is above 0: the dedup paths ran.
"""

from __future__ import annotations

import time
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine

from app.services.nats_server import NatsServer
from domain.enums import Side
from domain.positions import PositionBook
from oms.store import repository
from oms.store.database import connect
from tests.integration.test_crash_recovery import (
    TIMEOUT,
    TRAFFIC_KILLS,
    Run,
    assert_booked_once,
    assert_fills_add_up,
    assert_no_exec_id_reused,
    wait_until_settled,
)
from tests.services.conftest import ServiceProcess, duplicates_dropped, services_settings
from transport.nats import ConsumerSpec, NatsLink
from transport.subjects import CMD, EDGE_CONSUMER, REPORTS, command_subject, core_consumer
from transport.venues import VENUE_IN, VENUE_IN_ALL, VENUE_OUT, core_venues_consumer, out_subject, venue_consumer

pytestmark = [pytest.mark.integration, pytest.mark.postgres]

KILLS = ("core",) * 10 + ("edge",) * 3 + ("venue",) * 2 + ("nats",)
VENUE = "VENUE"
"""The shipped fixgw.toml's FIX venue: its session is held by `fixgw serve venue`."""
SEEDS = (20261203,)
SCALE = Decimal("1E-12")


class ServicesRun(Run):
    """The crash test's run with the gateway split: the kills choose a service instead of the one process."""

    def __init__(self, tmp_path: Path, seed: int, nats: NatsServer, url: str) -> None:
        super().__init__(tmp_path, seed)
        self.url = url
        services_settings(tmp_path, url, nats.url, venues=(VENUE,))
        self.nats = nats
        self.core = ServiceProcess(tmp_path, "core")
        self.edge = ServiceProcess(tmp_path, "edge")
        self.venue_service = ServiceProcess(tmp_path, "venue")
        self.target = "core"

    def kill(self, how: str) -> None:
        kills = {"core": self.core.kill, "edge": self.edge.kill, "venue": self.venue_service.kill}
        kills.get(self.target, self.nats.kill)()
        self.flow.killed(f"{self.target}: {how}")

    def restart(self) -> None:
        if self.target == "core":  # the client stays logged on to the edge, the venue to the venue service
            self.core.start()
        elif self.target == "venue":  # the venue sees its session go; the order flow queues in JetStream
            assert self.venue.simulator.app.wait_for_logout(self.venue_session, TIMEOUT), "venue did not see it go"
            self.venue_service.start()
            assert self.venue.simulator.app.wait_for_logon([self.venue_session], TIMEOUT), "no venue logon"
        elif self.target == "edge":
            assert self.client.app.wait_for_logout(self.client.session, TIMEOUT), "client did not see the edge go"
            self.edge.start()
            assert self.client.app.wait_for_logon([self.client.session], TIMEOUT), self.flow.context() + ": no logon"
        else:
            self.nats.start()

    def run(self) -> dict[str, Decimal]:
        rng, flow = self.rng, self.flow
        targets = list(KILLS)
        rng.shuffle(targets)
        traffic = [TRAFFIC_KILLS[i % len(TRAFFIC_KILLS)] for i in range(len(targets))]
        rng.shuffle(traffic)
        self.venue.start()
        self.core.start()
        self.venue_service.start()
        self.edge.start()
        self.client.start(timeout=TIMEOUT)
        flow.send_many(8)
        for style, target in zip(traffic, targets, strict=True):
            self.target = target
            getattr(self, style)()
            flow.send_many(rng.randint(0, 6))  # while it is down: queued by the client, the edge or JetStream
            self.restart()
            flow.drain()
            assert_no_exec_id_reused(flow)
        return wait_until_settled(self)

    def stop(self) -> None:
        self.client.stop()
        self.edge.stop()
        self.venue_service.stop()
        self.core.stop()
        self.venue.stop()


def assert_positions_fold_fills(engine: Engine) -> None:
    """Positions are the fold of the booked fills, to the book's scale: NUMERIC(38, 12) on PostgreSQL keeps 12
    places of what the OMS folds in Decimal (a fold of rounded values differs beyond them, e.g. by 3e-23)."""
    book = PositionBook()
    for fill in repository.load_executions(engine):
        book.apply_fill(fill["account"], fill["symbol"], Side(fill["side"]), fill["last_qty"], fill["last_px"])
    stored = {(p["account"], p["symbol"]): p for p in repository.load_positions(engine)}
    for key, position in book.positions.items():
        assert stored[key]["qty"] == position.qty, key
        assert stored[key]["realized_pnl"] == position.realized_pnl.quantize(SCALE), key


def wait_for_no_lag(url: str, within: float = 10.0) -> dict[str, int]:
    """Each consumer's pending messages once both are 0, or as last seen after ``within`` seconds."""
    link = NatsLink(url, "test-lag")
    consumers = {
        "core": ConsumerSpec(stream=CMD.name, subject=command_subject(), durable=core_consumer()),
        "edge": ConsumerSpec(stream=REPORTS.name, subject="fixgw.report.>", durable=EDGE_CONSUMER),
        "core-venues": ConsumerSpec(stream=VENUE_IN.name, subject=VENUE_IN_ALL, durable=core_venues_consumer("0")),
        "venue": ConsumerSpec(stream=VENUE_OUT.name, subject=out_subject(VENUE), durable=venue_consumer(VENUE)),
    }
    try:
        deadline = time.monotonic() + within
        while True:
            lag = {name: link.pending(spec) for name, spec in consumers.items()}
            if not any(lag.values()) or time.monotonic() > deadline:
                return lag
            time.sleep(0.1)
    finally:
        link.close()


@pytest.mark.timeout(600)
@pytest.mark.parametrize("seed", SEEDS)
def test_services_chaos_when_core_edge_venue_and_nats_killed_then_book_matches_and_duplicates_dropped(
    tmp_path: Path, nats_server: NatsServer, pg_url: str, seed: int
) -> None:
    # Arrange
    run = ServicesRun(tmp_path, seed, nats_server, pg_url)

    # Act
    try:
        at_venue = run.run()
        lag = wait_for_no_lag(nats_server.url)
    finally:
        run.stop()

    # Assert
    run.flow.drain()
    assert_no_exec_id_reused(run.flow)
    engine = connect(pg_url)
    try:
        assert_booked_once(engine, run.flow)
        assert_fills_add_up(engine, run.flow, at_venue)
        assert_positions_fold_fills(engine)
    finally:
        engine.dispose()
    assert lag == {"core": 0, "edge": 0, "core-venues": 0, "venue": 0}, (
        f"consumer lag 10 s after the flow settled: {lag}"
    )
    dropped = duplicates_dropped(tmp_path)
    print(f"\n{len(run.flow.orders)} orders, {len(run.flow.kills)} kills; duplicates dropped: {dropped}")
    assert sum(dropped.values()) > 0, f"no duplicate was dropped anywhere: {dropped}"
