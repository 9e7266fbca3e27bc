"""Change a simulated venue's behaviour while it runs: the settings merged and validated as the config file's are, and
the admin routes of ``fixgw venue`` (GET/POST /behaviour) that ``fixgw venue-behaviour`` calls."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from app.admin import Route
from app.config import BehaviourConfig
from matching.behaviour import Behaviour, VenueBehaviour
from simulator.venue import VenueSimulator

Answer = tuple[int, dict[str, Any]]
SETTINGS = ("fee_per_share", "fee_bps", "latency_ms", "reject_ratio", "adverse_bps")
"""What can change while a venue runs (its seed cannot: the stream goes on)."""


def updated(current: VenueBehaviour, changes: dict[str, Any]) -> Behaviour:
    """``current``'s settings with ``changes`` applied, validated as ``[... .behaviour]`` is; raise ``ValueError``
    with a one-line message naming the setting."""
    unknown = set(changes) - set(SETTINGS)
    if unknown:
        raise ValueError(f"unknown behaviour setting(s) {sorted(unknown)}; the settings are {', '.join(SETTINGS)}")
    try:
        return BehaviourConfig.model_validate(current.settings.as_dict() | changes).behaviour()
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ValueError(f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}") from None


def describe(behaviour: VenueBehaviour) -> dict[str, Any]:
    """The settings in force, the seed and what the behaviour did so far."""
    counters = behaviour.counters
    return {
        "behaviour": behaviour.settings.as_dict(),
        "seed": behaviour.seed,
        "new_orders": counters.drawn,
        "rejected": counters.rejected,
        "fees": str(counters.fees),
        "adverse_moves": counters.adverse_moves,
        "delayed": counters.delayed,
    }


def venue_routes(simulator: VenueSimulator) -> dict[tuple[str, str], Route]:
    """The simulator's admin routes."""
    return {
        ("GET", "/behaviour"): lambda _: _show(simulator),
        ("POST", "/behaviour"): lambda body: _set(simulator, body),
    }


def _show(simulator: VenueSimulator) -> Answer:
    with simulator.locked():
        return 200, describe(simulator.behaviour)


def _set(simulator: VenueSimulator, changes: dict[str, Any]) -> Answer:
    try:
        simulator.set_behaviour(updated(simulator.behaviour, changes))
    except ValueError as exc:
        return 400, {"error": str(exc)}
    return _show(simulator)
