"""kill -9 of the gateway at many points of a busy order flow, then restart: nothing lost, nothing twice.

The gateway runs as a real process (`fixgw run`); the venue simulator and the FIX client run in the test. After
every kill the gateway restarts on the same book and stores, the sessions log on again and resend what is
missing, and the flow goes on. At the end the book must agree exactly with what the venue did and with what
the client was told.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from app.config import SimulatorConfig
from app.fixclient import ScriptedClient, client_sessions
from app.venue import VenueServer
from domain.enums import Side
from fixgw.codec.outbound import format_utc_timestamp
from oms.positions import PositionBook
from oms.store import repository
from oms.store.database import connect
from tests.conftest import ROOT
from tests.integration.conftest import make_config, make_sessions

pytestmark = pytest.mark.integration
KILLS = 10
ORDERS_PER_ROUND = 12


class GatewayProcess:
    def __init__(self, work: Path) -> None:
        self.work = work
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = work / "gateway.out"

    def start(self) -> None:
        cmd = [sys.executable, "-c", "from app.cli import main; main()", "run",
               "--config", str(self.work / "sessions.cfg"), "--settings", str(self.work / "fixgw.toml")]  # fmt: skip
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=log)

    def kill(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(30)


def write_settings(work: Path, url: str) -> None:
    text = (ROOT / "fixgw.toml").read_text().replace('url = "sqlite:///var/fixgw.db"', f'url = "{url}"')
    assert url in text
    text += f'\n[admin]\nlisten = "127.0.0.1:0"\ntoken_file = "{work / "admin.token"}"\n'
    (work / "fixgw.toml").write_text(text)


def send_round(
    client: ScriptedClient, rng: random.Random, round_no: int, resting: dict[str, tuple[str, Side]],
    kill: Callable[[], None] | None,
) -> list[str]:  # fmt: skip
    """Send a round of orders; kill the gateway after a random number of them (the rest go out regardless:
    to a dying connection, or into the client's store to be resent after the next logon)."""
    sent = []
    kill_at = rng.randint(0, ORDERS_PER_ROUND - 1)
    for i in range(ORDERS_PER_ROUND):
        if kill is not None and i == kill_at:
            kill()
        cl_ord_id = f"R{round_no}-{i}"
        symbol = rng.choice(["MSFT", "AAPL", "IBM"])
        side = rng.choice([Side.BUY, Side.SELL])
        if rng.random() < 0.3:  # rests on the book; canceled later, maybe after a restart
            price = Decimal("99.90") if side is Side.BUY else Decimal("100.10")
            client.send_order(cl_ord_id, symbol, side, Decimal(rng.randint(1, 50)), price)
            resting[cl_ord_id] = (symbol, side)
        else:  # crosses: fills against the seeded liquidity, often over several levels
            price = Decimal("100.05") if side is Side.BUY else Decimal("99.95")
            client.send_order(cl_ord_id, symbol, side, Decimal(rng.randint(1, 900)), price)
        sent.append(cl_ord_id)
    return sent


def test_crash_recovery_when_gateway_killed_repeatedly_then_book_matches_venue_and_client(tmp_path: Path) -> None:
    rng = random.Random(20261122)
    gateway_sessions, venue_sessions, _ = make_sessions(tmp_path)
    (tmp_path / "sessions.cfg").write_text(gateway_sessions.dumps())
    url = f"sqlite:///{tmp_path / 'book.db'}"
    write_settings(tmp_path, url)
    simulator = SimulatorConfig(depth=5, level_qty=Decimal(400), symbols=make_config(tmp_path).simulator.symbols)
    venue = VenueServer(simulator, venue_sessions)
    client = ScriptedClient(client_sessions(gateway_sessions, "CLIENT1", tmp_path / "client"))
    client.queue_when_down = True
    gateway = GatewayProcess(tmp_path)
    venue.start()
    gateway.start()
    sent: list[str] = []
    resting: dict[str, tuple[str, Side]] = {}  # ClOrdID -> (symbol, side), oldest first
    try:
        client.start(timeout=30)
        for round_no in range(KILLS + 1):
            mid_send = round_no % 2 == 0 and round_no < KILLS
            seen = count_reports(client)
            sent += send_round(client, rng, round_no, resting, gateway.kill if mid_send else None)
            if round_no < KILLS and not mid_send:
                # Kill after a random number of this round's reports: orders acked, filled, half-processed.
                wanted = seen + rng.randint(1, ORDERS_PER_ROUND)
                client.wait_for(lambda m, w=wanted: count_reports(client) >= w, 30)
                gateway.kill()
            if resting and round_no % 2:
                victim = next(iter(resting))
                symbol, side = resting.pop(victim)
                client.send_fields("F", [(41, victim), (11, f"{victim}-X"), (55, symbol), (54, side.value),
                                         (60, format_utc_timestamp(time.time_ns()))])  # fmt: skip
            if round_no == KILLS:
                break
            gateway.start()
            assert client.app.wait_for_logout(client.session, 30), "client did not see the gateway go"
            assert client.app.wait_for_logon([client.session], 60), "client did not log on again"
        expected = wait_until_settled(client, venue, sent)
    finally:
        client.stop()
        gateway.stop()
        venue.stop()

    engine = connect(url)
    try:
        assert_book_matches(engine, expected, sent)
    finally:
        engine.dispose()


def count_reports(client: ScriptedClient) -> int:
    return sum(1 for m in client.received if m.get(35) == "8")


def wait_until_settled(client: ScriptedClient, venue: VenueServer, sent: list[str]) -> dict[str, Decimal]:
    """Wait for a fixed point: for every order the client has a report with the CumQty the venue has now,
    and the venue's numbers did not move while we waited (a resting order can still be hit by a later one)."""
    session = _venue_session(venue)
    while True:
        order_ids = {c: client.wait_for(lambda m, c=c: m.get(35) == "8" and m.get(11) == c and m.get(37) != "NONE",
                                        60)[37] for c in sent}  # fmt: skip
        snapshot = {c: venue.simulator._orders[session, order_ids[c]].cum_qty for c in sent}
        for cl_ord_id, cum in snapshot.items():
            ids = (cl_ord_id, f"{cl_ord_id}-X")
            client.wait_for(lambda m, i=ids, q=cum: m.get(35) == "8" and m.get(11) in i
                            and Decimal(m.get(14, "-1")) == q, 60)  # fmt: skip
        if snapshot == {c: venue.simulator._orders[session, order_ids[c]].cum_qty for c in sent}:
            return snapshot


def _venue_session(venue: VenueServer) -> str:
    [session] = venue.simulator.app.sessions
    return session


def assert_book_matches(engine: object, expected: dict[str, Decimal], sent: list[str]) -> None:
    orders = {r["cl_ord_id"].removesuffix("-X"): r for r in repository.load_orders(engine)}  # type: ignore[arg-type]
    assert sorted(orders) == sorted(sent), "an order the client sent is missing from the book, or is there twice"
    fills = repository.load_executions(engine)  # type: ignore[arg-type]
    by_order: dict[str, Decimal] = defaultdict(Decimal)
    book = PositionBook()
    for fill in fills:
        by_order[fill["order_id"]] += fill["last_qty"]
        book.apply_fill(fill["account"], fill["symbol"], Side(fill["side"]), fill["last_qty"], fill["last_px"])
    for cl_ord_id, row in orders.items():
        assert row["cum_qty"] == expected[cl_ord_id] == by_order[row["order_id"]], cl_ord_id
    stored = {(p["account"], p["symbol"]): p for p in repository.load_positions(engine)}  # type: ignore[arg-type]
    for key, position in book.positions.items():
        assert stored[key]["qty"] == position.qty
        assert stored[key]["realized_pnl"] == position.realized_pnl
