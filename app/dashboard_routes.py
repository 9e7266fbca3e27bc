"""Admin API routes the dashboard reads that the gateway did not have: every FIX session's state and counters
(``GET /sessions``) and each hop's recent latency as a histogram (``GET /metrics/hops/histogram``).

``GET /sessions`` here is a stand-in (issue 16): the admin-API work adds the same route with the same answer to
the gateway's own routes. The gateway registers these first, so that one wins once it is there, and this one can
then be removed.
"""

from __future__ import annotations

from bisect import bisect_right
from typing import TYPE_CHECKING, Any, Final

from app.admin import Route
from domain.latency import HopClock, hops

if TYPE_CHECKING:
    from app.gateway import Gateway

Answer = tuple[int, dict[str, Any]]
HISTOGRAM_EDGES_US: Final = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000)
"""Upper edges of the histogram's buckets, in µs (1-2-5 steps); one more bucket counts what is above the last."""
RECENT_SAMPLES: Final = 4096
"""How many of each hop's newest samples the histogram counts: what the order path does now, and a sort small
enough (about a millisecond) not to hold the gateway's GIL for long."""


def dashboard_routes(gateway: Gateway) -> dict[tuple[str, str], Route]:
    """The routes, bound to a gateway."""
    return {
        ("GET", "/sessions"): lambda _: sessions(gateway),
        ("GET", "/metrics/hops/histogram"): lambda _: hop_histogram(hops),
    }


def sessions(gateway: Gateway) -> Answer:
    """Every FIX session of the gateway with its role (client, venue, marketdata), state and counters."""
    apps = (("client", gateway.clients.app), ("venue", gateway.venues.app), ("marketdata", gateway.market.handler.app))
    rows = [{"session": key, "role": role} | stats for role, app in apps for key, stats in sorted(app.stats().items())]
    return 200, {"sessions": rows}


def hop_histogram(clock: HopClock, recent: int = RECENT_SAMPLES) -> Answer:
    """Per hop, how many of its ``recent`` newest samples fall in each bucket of ``HISTOGRAM_EDGES_US``."""
    edges_ns = [edge * 1000 for edge in HISTOGRAM_EDGES_US]
    counted: dict[str, list[int]] = {}
    for name in clock.names():
        samples = sorted(clock.ring(name).recent(recent))
        counts, start = [], 0
        for edge in edges_ns:
            end = bisect_right(samples, edge, lo=start)
            counts.append(end - start)
            start = end
        counted[name] = [*counts, len(samples) - start]
    return 200, {"edges_us": list(HISTOGRAM_EDGES_US), "recent": recent, "hops": counted}
