"""The internal venue over real FIX sessions: routed by symbol and by account beside the external simulator,
reports and SQL rows, a restart on the same book, and ``fixgw run`` with no venue session at all."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from app.config import ClientConfig, GatewayConfig, RoutingConfig, VenueConfig
from app.fixclient import Fields, ScriptedClient, client_sessions
from app.gateway import Gateway
from domain.enums import Side, TimeInForce
from domain.ids import Symbol, VenueId
from ems.venues.internal import InternalVenue
from fixgw.session.settings import SessionsFile
from oms.store import repository
from oms.store.database import open_database
from tests.conftest import ROOT
from tests.integration.conftest import System, free_port, make_config, start_system, stop_system
from tests.integration.test_cli import FIXGW
from tests.integration.test_crash_recovery import GatewayProcess

pytestmark = pytest.mark.integration


def pool_config(work: Path) -> GatewayConfig:
    """IBM and everything of ACCT2 go to the internal venue POOL; the rest to the external simulator."""
    config = make_config(work)
    venues = {"VENUE": VenueConfig(session="FIX.4.4:FIXGW->VENUE"), "POOL": VenueConfig(kind="internal")}
    routing = RoutingConfig(default="VENUE", symbols={"IBM": "POOL"}, accounts={"ACCT2": "POOL"})
    clients = {"CLIENT1": ClientConfig(accounts=["ACCT1", "ACCT2"])}
    return config.model_copy(update={"venues": venues, "routing": routing, "clients": clients})


@pytest.fixture
def system(tmp_path: Path) -> Iterator[System]:
    running = start_system(tmp_path, pool_config(tmp_path))
    yield running
    stop_system(running)


def report(client: ScriptedClient, cl_ord_id: str, **tags: str) -> Fields:
    """The first ExecutionReport for ``cl_ord_id`` with these tag values (39="2" as ``t39="2"``)."""
    wanted = {int(k[1:]): v for k, v in tags.items()}
    return client.wait_for(lambda m: m.get(35) == "8" and m.get(11) == cl_ord_id and wanted.items() <= m.items())


def row(system: System, cl_ord_id: str) -> dict[str, Any]:
    assert system.gateway.journal.flush()
    [found] = [r for r in repository.load_orders(system.gateway.db) if r["cl_ord_id"] == cl_ord_id]
    return found


def executions(system: System, order_id: str) -> list[tuple[str, Decimal, Decimal]]:
    return [(e["venue"], e["last_qty"], e["last_px"]) for e in repository.load_executions(system.gateway.db, order_id)]


def test_internal_venue_when_symbol_routed_there_then_filled_in_process_and_others_go_to_simulator(
    system: System,
) -> None:
    system.client.send_order("INT-1", "IBM", Side.BUY, Decimal(700), Decimal("100.02"))
    system.client.send_order("EXT-1", "MSFT", Side.BUY, Decimal(100), Decimal("100.05"))

    new = report(system.client, "INT-1", t150="0")
    first = report(system.client, "INT-1", t150="F", t39="1")
    last = report(system.client, "INT-1", t150="F", t39="2")
    report(system.client, "EXT-1", t150="F", t39="2")

    assert (new[39], new[151]) == ("0", "700")
    assert (first[32], first[31], first[14], first[151]) == ("500", "100.01", "500", "200")
    assert (last[32], last[31], last[14], last[151], last[6]) == ("200", "100.02", "700", "0", "100.01285714")
    internal, external = row(system, "INT-1"), row(system, "EXT-1")
    assert (internal["venue"], internal["status"], internal["cum_qty"]) == ("POOL", "2", Decimal(700))
    assert executions(system, internal["order_id"]) == [
        ("POOL", 500, Decimal("100.01")),
        ("POOL", 200, Decimal("100.02")),
    ]
    assert (external["venue"], executions(system, external["order_id"])) == (
        "VENUE",
        [("VENUE", 100, Decimal("100.01"))],
    )
    member = next(s for s in system.venue.simulator.app.sessions if s.endswith(":VENUE->FIXGW"))  # not VENUEMD
    assert system.venue.simulator.order(member, external["order_id"]) is not None
    assert system.venue.simulator.order(member, internal["order_id"]) is None


def test_internal_venue_when_receiving_thread_leads_the_commit_then_the_same_reports_and_rows(tmp_path: Path) -> None:
    """``[database] commit = "leader"``: the FIX thread commits its own change when the writer is idle; clients and
    the book see exactly what the writer thread's commits give them."""
    config = pool_config(tmp_path)
    config = config.model_copy(update={"database": config.database.model_copy(update={"commit": "leader"})})
    running = start_system(tmp_path, config)
    try:
        test_internal_venue_when_symbol_routed_there_then_filled_in_process_and_others_go_to_simulator(running)
        assert running.gateway.journal.led > 0  # the leader path really committed
    finally:
        stop_system(running)


