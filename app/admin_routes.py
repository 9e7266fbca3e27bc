"""Admin API routes of the gateway itself: health, the order path's hop timings, an operator's cancel."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from app.admin import Route
from domain.errors import OrderNotWorking, UnknownOrder
from domain.ids import OrderId, SessionKey
from domain.latency import hops

if TYPE_CHECKING:
    from app.gateway import Gateway

Answer = tuple[int, dict[str, Any]]


def gateway_routes(gateway: Gateway) -> dict[tuple[str, str], Route]:
    """The routes, bound to a gateway."""
    return {
        ("GET", "/health"): lambda _: health(gateway),
        ("GET", "/metrics/hops"): lambda _: hop_timings(gateway),
        ("POST", "/metrics/hops/reset"): lambda _: reset_hops(),
        ("POST", "/orders/{order_id}/cancel"): lambda params: cancel(gateway, OrderId(params["order_id"])),
    }


def health(gateway: Gateway) -> Answer:
    """Whether each venue can take orders (a FIX venue: its session is logged on) and the book can commit: 503
    while it cannot (new orders are refused meanwhile)."""
    venues = {
        name: gateway.venues.app.is_logged_on(SessionKey(v.session)) if v.session else True
        for name, v in gateway.config.venues.items()
    }
    journal = gateway.journal.health()
    ok = journal["state"] == "ok"
    return (200 if ok else 503), {"status": "ok" if ok else "degraded", "venues": venues, "journal": journal}


def hop_timings(gateway: Gateway) -> Answer:
    """The order path's per-hop latency (``domain.latency``)."""
    # What was appended so far is delivered first: a batch's encode+send is recorded after it has left.
    gateway.journal.flush()
    return 200, {"hops": hops.summary()}


def reset_hops() -> Answer:
    """Forget the hop timings (e.g. after a warm-up)."""
    hops.reset()
    return 200, {"reset": True}


def cancel(gateway: Gateway, order_id: OrderId) -> Answer:
    """Cancel a working order on an operator's word: 202, or 404 / 409 saying why not."""
    try:
        with gateway.bus.entered():
            gateway.oms.cancel_by_operator(order_id)
    except UnknownOrder as exc:
        return 404, {"error": str(exc)}
    except OrderNotWorking as exc:
        return 409, {"error": str(exc)}
    return 202, {"order_id": order_id, "result": "cancel sent to the venue"}
