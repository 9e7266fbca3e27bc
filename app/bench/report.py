"""Summaries of ``fixgw bench`` runs: medians over runs, latency percentiles, ratios to the baseline."""

from __future__ import annotations

import math
import os
import platform
import statistics
from collections import Counter
from collections.abc import Iterable
from typing import Any

from app.bench.loadgen import LoadResult
from app.bench.runner import BenchPlan, SystemResult

PERCENTILES = (50.0, 90.0, 99.0, 99.9)


def percentile(sorted_values: list[int], pct: float) -> int:
    """Nearest-rank percentile of already sorted values (0 for none)."""
    if not sorted_values:
        return 0
    rank = max(1, math.ceil(pct / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def latency_us(values: Iterable[int]) -> dict[str, float]:
    """p50/p90/p99/p99.9 and max in µs of ns latencies (unanswered orders, marked -1, are left out)."""
    ordered = sorted(v for v in values if v >= 0)
    out = {f"p{pct:g}": percentile(ordered, pct) / 1000 for pct in PERCENTILES}
    out["max"] = (ordered[-1] if ordered else 0) / 1000
    out["samples"] = len(ordered)
    return out


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


def _median_latency(runs: list[LoadResult], which: str) -> dict[str, float]:
    """Each percentile's median over the runs (so one noisy run moves no figure)."""
    per_run = [latency_us(getattr(r, which)) for r in runs]
    if not per_run:
        return {}
    return {key: _median([run[key] for run in per_run]) for key in per_run[0]}


def summarise(result: SystemResult) -> dict[str, Any]:
    """The figures of one system, for JSON and for the table."""
    throughput = result.throughput
    summary: dict[str, Any] = {
        "system": result.name,
        "orders_per_s": _median([r.orders_per_s for r in throughput]),
        "acks_per_s": _median([r.acks_per_s for r in throughput]),
        "orders_per_s_runs": [round(r.orders_per_s) for r in throughput],
        "window": throughput[0].window if throughput else None,
        "ack_latency_us": _median_latency(result.latency, "ack_latency_ns"),
        "fill_latency_us": _median_latency(result.latency, "fill_latency_ns"),
        "server_cpu_us_per_order": result.server_cpu_s * 1e6 / result.server_orders if result.server_orders else 0.0,
        "generator_cpu_us_per_order": _median([r.generator_cpu_s * 1e6 / r.orders for r in throughput]),
        "rejected": sum(r.rejected for r in (*throughput, *result.latency, *result.open_loop)),
        "session_rejects": sum(r.session_rejects for r in (*throughput, *result.latency, *result.open_loop)),
        "memory": _memory(result.rss_kb),
        "hops": result.hops,
    }
    texts = sum((r.reject_texts for r in (*throughput, *result.latency, *result.open_loop)), start=Counter[str]())
    if texts:
        summary["reject_texts"] = dict(texts.most_common(3))
    if result.scrapes:
        summary["scrapes"] = _scrapes(result.scrapes)
    if result.open_loop:
        summary["open_loop"] = {
            "rate": result.open_loop[0].rate,
            "ack_latency_us": _median_latency(result.open_loop, "ack_latency_ns"),
            "fill_latency_us": _median_latency(result.open_loop, "fill_latency_ns"),
        }
    return summary


def _scrapes(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """How the scrapes of /metrics went: how many, their size, and their time in ms (p50 and max) as the scraper saw
    it and as the gateway measured it (wall, and CPU of its serving thread: the time it held the GIL)."""
    done = [r for r in rows if "error" not in r]

    def ms(key: str) -> dict[str, float]:
        values = sorted(1000 * r[key] for r in done if r.get(key))  # the first scrape has no previous one
        return {"p50": _median(values), "max": values[-1] if values else 0.0}

    return {
        "scrapes": len(done),
        "errors": len(rows) - len(done),
        "bytes": _median([float(r["bytes"]) for r in done]),
        "client_wall_ms": ms("wall_s"),
        "server_wall_ms": ms("previous_server_wall_s"),
        "server_cpu_ms": ms("previous_server_cpu_s"),
    }


def _memory(samples: list[tuple[int, int]]) -> dict[str, Any]:
    """RSS at the start and end of the throughput runs, its peak, and its growth per 100,000 orders.

    The growth is measured from the end of the first tenth of the orders (caches and pools warm up there) to
    the end, so a flat profile shows as a figure near zero whatever the starting size.
    """
    if len(samples) < 2:
        return {}
    total = samples[-1][0] - samples[0][0]
    settled = next((s for s in samples if s[0] - samples[0][0] >= total / 10), samples[0])
    orders = samples[-1][0] - settled[0]
    growth = (samples[-1][1] - settled[1]) * 100_000 / orders if orders else 0.0
    return {
        "rss_start_mb": samples[0][1] / 1024,
        "rss_end_mb": samples[-1][1] / 1024,
        "rss_peak_mb": max(s[1] for s in samples) / 1024,
        "growth_kb_per_100k_orders": growth,
        "orders": total,
    }


def document(plan: BenchPlan, results: list[SystemResult]) -> dict[str, Any]:
    """The whole report: plan, machine, each system, and ratios to the baseline."""
    systems = [summarise(r) for r in results]
    by_name = {s["system"]: s for s in systems}
    baseline = by_name.get("baseline")
    ratios = {}
    if baseline and baseline["orders_per_s"]:
        for s in systems:
            if s is not baseline:
                ratios[s["system"]] = {
                    "orders_per_s": s["orders_per_s"] / baseline["orders_per_s"],
                    "ack_p50": _ratio(s["ack_latency_us"].get("p50"), baseline["ack_latency_us"].get("p50")),
                }
    return {
        "plan": {
            "orders": plan.orders,
            "latency_orders": plan.latency_orders,
            "window": plan.window,
            "runs": plan.runs,
            "warmup": plan.warmup,
            "rate": plan.rate,
            "scrape_every_s": plan.scrape_every_s,
        },
        "machine": machine(),
        "systems": systems,
        "ratio_to_baseline": ratios,
    }


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a and b else None


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    try:
        with open("/proc/loadavg") as f:
            load = f.read().split()[:3]
    except OSError:
        load = []
    return {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
        "loadavg_at_end": load,
    }
