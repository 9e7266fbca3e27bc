"""Admin API route over adaptive routing: ``GET /routing``, what ``fixgw routing scores`` shows.

The answer::

    {"adaptive": bool, "policy": {...[routing.adaptive]...},
     "symbols": {"MSFT": {"incumbent": "POOL_A" | null, "scores": [{"venue", "cost_bps", "n", "fills",
                 "slippage_bps", "fee_bps", "markout_bps", "reject_rate", "ts_ns", "trusted"}, ...]}},
     "engine": {"pending_markouts": int, "unmarked": int}}

Figures in bps are decimal strings (null while unknown). ``trusted``: n >= min_samples and a cost, so the router
uses it. ``incumbent`` is null during the warm-up (the default venue then takes the flow).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgspec

from app.admin import Route

if TYPE_CHECKING:
    from app.gateway import Gateway

Answer = tuple[int, dict[str, Any]]


def routing_routes(gateway: Gateway) -> dict[tuple[str, str], Route]:
    """The route, bound to a gateway."""
    return {("GET", "/routing"): lambda _: routing(gateway)}


def routing(gateway: Gateway) -> Answer:
    """The adaptive router's latest scores and incumbents, and the live TCA engine's backlog."""
    adaptive, tca = gateway.router.adaptive, gateway.tca
    config = gateway.config.routing.adaptive
    if adaptive is None or tca is None:
        return 200, {"adaptive": False, "policy": config.model_dump(mode="json"), "symbols": {}, "engine": {}}
    with gateway.bus.lock:  # the router and the engine change on the domain's thread
        scores = adaptive.scores()
        incumbents = {symbol: adaptive.incumbent(symbol) for symbol in scores}
        engine = {"pending_markouts": tca.pending(), "unmarked": tca.unmarked}
    symbols = {
        symbol: {
            "incumbent": incumbents[symbol],
            "scores": [
                msgspec.to_builtins(s) | {"trusted": s.cost_bps is not None and s.n >= config.min_samples}
                for s in listed
            ],
        }
        for symbol, listed in sorted(scores.items())
    }
    return 200, {"adaptive": True, "policy": config.model_dump(mode="json"), "symbols": symbols, "engine": engine}
