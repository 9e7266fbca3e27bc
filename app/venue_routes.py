"""Admin API routes for the gateway's venues: each venue's kind and, for an internal one, its behaviour, which an
operator (``fixgw venues set``) or a test can change while the gateway runs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from app.admin import Route
from app.internal_venues import UnknownVenue

if TYPE_CHECKING:
    from app.gateway import Gateway

Answer = tuple[int, dict[str, Any]]


def venue_routes(gateway: Gateway) -> dict[tuple[str, str], Route]:
    """The routes, bound to a gateway."""
    return {
        ("GET", "/venues"): lambda _: (200, {"venues": venues(gateway)}),
        ("POST", "/venues/{name}/behaviour"): lambda body: set_behaviour(gateway, body.pop("name"), body),
        ("POST", "/venues/swap"): lambda body: swap(gateway, body),
    }


def venues(gateway: Gateway) -> dict[str, dict[str, Any]]:
    """Every configured venue: a FIX venue's session (its behaviour is its simulator's), an internal one's behaviour."""
    internal = gateway.internal.describe()
    return {
        name: internal.get(name, {"kind": "fix", "session": v.session}) for name, v in gateway.config.venues.items()
    }


def set_behaviour(gateway: Gateway, name: str, changes: dict[str, Any]) -> Answer:
    """Change some behaviour settings of an internal venue: 200 with what is now in force, 404 or 400 saying why
    not."""
    if name in gateway.config.venues and gateway.config.venues[name].kind == "fix":
        return 409, {"error": f"{name} is a FIX venue: change its simulator's behaviour (fixgw venue-behaviour)"}
    try:
        gateway.internal.set_behaviour(name, changes)
    except UnknownVenue as exc:
        return 404, {"error": str(exc)}
    except ValueError as exc:
        return 400, {"error": str(exc)}
    return 200, {"name": name} | gateway.internal.describe()[name]


def swap(gateway: Gateway, body: dict[str, Any]) -> Answer:
    """Exchange two internal venues' behaviours at once: body ``{"venues": ["A", "B"]}``."""
    names = body.get("venues")
    if not (isinstance(names, list) and len(names) == 2 and all(isinstance(n, str) for n in names)):
        return 400, {"error": 'give the two venues to swap: {"venues": ["A", "B"]}'}
    try:
        gateway.internal.swap(names[0], names[1])
    except UnknownVenue as exc:
        return 404, {"error": str(exc)}
    except ValueError as exc:
        return 400, {"error": str(exc)}
    described = gateway.internal.describe()
    return 200, {"venues": {name: described[name] for name in names}}
