"""``fixgw demo``: venue simulator, gateway and a scripted client on the embedded defaults, in one process."""

from __future__ import annotations

import queue
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from rich.console import Console

from app.book_routes import book
from app.config import REPO_ROOT, AdminConfig, DatabaseConfig, GatewayConfig, MetricsConfig, load_config
from app.display import orders_table
from app.fixclient import Fields, ScriptedClient, client_sessions
from app.gateway import Gateway
from app.marketdata_cli import render
from app.venue import VenueServer
from domain.enums import OrdStatus, Side
from fixgw.session.settings import SessionsFile
from oms.store import repository


@dataclass(frozen=True)
class Step:
    """One scripted order and the final state it must reach."""

    cl_ord_id: str
    symbol: str
    side: Side
    qty: str
    price: str | None
    expect: OrdStatus
    what: str


STEPS = [
    Step("DEMO-1", "MSFT", Side.BUY, "100", "100.05", OrdStatus.FILLED, "full fill against resting asks"),
    Step(
        "DEMO-2",
        "AAPL",
        Side.BUY,
        "800",
        "100.01",
        OrdStatus.PARTIALLY_FILLED,
        "partial fill: 500 available at 100.01, the rest works on the book",
    ),
    Step("DEMO-3", "IBM", Side.SELL, "200", None, OrdStatus.FILLED, "market sell fills at the best bid"),
    Step("DEMO-4", "MSFT", Side.BUY, "6000", "100.00", OrdStatus.REJECTED, "risk denial: max order quantity"),
    Step("DEMO-5", "IBM", Side.BUY, "4000", "300", OrdStatus.REJECTED, "risk denial: max notional"),
    Step("DEMO-6", "XYZ", Side.BUY, "10", "10", OrdStatus.REJECTED, "unknown symbol"),
]


class DemoFailed(Exception):
    """The demo did not see what it expected."""


def prepare(
    work: Path, client_port: int | None, venue_port: int | None
) -> tuple[GatewayConfig, SessionsFile, SessionsFile]:
    """A fresh work directory; the repository's settings and sessions moved into it, on the ports asked for."""
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    config = load_config(REPO_ROOT / "fixgw.toml")
    admin = AdminConfig(listen="127.0.0.1:0", token_file=str(work / "admin.token"))
    config = config.model_copy(  # no metrics endpoints: the demo stops once it has shown its flow
        update={
            "database": DatabaseConfig(url=f"sqlite:///{work / 'fixgw.db'}"),
            "admin": admin,
            "metrics": MetricsConfig(listen=""),
            "simulator": config.simulator.model_copy(update={"metrics_listen": ""}),
        }
    )
    gateway = SessionsFile.load(REPO_ROOT / "sessions.cfg").relocated(work / "gateway")
    venue = SessionsFile.load(REPO_ROOT / "venue.cfg").relocated(work / "venue")
    if client_port:
        gateway = gateway.with_port("acceptor", client_port)
    if venue_port:
        gateway = gateway.with_port("initiator", venue_port)
        venue = venue.with_port("acceptor", venue_port)
    return config, gateway, venue


def run_demo(console: Console, work: Path, client_port: int | None = None, venue_port: int | None = None) -> None:
    """Run the scripted flow; raise DemoFailed when an order does not end as expected."""
    config, gateway_sessions, venue_sessions = prepare(work, client_port, venue_port)
    venue = VenueServer(config.simulator, venue_sessions)
    gateway = Gateway(config, gateway_sessions)
    client = ScriptedClient(client_sessions(gateway_sessions, "CLIENT1", work / "client"))
    venue.start()
    gateway.start()
    try:
        if not gateway.venues.app.wait_for_logon(timeout=10):
            raise DemoFailed("the gateway could not log on to the venue simulator")
        client.start()
        console.print("[bold]venue simulator, gateway and client are logged on[/bold]")
        for step in STEPS:
            _run_step(console, client, step)
        gateway.journal.flush()
        console.print(orders_table(repository.load_orders(gateway.db)))
        _show_book(console, gateway, client)
    finally:
        client.stop()
        gateway.stop()
        venue.stop()


def _run_step(console: Console, client: ScriptedClient, step: Step) -> None:
    price = Decimal(step.price) if step.price else None
    client.send_order(step.cl_ord_id, step.symbol, step.side, Decimal(step.qty), price)
    wanted = step.expect.value
    try:
        report = client.wait_for(_status_is(step.cl_ord_id, wanted), timeout=10)
    except TimeoutError:
        seen = [(m.get(150), m.get(39), m.get(58)) for m in client.reports_for(step.cl_ord_id)]
        raise DemoFailed(f"{step.cl_ord_id} never reached {step.expect.name}; reports seen: {seen}") from None
    detail = (
        f"cum {report.get(14)} avg {report.get(6)}" if report[39] != "8" else f"103={report.get(103)} {report.get(58)}"
    )
    console.print(f"  {step.cl_ord_id:7} {step.what:65} -> {step.expect.name} ({detail})")


def _show_book(console: Console, gateway: Gateway, client: ScriptedClient) -> None:
    """Subscribe the client to MSFT's consolidated book (35=V) and show it as the gateway holds it."""
    if not eventually(lambda: gateway.market.books.mid("MSFT")[0] is not None):
        raise DemoFailed(f"the gateway has no live MSFT book: {gateway.market.books.mid('MSFT')[1]}")
    client.subscribe("DEMO-MD", ["MSFT"], depth=5)
    try:
        snapshot = _next_market_data(client)
    except queue.Empty:
        raise DemoFailed("no answer to the client's MarketDataRequest DEMO-MD") from None
    if "\x0135=W\x01" not in snapshot or "\x01262=DEMO-MD\x01" not in snapshot:
        raise DemoFailed(f"DEMO-MD: expected a snapshot (35=W), got {snapshot.replace(chr(1), '|')}")
    levels = snapshot.count("\x01269=")
    console.print(f"  DEMO-MD subscribed to MSFT: snapshot (35=W) with {levels} entries, then refreshes (35=X)")
    _, answer = book(gateway.market, frozenset(gateway.config.instruments), {"symbol": "MSFT", "depth": 5})
    console.print(render(answer))


def _next_market_data(client: ScriptedClient, timeout: float = 10.0) -> str:
    return client.market_data.get(timeout=timeout)


def eventually(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    """Wait for ``condition`` (polled: the gateway's threads change it); False after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)  # polling a condition the gateway's threads change
    return True


def _status_is(cl_ord_id: str, status: str) -> Callable[[Fields], bool]:
    return lambda m: m.get(35) == "8" and m.get(11) == cl_ord_id and m.get(39) == status
