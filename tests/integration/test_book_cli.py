"""Market data on the default configuration, as a user runs it: ``fixgw venue`` and ``fixgw run`` as processes, a FIX
client on CLIENT1 subscribing through the gateway, and ``fixgw book`` / ``fixgw positions`` answering from the
running gateway."""

from __future__ import annotations

import json
import time
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
import tomli_w

from app.admin import AdminClient
from app.bench.runner import Process
from app.fixclient import ScriptedClient, client_sessions
from domain.enums import Side
from fixgw.errors import ConfigError
from fixgw.session.settings import SessionsFile
from tests.conftest import ROOT
from tests.integration.conftest import free_port
from tests.integration.test_cli import FIXGW, fixgw

pytestmark = pytest.mark.integration


@dataclass
class Running:
    settings: Path
    client: ScriptedClient


def _ready(token: Path) -> bool:
    if not token.exists():
        return False
    try:
        status, health = AdminClient(token).call("GET", "/health")
        _, book = AdminClient(token).call("GET", "/book/MSFT", {"venue": "VENUE"})
    except ConfigError:
        return False
    return status == 200 and all(health["venues"].values()) and book.get("mid") is not None


@pytest.fixture
def running(tmp_path: Path) -> Iterator[Running]:
    """The repository's fixgw.toml, sessions.cfg and venue.cfg, moved to free ports and a fresh work directory."""
    client_port, venue_port = free_port(), free_port()
    data = tomllib.loads((ROOT / "fixgw.toml").read_text())
    data["database"] = {"url": f"sqlite:///{tmp_path / 'book.db'}"}
    data["admin"] = {"listen": "127.0.0.1:0", "token_file": str(tmp_path / "admin.token")}
    data["metrics"] = {"listen": "127.0.0.1:0"}
    data["simulator"]["metrics_listen"] = "127.0.0.1:0"
    settings = tmp_path / "fixgw.toml"
    settings.write_text(tomli_w.dumps(data))
    gateway = SessionsFile.load(ROOT / "sessions.cfg").relocated(tmp_path / "gateway")
    gateway = gateway.with_port("acceptor", client_port).with_port("initiator", venue_port)
    (tmp_path / "sessions.cfg").write_text(gateway.dumps())
    venue = SessionsFile.load(ROOT / "venue.cfg").relocated(tmp_path / "venue").with_port("acceptor", venue_port)
    (tmp_path / "venue.cfg").write_text(venue.dumps())
    processes = [
        Process("venue", [*FIXGW, "venue", "-c", str(tmp_path / "venue.cfg"), "-s", str(settings)], tmp_path),
        Process("gateway", [*FIXGW, "run", "-c", str(tmp_path / "sessions.cfg"), "-s", str(settings)], tmp_path),
    ]
    client = ScriptedClient(client_sessions(gateway, "CLIENT1", tmp_path / "client"))
    try:
        deadline = time.monotonic() + 60
        while not _ready(tmp_path / "admin.token"):
            for process in processes:
                process.check_alive()
            assert time.monotonic() < deadline, "the gateway never had a live MSFT book"
            time.sleep(0.05)  # polling another process
        client.start()
        yield Running(settings, client)
    finally:
        client.stop()
        for process in reversed(processes):
            process.stop()


def test_book_when_gateway_running_then_json_and_table_from_its_live_books(running: Running) -> None:
    settings = str(running.settings)

    answer = json.loads(fixgw("book", "MSFT", "--json", "-s", settings).stdout)
    table = fixgw("book", "MSFT", "--depth", "2", "-s", settings)
    one_venue = json.loads(fixgw("book", "MSFT", "--venue", "VENUE", "--depth", "0", "--json", "-s", settings).stdout)

    assert answer["venue"] == "consolidated" and answer["mid"] == "100.00"
    assert answer["bids"][0] == {"price": "99.99", "size": "500"} and len(answer["bids"]) == 5
    assert answer["asks"][0] == {"price": "100.01", "size": "500"}
    assert table.returncode == 0 and "MSFT (consolidated)" in table.stdout and "99.98" in table.stdout
    assert "99.97" not in table.stdout  # --depth 2
    assert one_venue["venues"]["VENUE"]["live"] is True and len(one_venue["asks"]) == 5


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["XYZ"], "unknown symbol XYZ"),
        (["MSFT", "--venue", "NOPE"], "no book for MSFT at venue NOPE"),
    ],
)
def test_book_when_bad_request_then_one_line_error_exit_2(running: Running, args: list[str], error: str) -> None:
    result = fixgw("book", *args, "-s", str(running.settings))

    assert result.returncode == 2 and error in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_client_when_subscribes_through_gateway_then_snapshot_and_refresh(running: Running) -> None:
    client = running.client
    client.subscribe("MD-1", ["MSFT"], depth=1)
    snapshot = client.market_data.get(timeout=10)
    client.send_order("B-1", "MSFT", Side.BUY, Decimal(200), Decimal("100.01"))  # takes 200 of the best offer

    refresh = client.market_data.get(timeout=10)
    while "\x0135=W\x01" in refresh:  # a venue refresh may come between
        refresh = client.market_data.get(timeout=10)

    assert "\x0135=W\x01" in snapshot and "\x01270=100.01\x01271=500\x01" in snapshot
    assert "\x0135=X\x01" in refresh and "\x01270=100.01\x01271=300\x01" in refresh


def test_positions_when_filled_then_marked_to_the_live_mid(running: Running) -> None:
    running.client.send_order("P-1", "MSFT", Side.BUY, Decimal(100), Decimal("100.01"))
    running.client.wait_for(lambda m: m.get(11) == "P-1" and m.get(39) == "2")

    result = fixgw("positions", "--json", "-s", str(running.settings))

    assert result.returncode == 0, result.stderr
    (row,) = [r for r in json.loads(result.stdout) if r["symbol"] == "MSFT"]
    # Bought 100 at 100.01; the book is now 99.99 / 100.01 (400 left): mid 100.00, unrealized -1.00.
    assert row["mark_source"] == "mid" and Decimal(row["mark"]) == Decimal("100.00")
    assert Decimal(row["unrealized_pnl"]) == Decimal("-1.00")