def test_internal_venue_when_account_routed_there_then_its_orders_cross_each_other_and_positions_net(
    system: System,
) -> None:
    system.client.send_order("ACC-S", "MSFT", Side.SELL, Decimal(100), Decimal("100.00"), account="ACCT2")
    report(system.client, "ACC-S", t150="0")
    system.client.send_order("ACC-B", "MSFT", Side.BUY, Decimal(60), Decimal("100.00"), account="ACCT2")

    maker = report(system.client, "ACC-S", t150="F")
    taker = report(system.client, "ACC-B", t150="F")

    assert (maker[39], maker[32], maker[31], maker[14], maker[151]) == ("1", "60", "100", "60", "40")
    assert (taker[39], taker[32], taker[31], taker[14], taker[151]) == ("2", "60", "100", "60", "0")
    assert (row(system, "ACC-S")["venue"], row(system, "ACC-B")["venue"]) == ("POOL", "POOL")
    [position] = [p for p in repository.load_positions(system.gateway.db) if p["account"] == "ACCT2"]
    assert (position["symbol"], position["qty"], position["bought_qty"], position["sold_qty"]) == ("MSFT", 0, 60, 60)
    fills = repository.load_executions(system.gateway.db)
    assert len({(e["venue"], e["venue_exec_id"]) for e in fills}) == len(fills) == 2


def test_internal_venue_when_ioc_and_requests_then_remainder_canceled_replaced_canceled_and_rejected(
    system: System,
) -> None:
    client = system.client
    client.send_order("IOC-1", "IBM", Side.SELL, Decimal(2600), Decimal("99.98"), tif=TimeInForce.IMMEDIATE_OR_CANCEL)
    client.send_order("REST-1", "IBM", Side.BUY, Decimal(100), Decimal("99.50"))
    report(client, "REST-1", t150="0")
    client.send_fields(
        "G",
        [
            (11, "REST-2"),
            (41, "REST-1"),
            (1, "ACCT1"),
            (55, "IBM"),
            (54, "1"),
            (38, "150"),
            (40, "2"),
            (44, "99.60"),
            (60, "20240101-00:00:00"),
        ],
    )
    replaced = report(client, "REST-2", t150="5")
    client.send_fields(
        "F", [(11, "REST-3"), (41, "REST-2"), (55, "IBM"), (54, "1"), (38, "150"), (60, "20240101-00:00:00")]
    )

    canceled = report(client, "REST-3", t150="4")
    ioc = report(client, "IOC-1", t150="4")

    assert (ioc[39], ioc[14], ioc[151], ioc[58]) == ("4", "1000", "0", "remainder canceled")
    assert (replaced[39], replaced[38], replaced[44], replaced[41]) == ("0", "150", "99.6", "REST-1")
    assert (canceled[39], canceled[41], canceled[151]) == ("4", "REST-2", "0")
    assert (row(system, "REST-3")["status"], row(system, "IOC-1")["cum_qty"]) == ("4", Decimal(1000))


def test_internal_venue_when_gateway_restarts_then_resting_orders_can_be_canceled_and_filled(tmp_path: Path) -> None:
    config = pool_config(tmp_path)
    system = start_system(tmp_path, config)
    try:
        system.client.send_order("R-SELL", "IBM", Side.SELL, Decimal(300), Decimal("100.00"))
        system.client.send_order("R-BUY", "IBM", Side.BUY, Decimal(100), Decimal("100.00"))  # R-SELL: 100 of 300
        system.client.send_order("R-REST", "IBM", Side.BUY, Decimal(100), Decimal("99.50"))
        report(system.client, "R-BUY", t39="2")
        report(system.client, "R-REST", t150="0")
        assert system.gateway.journal.flush()
    except BaseException:
        stop_system(system)
        raise
    system.client.stop()
    system.gateway.stop()
    gateway = Gateway(config, system.gateway_sessions)
    client = ScriptedClient(client_sessions(system.gateway_sessions, "CLIENT1", tmp_path / "client"))
    restarted = System(system.venue, gateway, client, system.gateway_sessions, system.client_port, tmp_path)
    try:
        gateway.start()
        client.start()
        client.send_fields(
            "F", [(11, "R-REST-X"), (41, "R-REST"), (55, "IBM"), (54, "1"), (38, "100"), (60, "20240101-00:00:00")]
        )
        client.send_order("R-TAKE", "IBM", Side.BUY, Decimal(250), Decimal("100.00"))

        canceled = report(client, "R-REST-X", t150="4")
        maker = report(client, "R-SELL", t150="F", t39="2")
        taker = report(client, "R-TAKE", t150="F")

        assert (canceled[39], canceled[41]) == ("4", "R-REST")
        assert (maker[32], maker[14], maker[151], maker[6]) == ("200", "300", "0", "100")
        assert (taker[39], taker[32], taker[14], taker[151]) == ("1", "200", "200", "50")
        sell = row(restarted, "R-SELL")
        assert (sell["status"], sell["cum_qty"], sell["venue"]) == ("2", Decimal(300), "POOL")
        assert [q for _, q, _ in executions(restarted, sell["order_id"])] == [100, 200]
        assert row(restarted, "R-REST-X")["status"] == "4"
    finally:
        stop_system(restarted)


