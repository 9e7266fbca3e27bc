"""Two core partitions sharing one venue service: each partition's orders reach the one venue session under
ClOrdIDs the venue keeps apart, and each partition books the fills of its own orders only."""

from __future__ import annotations

import time
import tomllib
from decimal import Decimal
from pathlib import Path

import pytest
import tomli_w

from app.config import SimulatorConfig
from app.fixclient import ScriptedClient, client_sessions
from app.services.nats_server import NatsServer
from app.venue import VenueServer
from domain.enums import Side
from domain.ids import SessionKey
from fixgw.codec.outbound import format_utc_timestamp
from oms.store import repository
from oms.store.database import connect
from tests.conftest import ROOT
from tests.integration.conftest import make_config, make_sessions
from tests.integration.test_risk_controls import wait_until
from tests.services.conftest import ServiceProcess
from tests.services.test_services_partitions import partition_schemas  # noqa: F401  (the fixture)

pytestmark = [pytest.mark.integration, pytest.mark.postgres]
TIMEOUT = 60.0
PINNED = {"ACCT1": 0, "ACCT2": 1}
VENUE_SESSION = "FIX.4.4:FIXGW->VENUE"


def _settings(work: Path, url: str, nats_url: str) -> None:
    data = tomllib.loads((ROOT / "fixgw.toml").read_text())
    data["database"] = {"url": url}
    data["admin"] = {"listen": "127.0.0.1:0", "token_file": str(work / "admin.token")}
    data["metrics"] = {"listen": ""}
    data["simulator"]["metrics_listen"] = ""
    data["venues"] = {"VENUE": {"session": VENUE_SESSION}}  # no market data session: one per core would clash
    data["clients"] = {"CLIENT1": {"accounts": list(PINNED)}}
    data["deployment"] = {"mode": "services", "partitions": 2, "accounts": PINNED, "venues": ["VENUE"]}
    data["nats"] = {"url": nats_url, "publish_timeout_s": 30}
    (work / "fixgw.toml").write_text(tomli_w.dumps(data))


@pytest.mark.timeout(240)
def test_services_when_two_partitions_share_a_venue_service_then_each_books_its_own_fills(
    tmp_path: Path,
    nats_server: NatsServer,
    partition_schemas: str,  # noqa: F811
) -> None:
    # Arrange: the simulator, cores 0 and 1, one venue service, one edge, one client trading an account of each
    gateway_sessions, venue_sessions, _ = make_sessions(tmp_path)
    venue_only, _ = gateway_sessions.split({SessionKey(VENUE_SESSION)})
    (tmp_path / "sessions.cfg").write_text(gateway_sessions.only("acceptor").dumps())
    _settings(tmp_path, partition_schemas, nats_server.url)
    symbols = make_config(tmp_path).simulator.symbols
    venue = VenueServer(SimulatorConfig(depth=5, level_qty=Decimal(400), symbols=symbols), venue_sessions)
    services = []
    for name, role, args in [
        ("core0", "core", ("--partition", "0")),
        ("core1", "core", ("--partition", "1")),
        ("venue-service", "venue", ()),
    ]:
        work = tmp_path / name
        work.mkdir()
        (work / "sessions.cfg").write_text(venue_only.dumps())
        (work / "fixgw.toml").write_text((tmp_path / "fixgw.toml").read_text())
        services.append(ServiceProcess(work, role, args))
    services.append(ServiceProcess(tmp_path, "edge"))
    client = ScriptedClient(client_sessions(gateway_sessions, "CLIENT1", tmp_path / "client"))
    venue.start()
    for service in services:
        service.start()
    try:
        client.start(timeout=TIMEOUT)

        # Act: per account, two orders that fill and one that rests, then its cancel
        for account in PINNED:
            for i in range(2):
                client.send_order(f"{account}-{i}", "MSFT", Side.BUY, Decimal(10), Decimal("100.05"), account=account)
            client.send_order(f"{account}-rest", "MSFT", Side.BUY, Decimal(10), Decimal("99.00"), account=account)
        filled = {
            cl: client.wait_for(lambda m, cl=cl: m.get(11) == cl and m.get(39) == "2", TIMEOUT)
            for cl in (f"{a}-{i}" for a in PINNED for i in range(2))
        }
        for account in PINNED:
            client.wait_for(lambda m, a=account: m.get(11) == f"{a}-rest" and m.get(39) == "0", TIMEOUT)
            fields = [(41, f"{account}-rest"), (11, f"{account}-cxl"), (55, "MSFT"), (54, "1")]
            client.send_fields("F", [*fields, (60, format_utc_timestamp(time.time_ns()))])
        cancelled = {
            a: client.wait_for(lambda m, a=a: m.get(11) == f"{a}-cxl" and m.get(39) in ("4", "8"), TIMEOUT)
            for a in PINNED
        }

        # Assert: every fill and cancel came back; the venue holds both partitions' orders apart
        assert all(m[14] == "10" for m in filled.values())
        assert {a: (m[35], m[39]) for a, m in cancelled.items()} == {a: ("8", "4") for a in PINNED}
        session = next(s for s in venue.simulator.app.sessions if s.endswith(":VENUE->FIXGW"))
        assert venue.simulator.order(session, "O1") is not None  # partition 0's first order, as the core named it
        assert venue.simulator.order(session, "1-O1") is not None  # partition 1's, kept apart
        for part, account in ((0, "ACCT1"), (1, "ACCT2")):
            book = connect(partition_schemas.replace("{partition}", str(part)), read_only=True)
            try:
                assert wait_until(lambda: len(repository.load_executions(book)) >= 2, TIMEOUT)  # noqa: B023
                fills = repository.load_executions(book)
                orders = {str(r["cl_ord_id"]): r["status"] for r in repository.load_orders(book)}
            finally:
                book.dispose()
            assert len(fills) == 2 and {f["account"] for f in fills} == {account}
            assert orders == {f"{account}-0": "2", f"{account}-1": "2", f"{account}-cxl": "4"}
    finally:
        client.stop()
        for service in reversed(services):
            service.stop()
        venue.stop()
