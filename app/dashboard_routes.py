"""Admin API routes the dashboard reads besides the CLI's: the risk denials by check since the gateway started
(``GET /risk/denials``) and each hop's recent latency, percentiles and histogram (``GET /metrics/hops/recent``).

Why not ``GET /metrics/hops`` for a page that asks every few seconds: it sorts each hop's whole ring (131072
samples), about 45 ms of the GIL per hop once the rings are full (357 ms for the eight hops, measured), and the
order path waits for the GIL meanwhile. The newest ``RECENT_SAMPLES`` cost about 1 ms a hop, and are what an
operator watching now wants to see.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from typing import TYPE_CHECKING, Any, Final

from app.admin import Route
from domain.latency import HopClock, hops
from risk.checks import CHECKS

if TYPE_CHECKING:
    from app.gateway import Gateway

Answer = tuple[int, dict[str, Any]]
HISTOGRAM_EDGES_US: Final = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000)
"""Upper edges of the histogram's buckets, in µs (1-2-5 steps); one more bucket counts what is above the last."""
RECENT_SAMPLES: Final = 4096
"""How many of each hop's newest samples are summed up: what the order path does now, and a sort small enough
(about a millisecond a hop) not to hold the gateway's GIL for long."""


def dashboard_routes(gateway: Gateway) -> dict[tuple[str, str], Route]:
    """The routes, bound to a gateway."""
    return {
        ("GET", "/risk/denials"): lambda _: denials(gateway),
        ("GET", "/metrics/hops/recent"): lambda _: recent_hops(hops),
    }


def denials(gateway: Gateway) -> Answer:
    """How many orders, replaces and messages each risk check refused since the gateway started (``oms.counts``,
    as ``fixgw_risk_denials_total`` counts them), and every check's name (``risk.checks.CHECKS``)."""
    return 200, {"denials": dict(gateway.oms.counts.denials), "checks": list(CHECKS)}


def recent_hops(clock: HopClock, recent: int = RECENT_SAMPLES) -> Answer:
    """Per hop, over its ``recent`` newest samples: p50, p99 and max in µs, and how many fall in each bucket of
    ``HISTOGRAM_EDGES_US``; ``count`` is every sample the hop ever had."""
    edges_ns = [edge * 1000 for edge in HISTOGRAM_EDGES_US]
    summed: dict[str, dict[str, Any]] = {}
    for name, ring in clock.rings().items():
        samples = sorted(ring.recent(recent))
        counts, start = [], 0
        for edge in edges_ns:
            end = bisect_right(samples, edge, lo=start)
            counts.append(end - start)
            start = end
        summed[name] = {
            "count": ring.count,
            "p50": _percentile(samples, 50),
            "p99": _percentile(samples, 99),
            "max": samples[-1] / 1000 if samples else 0.0,
            "buckets": [*counts, len(samples) - start],
        }
    return 200, {"edges_us": list(HISTOGRAM_EDGES_US), "recent": recent, "hops": summed}


def _percentile(ordered: list[int], pct: int) -> float:
    """The nearest-rank percentile of ordered ns samples, in µs (as ``domain.latency.Ring.summary``)."""
    return ordered[max(1, math.ceil(pct / 100 * len(ordered))) - 1] / 1000 if ordered else 0.0
