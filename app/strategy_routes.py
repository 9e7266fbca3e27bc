"""Admin API routes for the gateway's strategies, and the tick-to-trade timings of their orders."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from app.admin import Route
from domain.latency import ticks
from strategy.errors import StrategyStateError, UnknownStrategy

if TYPE_CHECKING:
    from app.gateway import Gateway

Answer = tuple[int, dict[str, Any]]


def strategy_routes(gateway: Gateway) -> dict[tuple[str, str], Route]:
    """The routes, bound to a gateway."""
    engine = gateway.strategies
    return {
        ("GET", "/strategies"): lambda _: (200, {"strategies": engine.summary()}),
        ("GET", "/strategies/{name}"): lambda p: _answer(lambda: show(gateway, p["name"])),
        ("POST", "/strategies/{name}/start"): lambda p: _answer(lambda: start(gateway, p["name"])),
        ("POST", "/strategies/{name}/stop"): lambda p: _answer(lambda: stop(gateway, p["name"])),
        ("GET", "/metrics/ticks"): lambda _: tick_to_trade(gateway),
        ("POST", "/metrics/ticks/reset"): lambda _: reset_ticks(),
    }


def show(gateway: Gateway, name: str) -> dict[str, Any]:
    """State, quotes, inventory, P&L, refusals by kind, conflations; and the tick-to-trade of every strategy's
    orders."""
    return gateway.strategies.status(name) | {"tick_to_trade": ticks.summary()}


def start(gateway: Gateway, name: str) -> dict[str, Any]:
    """Start a strategy: whatever an earlier run left working is canceled first."""
    gateway.strategies.start(name)
    return {"name": name, "result": f"strategy {name} started"}


def stop(gateway: Gateway, name: str) -> dict[str, Any]:
    """Stop a strategy and cancel its working orders; wait (a few seconds at most) for the cancels."""
    ended = gateway.strategies.stop(name)
    status = gateway.strategies.status(name)
    working = [q for q in status.get("quotes", {}).values() if q]
    result = f"strategy {name} stopped" if ended else f"strategy {name} still stopping"
    return {"name": name, "result": result, "stopped": ended, "working": working}


def tick_to_trade(gateway: Gateway) -> Answer:
    """Tick-to-trade per hop (``domain.latency.ticks``): market data message arrived -> order sent to its venue."""
    gateway.journal.flush()  # what was appended is sent first: the samples are taken at the send
    return 200, {"ticks": ticks.summary()}


def reset_ticks() -> Answer:
    """Forget the tick-to-trade timings (e.g. after a warm-up)."""
    ticks.reset()
    return 200, {"reset": True}


def _answer(act: Callable[[], dict[str, Any]]) -> Answer:
    try:
        return 200, act()
    except UnknownStrategy as exc:
        return 404, {"error": str(exc)}
    except StrategyStateError as exc:
        return 409, {"error": str(exc)}