def only_internal_settings(work: Path) -> Path:
    """bench/internal.toml with the book, the admin API and its token moved into ``work``."""
    text = (ROOT / "bench" / "internal.toml").read_text()
    moved = {
        'url = "sqlite:///../var/internal.db"': f'url = "sqlite:///{work / "book.db"}"',
        'token_file = "../var/admin.token"': f'token_file = "{work / "admin.token"}"\nlisten = "127.0.0.1:0"',
    }
    for old, new in moved.items():
        assert old in text
        text = text.replace(old, new)
    path = work / "fixgw.toml"
    path.write_text(text)
    return path


def test_fixgw_run_when_only_an_internal_venue_then_trades_without_any_venue_session(tmp_path: Path) -> None:
    sessions = SessionsFile.load(ROOT / "sessions.cfg").relocated(tmp_path / "gateway").only("acceptor")
    sessions = sessions.with_port("acceptor", free_port())
    sessions_file = tmp_path / "sessions.cfg"
    sessions_file.write_text(sessions.dumps())
    settings = only_internal_settings(tmp_path)
    command = [*FIXGW, "run", "--config", str(sessions_file), "--settings", str(settings)]
    gateway = subprocess.Popen(
        command, cwd=ROOT, env=os.environ, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    client = ScriptedClient(client_sessions(sessions, "CLIENT1", tmp_path / "client"))
    try:
        client.start(timeout=60)
        client.send_order("ONLY-1", "AAPL", Side.BUY, Decimal(100), Decimal("100.01"))
        filled = report(client, "ONLY-1", t150="F")
    finally:
        client.stop()
        gateway.send_signal(signal.SIGTERM)
        _, stderr = gateway.communicate(timeout=60)

    assert (filled[39], filled[31], filled[14]) == ("2", "100.01", "100")
    assert gateway.returncode == 0, stderr
    assert "Traceback" not in stderr
    db = open_database(f"sqlite:///{tmp_path / 'book.db'}")
    try:
        [order] = repository.load_orders(db)
        assert (order["venue"], order["status"]) == ("INTERNAL", "2")
        assert len(repository.load_executions(db)) == 1
    finally:
        db.dispose()


def test_internal_venue_when_gateway_killed_repeatedly_then_both_sides_of_every_trade_are_in_the_book(
    tmp_path: Path,
) -> None:
    """kill -9 while gateway orders trade with each other at the internal venue, restart on the same book.

    Every order is priced inside the house's spread (bids up to 99.99, asks from 100.01), so every fill is one
    side of a trade between two of the gateway's own orders: whatever the kills, the book must hold both sides
    of each trade (bought = sold per symbol), CumQty must be the sum of the order's executions and what the
    client was told, and the resting orders (restored at each start) must still trade and cancel.
    """
    rng = random.Random(7)
    sessions = SessionsFile.load(ROOT / "sessions.cfg").relocated(tmp_path / "gateway").only("acceptor")
    sessions = sessions.with_port("acceptor", free_port())
    (tmp_path / "sessions.cfg").write_text(sessions.dumps())
    only_internal_settings(tmp_path)
    client = ScriptedClient(client_sessions(sessions, "CLIENT1", tmp_path / "client"))
    client.queue_when_down = True
    gateway = GatewayProcess(tmp_path)
    gateway.start()
    sent: list[str] = []
    try:
        client.start(timeout=60)
        for round_no in range(KILLS + 1):
            mid_send = round_no % 2 == 0 and round_no < KILLS
            sent += send_inside_spread(client, rng, round_no, gateway.kill if mid_send else None)
            if round_no < KILLS and not mid_send:  # kill after some of this round's reports: mid-flow
                wanted, prefix = rng.randint(1, ROUND), f"K{round_no}-"  # each order has its 150=0
                client.wait_for(lambda _, w=wanted, p=prefix: reports_of(client, p) >= w, 30)
                gateway.kill()
            if round_no == KILLS:
                break
            gateway.start()
            assert client.app.wait_for_logout(client.session, 30), "client did not see the gateway go"
            assert client.app.wait_for_logon([client.session], 60), "client did not log on again"
        told = settled(client, tmp_path / "book.db", sent)
    finally:
        client.stop()
        gateway.stop()

    assert_internal_book(tmp_path / "book.db", sent, told)


KILLS = 6
ROUND = 12


def send_inside_spread(
    client: ScriptedClient, rng: random.Random, round_no: int, kill: Callable[[], None] | None
) -> list[str]:
    """A round of orders at 100.00 (they trade with each other), killing the gateway after a random one."""
    sent = []
    kill_at = rng.randint(0, ROUND - 1)
    for i in range(ROUND):
        if kill is not None and i == kill_at:
            kill()
        cl_ord_id = f"K{round_no}-{i}"
        side = rng.choice([Side.BUY, Side.SELL])
        client.send_order(cl_ord_id, rng.choice(["MSFT", "IBM"]), side, Decimal(rng.randint(1, 60)), Decimal("100"))
        sent.append(cl_ord_id)
    return sent


def reports_of(client: ScriptedClient, prefix: str) -> int:
    return sum(1 for m in client.received if m.get(35) == "8" and m.get(11, "").startswith(prefix))


def settled(client: ScriptedClient, db_path: Path, sent: list[str], timeout: float = 60) -> dict[str, Decimal]:
    """Wait until the client was told, for every order, the CumQty the book holds; return those."""
    for cl_ord_id in sent:  # every order was booked and answered
        client.wait_for(lambda m, c=cl_ord_id: m.get(35) == "8" and m.get(11) == c and m.get(37) != "NONE", timeout)
    db = open_database(f"sqlite:///{db_path}")
    try:
        book = {r["cl_ord_id"]: r["cum_qty"] for r in repository.load_orders(db)}
    finally:
        db.dispose()
    for cl_ord_id in sent:  # reports go out only after their commit: the client hears the book's figure
        cum = book[cl_ord_id]
        client.wait_for(
            lambda m, c=cl_ord_id, q=cum: m.get(35) == "8" and m.get(11) == c and Decimal(m.get(14, "-1")) == q, timeout
        )
    return {c: book[c] for c in sent}


def assert_internal_book(db_path: Path, sent: list[str], told: dict[str, Decimal]) -> None:
    db = open_database(f"sqlite:///{db_path}")
    try:
        orders = {r["cl_ord_id"]: r for r in repository.load_orders(db)}
        fills = repository.load_executions(db)
        positions = repository.load_positions(db)
    finally:
        db.dispose()
    assert sorted(orders) == sorted(sent), "an order the client sent is missing from the book, or is there twice"
    by_order: dict[str, Decimal] = defaultdict(Decimal)
    by_side: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for fill in fills:
        by_order[fill["order_id"]] += fill["last_qty"]
        by_side[fill["symbol"], fill["side"]] += fill["last_qty"]
        assert fill["last_px"] == 100
    for cl_ord_id, row in orders.items():
        assert row["cum_qty"] == by_order[row["order_id"]] == told[cl_ord_id], cl_ord_id
    for symbol in ("MSFT", "IBM"):
        assert by_side[symbol, "1"] == by_side[symbol, "2"], f"one side of a {symbol} trade is missing"
    assert sum(by_side.values()) > 0
    assert all(p["qty"] == 0 for p in positions)  # one account trading with itself


def test_internal_venue_when_orders_trade_then_its_books_in_the_gateway_follow_and_never_go_stale(
    system: System,
) -> None:
    """The internal venue publishes its books in process: after each order they equal its matching engine's."""
    pool = system.gateway.ems._venues[VenueId("POOL")]
    assert isinstance(pool, InternalVenue)
    books = system.gateway.market.books
    rng = random.Random(18)
    for n in range(40):
        side = rng.choice((Side.BUY, Side.SELL))
        price = Decimal("100.00") + Decimal(rng.randint(-3, 3)) / 100
        system.client.send_order(f"IB-{n}", "IBM", side, Decimal(rng.choice((100, 300, 600))), price)
        report(system.client, f"IB-{n}")
        with system.gateway.bus.entered():  # the engine is changed only under the bus's lock
            bids, asks = pool.exchange.engine.book("IBM").depth()
        assert books.depth(Symbol("IBM"), 0, venue=VenueId("POOL")) == (bids, asks), f"after order {n}"
    stale = books.check_stale(time.time_ns() + 10 * 60 * 1_000_000_000)  # ten minutes on: still not stale
    assert (VenueId("POOL"), Symbol("IBM")) not in stale and books.mid("IBM")[0] is not None
