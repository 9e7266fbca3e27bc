"""Two core partitions and two edges over real processes: each account's orders are booked once, in its partition's
book, and each client's reports come back through its own edge."""

from __future__ import annotations

import time
import tomllib
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
import tomli_w
from sqlalchemy import create_engine, text

from app.fixclient import ScriptedClient, client_sessions
from app.ports import free_port
from app.services.nats_server import NatsServer
from domain.enums import Side
from fixgw.codec.outbound import format_utc_timestamp
from fixgw.session.settings import SessionsFile
from oms.store import repository
from oms.store.database import connect
from tests.conftest import ROOT
from tests.contract.conftest import POSTGRES
from tests.integration.test_risk_controls import wait_until
from tests.services.conftest import ServiceProcess

pytestmark = [pytest.mark.integration, pytest.mark.postgres]
TIMEOUT = 60.0
PINNED = {"ACCT1": 0, "ACCT2": 1, "ACCT3": 0, "ACCT4": 1}
CLIENTS = {"CLIENT1": ["ACCT1", "ACCT2"], "CLIENT2": ["ACCT3", "ACCT4"]}


@pytest.fixture
def partition_schemas() -> Iterator[str]:
    """Two PostgreSQL schemas, ``<base>_p0`` and ``<base>_p1``: one book per partition; yields the URL pattern."""
    base = f"fixgw_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for part in (0, 1):
            conn.execute(text(f'CREATE SCHEMA "{base}_p{part}"'))
    try:
        yield f"{POSTGRES}?options=-csearch_path%3D{base}_p{{partition}}"
    finally:
        with admin.connect() as conn:
            for part in (0, 1):
                conn.execute(text(f'DROP SCHEMA "{base}_p{part}" CASCADE'))
        admin.dispose()


def _settings(work: Path, url: str, nats_url: str) -> None:
    data = tomllib.loads((ROOT / "fixgw.toml").read_text())
    data["database"] = {"url": url}
    data["admin"] = {"listen": "127.0.0.1:0", "token_file": str(work / "admin.token")}
    data["metrics"] = {"listen": ""}
    data["simulator"]["metrics_listen"] = ""
    data["venues"] = {"INTERNAL": {"kind": "internal"}}  # each partition's core trades with its own matching engine
    data["routing"] = {"default": "INTERNAL"}
    data["clients"] = {comp: {"accounts": accounts} for comp, accounts in CLIENTS.items()}
    data["deployment"] = {"mode": "services", "partitions": 2, "accounts": PINNED}
    data["nats"] = {"url": nats_url, "publish_timeout_s": 30}
    (work / "fixgw.toml").write_text(tomli_w.dumps(data))


def _acceptor(comp_id: str, work: Path) -> SessionsFile:
    """One client's acceptor session (its edge's session file), on a free port."""
    base = SessionsFile.load(ROOT / "sessions.cfg").relocated(work).only("acceptor")
    own = base.sessions[0] | {"TargetCompID": comp_id, "SocketAcceptPort": str(free_port())}
    return SessionsFile(base.defaults, [own], work)


def _service(tmp_path: Path, name: str, role: str, sessions: SessionsFile, *args: str) -> ServiceProcess:
    work = tmp_path / name
    work.mkdir()
    (work / "sessions.cfg").write_text(sessions.dumps())
    (work / "fixgw.toml").write_text((tmp_path / "fixgw.toml").read_text())
    return ServiceProcess(work, role, args)


