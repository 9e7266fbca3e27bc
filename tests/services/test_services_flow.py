"""The services deployment over real processes: `fixgw serve core` and `fixgw serve edge` on our own nats-server
and a PostgreSQL schema, the venue simulator and a FIX client in the test."""

from __future__ import annotations

import time
from decimal import Decimal
from pathlib import Path

import pytest

from app.config import SimulatorConfig
from app.fixclient import ScriptedClient, client_sessions
from app.services.nats_server import NatsServer
from app.venue import VenueServer
from domain.enums import Side
from oms.store import repository
from oms.store.database import connect
from tests.integration.conftest import make_config, make_sessions
from tests.services.conftest import ServiceProcess, services_settings

pytestmark = [pytest.mark.integration, pytest.mark.postgres]
TIMEOUT = 60.0


@pytest.mark.timeout(180)
def test_services_when_client_sends_orders_then_booked_once_and_reported_back(
    tmp_path: Path, nats_server: NatsServer, pg_url: str
) -> None:
    # Arrange
    gateway_sessions, venue_sessions, _ = make_sessions(tmp_path)
    (tmp_path / "sessions.cfg").write_text(gateway_sessions.dumps())
    services_settings(tmp_path, pg_url, nats_server.url)
    symbols = make_config(tmp_path).simulator.symbols
    venue = VenueServer(SimulatorConfig(depth=5, level_qty=Decimal(400), symbols=symbols), venue_sessions)
    client = ScriptedClient(client_sessions(gateway_sessions, "CLIENT1", tmp_path / "client"))
    core, edge = ServiceProcess(tmp_path, "core"), ServiceProcess(tmp_path, "edge")
    venue.start()
    core.start()
    edge.start()
    try:
        client.start(timeout=TIMEOUT)

        # Act: a resting buy, a buy that fills, a sell that fills, a denied order
        orders = [
            ("A1", "MSFT", Side.BUY, Decimal(10), Decimal("99.90")),
            ("A2", "MSFT", Side.BUY, Decimal(100), Decimal("100.05")),
            ("A3", "IBM", Side.SELL, Decimal(50), Decimal("99.95")),
            ("A4", "MSFT", Side.BUY, Decimal(6000), Decimal("100")),
        ]
        for cl_ord_id, symbol, side, qty, price in orders:
            client.send_order(cl_ord_id, symbol, side, qty, price)
        filled = {
            cl: client.wait_for(lambda m, cl=cl: m.get(11) == cl and m.get(39) in ("2", "8"), TIMEOUT)
            for cl in ("A2", "A3", "A4")
        }
        rested = client.wait_for(lambda m: m.get(11) == "A1" and m.get(150) == "0", TIMEOUT)

        # Assert
        assert rested[39] == "0"
        assert filled["A2"][39] == "2" and filled["A2"][14] == "100"
        assert filled["A3"][39] == "2" and filled["A3"][14] == "50"
        assert filled["A4"][39] == "8" and filled["A4"][103] == "3"
        engine = connect(pg_url, read_only=True)
        try:
            deadline = time.monotonic() + TIMEOUT
            while len(repository.load_orders(engine)) < 4 and time.monotonic() < deadline:
                time.sleep(0.05)
            rows = {r["cl_ord_id"]: r for r in repository.load_orders(engine)}
            assert sorted(rows) == ["A1", "A2", "A3", "A4"]
            assert {cl: r["status"] for cl, r in rows.items()} == {"A1": "0", "A2": "2", "A3": "2", "A4": "8"}
            positions = {(p["account"], p["symbol"]): p["qty"] for p in repository.load_positions(engine)}
            assert positions[("ACCT1", "MSFT")] == Decimal(100)
            assert positions[("ACCT1", "IBM")] == Decimal(-50)
        finally:
            engine.dispose()
        second = ServiceProcess(tmp_path, "core")  # the partition has a writer: another core is refused
        second.log_path = tmp_path / "second-core.out"
        second.start()
        assert second.proc is not None
        assert second.proc.wait(60) == 2
        assert "another process writes core-0 of this book of record" in second.log_path.read_text()
    finally:
        client.stop()
        edge.stop()
        core.stop()
        venue.stop()
