"""``fixgw demo --strategy``: the venue simulator with its order flow on, the gateway, and the market maker MM1
quoting MSFT for N seconds; then what it did: quotes, fills, inventory, P&L, each checked against the book of
record."""

from __future__ import annotations

import threading
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from app.config import FlowConfig, GatewayConfig
from app.demo import DemoFailed, eventually, prepare
from app.gateway import Gateway
from app.strategy_cli import render
from app.venue import VenueServer
from domain.enums import Side
from domain.latency import ticks
from oms.store import repository
from strategy.config import MarketMakerConfig

NAME = "MM1"
SYMBOL = "MSFT"
FLOW = FlowConfig(enabled=True, seed=7, step_ms=100, vol_bps_per_sqrt_s=4.0, taker_rate_per_s=3.0)
"""Livelier than the simulator's defaults, so that a short demo sees the maker requote and get filled."""
MAKER = MarketMakerConfig(
    kind="market_maker",
    account=NAME,
    symbol=SYMBOL,
    size=Decimal(100),
    half_spread_ticks=2,
    skew_ticks_per_lot=Decimal(1),
    max_inventory=Decimal(500),
    enabled=True,
)


def demo_config(config: GatewayConfig) -> GatewayConfig:
    """The demo's settings with the simulator's flow on and MM1 started with the gateway."""
    return config.model_copy(
        update={
            "simulator": config.simulator.model_copy(update={"flow": FLOW}),
            "strategies": {NAME: MAKER},
        }
    )


def run_strategy_demo(
    console: Console, work: Path, seconds: float, client_port: int | None = None, venue_port: int | None = None
) -> None:
    """Run the market maker against the simulator's flow; raise DemoFailed when its book does not add up."""
    config, gateway_sessions, venue_sessions = prepare(work, client_port, venue_port)
    config = demo_config(config)
    venue = VenueServer(config.simulator, venue_sessions)
    gateway = Gateway(config, gateway_sessions)
    venue.start()
    gateway.start()
    try:
        if not gateway.venues.app.wait_for_logon(timeout=10):
            raise DemoFailed("the gateway could not log on to the venue simulator")
        if not eventually(lambda: gateway.strategies.status(NAME).get("runner") == "running"):
            raise DemoFailed(f"{NAME} did not start: {gateway.strategies.status(NAME)}")
        console.print(f"[bold]venue simulator (with its order flow) and gateway up; {NAME} quotes {SYMBOL}[/bold]")
        ticks.reset()
        _watch(console, gateway, seconds)
        if not gateway.strategies.stop(NAME):
            raise DemoFailed(f"{NAME} did not stop within its stop timeout")
        gateway.journal.flush()
        shown = gateway.strategies.status(NAME) | {"tick_to_trade": ticks.summary()}
        console.print(render(shown))
        _check(console, gateway, shown)
    finally:
        gateway.stop()
        venue.stop()


def _watch(console: Console, gateway: Gateway, seconds: float) -> None:
    """A line a second: the market, the maker's quotes, inventory and P&L."""
    table = Table(title=f"{NAME} on {SYMBOL}, each second")
    for column in ("s", "market mid", "bid", "ask", "inventory", "fills", "P&L", "sent (new/replace/cancel)"):
        table.add_column(column, justify="right")
    start = time.monotonic()
    second = threading.Event()
    while (elapsed := time.monotonic() - start) < seconds:
        second.wait(min(1.0, seconds - elapsed))  # a demo paces itself: one line a second
        status = gateway.strategies.status(NAME)
        quotes, sent = status.get("quotes") or {}, status.get("sent") or {}
        table.add_row(
            f"{time.monotonic() - start:.0f}",
            str(status.get("mid") or "-"),
            _price(quotes.get("buy")),
            _price(quotes.get("sell")),
            str(status.get("inventory")),
            str(status.get("fills")),
            str(status.get("pnl")),
            f"{sent.get('new', 0)}/{sent.get('replace', 0)}/{sent.get('cancel', 0)}",
        )
    console.print(table)


def _price(quote: dict[str, Any] | None) -> str:
    return "-" if not quote else f"{quote['price']} ({quote['status']})"


def _check(console: Console, gateway: Gateway, shown: dict[str, Any]) -> None:
    """Its inventory and realized P&L are the book of record's position, and the fold of its fills there."""
    orders = [o for o in repository.load_orders(gateway.db) if o["session"] == f"STRATEGY:{NAME}"]
    fills = [e for o in orders for e in repository.load_executions(gateway.db, o["order_id"])]
    net = sum((e["last_qty"] if e["side"] == Side.BUY.value else -e["last_qty"] for e in fills), Decimal(0))
    position = next((p for p in repository.load_positions(gateway.db) if p["account"] == NAME), None)
    held = position["qty"] if position else Decimal(0)
    realized = position["realized_pnl"] if position else Decimal(0)
    if not (Decimal(shown["inventory"]) == held == net):
        raise DemoFailed(f"{NAME} holds {shown['inventory']}, the book {held}, its fills add up to {net}")
    if Decimal(shown["realized_pnl"]) != realized:
        raise DemoFailed(f"{NAME}'s realized P&L {shown['realized_pnl']} is not the book's {realized}")
    if any(o["status"] in ("0", "1", "A") for o in orders):
        raise DemoFailed(f"{NAME} stopped with orders still working")
    console.print(
        f"  {len(orders)} orders booked under STRATEGY:{NAME} (account {NAME}), {len(fills)} fills; "
        f"inventory {held} = the book's position = the fold of its fills; realized P&L {realized}"
    )