@pytest.mark.timeout(240)
def test_services_when_two_partitions_and_two_edges_then_booked_once_in_its_partition_and_reported_to_its_client(
    tmp_path: Path, nats_server: NatsServer, partition_schemas: str
) -> None:
    # Arrange: cores for partitions 0 and 1, edge A with CLIENT1's session, edge B with CLIENT2's
    _settings(tmp_path, partition_schemas, nats_server.url)
    sessions = {comp: _acceptor(comp, tmp_path / f"edge-{comp}") for comp in CLIENTS}
    no_sessions = SessionsFile(sessions["CLIENT1"].defaults, [], tmp_path)
    cores = [_service(tmp_path, f"core{p}", "core", no_sessions, "--partition", str(p)) for p in (0, 1)]
    edges = [
        _service(tmp_path, "edgeA", "edge", sessions["CLIENT1"], "--name", "A"),
        _service(tmp_path, "edgeB", "edge", sessions["CLIENT2"], "--name", "B"),
    ]
    clients = {
        comp: ScriptedClient(client_sessions(s, comp, tmp_path / f"client-{comp}")) for comp, s in sessions.items()
    }
    for service in [*cores, *edges]:
        service.start()
    try:
        for client in clients.values():
            client.start(timeout=TIMEOUT)

        # Act: per client, per account, orders that fill and one that rests, then is cancelled
        sent: dict[str, tuple[str, str]] = {}  # ClOrdID -> (client, account)
        for comp, accounts in CLIENTS.items():
            for account in accounts:
                for i in range(5):
                    cl_ord_id = f"{comp}-{account}-{i}"
                    clients[comp].send_order(
                        cl_ord_id, "MSFT", Side.BUY, Decimal(10), Decimal("100.05"), account=account
                    )
                    sent[cl_ord_id] = (comp, account)
                rest = f"{comp}-{account}-rest"
                clients[comp].send_order(rest, "MSFT", Side.BUY, Decimal(10), Decimal("99.00"), account=account)
                sent[rest] = (comp, account)
        for cl_ord_id, (comp, _) in sent.items():
            clients[comp].wait_for(lambda m, cl=cl_ord_id: m.get(11) == cl and m.get(39) in ("0", "2"), TIMEOUT)
        for comp, accounts in CLIENTS.items():
            for account in accounts:
                cancel = f"{comp}-{account}-cxl"
                fields = [(41, f"{comp}-{account}-rest"), (11, cancel), (55, "MSFT"), (54, "1")]
                clients[comp].send_fields("F", [*fields, (60, format_utc_timestamp(time.time_ns()))])
                sent[cancel] = (comp, account)
        cancelled = {
            cl: clients[comp].wait_for(
                lambda m, cl=cl: m.get(11) == cl and (m.get(35) == "9" or m.get(39) == "4"), TIMEOUT
            )
            for cl, (comp, _) in sent.items()
            if cl.endswith("-cxl")
        }

        # Assert: every cancel found its order, in the other process's partition too
        assert {cl: (m[35], m[39]) for cl, m in cancelled.items()} == {cl: ("8", "4") for cl in cancelled}
        # each client heard about its own orders only, and about every one of them
        for comp, client in clients.items():
            heard = {m[11] for m in client.received if m.get(35) == "8"}
            assert heard == {cl for cl, (owner, _) in sent.items() if owner == comp}
        # each order is booked once, in the partition of its account
        booked: dict[int, list[dict[str, object]]] = {}
        for part in (0, 1):
            book = connect(partition_schemas.replace("{partition}", str(part)), read_only=True)
            try:
                expected = sum(1 for cl, (_, a) in sent.items() if PINNED[a] == part and not cl.endswith("-cxl"))
                assert wait_until(lambda: len(repository.load_orders(book)) >= expected, TIMEOUT)  # noqa: B023
                booked[part] = repository.load_orders(book)
            finally:
                book.dispose()
        for part, rows in booked.items():
            assert all(PINNED[str(r["account"])] == part for r in rows)
        cl_ord_ids = [str(r["cl_ord_id"]) for rows in booked.values() for r in rows]
        assert len(cl_ord_ids) == len(set(cl_ord_ids))
        originals = {cl for cl in sent if not cl.endswith("-cxl")}
        assert set(cl_ord_ids) == {
            cl.removesuffix("-rest") + "-cxl" if cl.endswith("-rest") else cl for cl in originals
        }
        statuses = {str(r["cl_ord_id"]): r["status"] for rows in booked.values() for r in rows}
        assert {s for cl, s in statuses.items() if not cl.endswith("-cxl")} == {"2"}
        assert {s for cl, s in statuses.items() if cl.endswith("-cxl")} == {"4"}
    finally:
        for client in clients.values():
            client.stop()
        for service in [*edges, *cores]:
            service.stop()


def _one_client(tmp_path: Path, url: str, nats_url: str) -> tuple[list[ServiceProcess], ServiceProcess, ScriptedClient]:
    """Partitions 0 and 1's cores, edge A with CLIENT1's session, and CLIENT1, whose messages sent while the edge
    is down go after the next logon."""
    _settings(tmp_path, url, nats_url)
    sessions = _acceptor("CLIENT1", tmp_path / "edge-CLIENT1")
    no_sessions = SessionsFile(sessions.defaults, [], tmp_path)
    cores = [_service(tmp_path, f"core{p}", "core", no_sessions, "--partition", str(p)) for p in (0, 1)]
    edge = _service(tmp_path, "edgeA", "edge", sessions, "--name", "A")
    client = ScriptedClient(client_sessions(sessions, "CLIENT1", tmp_path / "client"))
    client.queue_when_down = True
    return cores, edge, client


@pytest.mark.timeout(240)
def test_services_when_partition_core_dies_edge_restarts_and_partition_moves_then_waiting_orders_booked_once(
    tmp_path: Path, nats_server: NatsServer, partition_schemas: str
) -> None:
    # Arrange: both partitions' cores and one edge with CLIENT1, who trades ACCT1 (partition 0) and ACCT2 (1)
    (core0, core1), edge, client = _one_client(tmp_path, partition_schemas, nats_server.url)
    no_sessions = SessionsFile.load(tmp_path / "core0" / "sessions.cfg")
    moved = _service(tmp_path, "core1-moved", "core", no_sessions, "--partition", "1")
    for service in (core0, core1, edge):
        service.start()

    def order(cl_ord_id: str, account: str) -> None:
        client.send_order(cl_ord_id, "MSFT", Side.BUY, Decimal(10), Decimal("100.05"), account=account)

    def filled(cl_ord_id: str) -> None:
        client.wait_for(lambda m: m.get(11) == cl_ord_id and m.get(39) == "2", TIMEOUT)

    try:
        client.start(timeout=TIMEOUT)
        order("B1", "ACCT2")
        order("A1", "ACCT1")
        filled("B1")
        filled("A1")

        # Act: partition 1's core dies; its orders wait in its stream while partition 0's are booked; the edge is
        # killed and restarted; partition 1 moves to another process, which takes its lock and resumes
        core1.kill()
        for i in (2, 3):
            order(f"B{i}", "ACCT2")
            order(f"A{i}", "ACCT1")
        filled("A2")
        filled("A3")
        edge.kill()
        edge.start()
        order("B4", "ACCT2")
        moved.start()
        for cl_ord_id in ("B2", "B3", "B4"):
            filled(cl_ord_id)

        # Assert: each order booked once, in its account's partition
        for part, expected in ((0, ["A1", "A2", "A3"]), (1, ["B1", "B2", "B3", "B4"])):
            book = connect(partition_schemas.replace("{partition}", str(part)), read_only=True)
            try:
                assert sorted(str(r["cl_ord_id"]) for r in repository.load_orders(book)) == expected
            finally:
                book.dispose()
        assert "taking commands from stream sequence" in moved.log_path.read_text()
    finally:
        client.stop()
        for service in (edge, moved, core1, core0):
            service.stop()


@pytest.mark.timeout(240)
def test_services_when_edge_restarts_then_cancel_finds_order_resting_in_another_partition(
    tmp_path: Path, nats_server: NatsServer, partition_schemas: str
) -> None:
    # Arrange: CLIENT1 (default account ACCT1: partition 0) rests an order on ACCT2 (partition 1); its edge restarts
    cores, edge, client = _one_client(tmp_path, partition_schemas, nats_server.url)
    for service in (*cores, edge):
        service.start()
    try:
        client.start(timeout=TIMEOUT)
        client.send_order("REST", "MSFT", Side.BUY, Decimal(10), Decimal("99.00"), account="ACCT2")
        client.wait_for(lambda m: m.get(11) == "REST" and m.get(39) == "0", TIMEOUT)
        edge.kill()
        edge.start()

        # Act: the cancel names the order by ClOrdID only (no account to route it by)
        fields = [(41, "REST"), (11, "CXL"), (55, "MSFT"), (54, "1"), (60, format_utc_timestamp(time.time_ns()))]
        client.send_fields("F", fields)
        answer = client.wait_for(lambda m: m.get(11) == "CXL" and (m.get(35) == "9" or m.get(39) == "4"), TIMEOUT)
    finally:
        client.stop()
        for service in (edge, *cores):
            service.stop()

    # Assert: the restarted edge sent it to the order's partition (else partition 0 answers 35=9 unknown order)
    assert (answer[35], answer[39]) == ("8", "4"), answer
