"""What a scrape of ``GET /metrics`` costs the gateway (issue 16: it must not disturb trading).

Two parts:

``--part pieces``: in process, no sockets. A gateway on the internal venue (``bench/inprocess_bench.py``'s, its
journal writer running) takes N orders, then its registry is rendered as a scrape renders it. Reported: the scrape's
wall and CPU time (CPU of this thread: its hold on the GIL), how many pieces it was cut into (the GIL is given back
between pieces, ``app/metrics/pacing.py``) and the longest piece: the longest an order arriving meanwhile can wait
for it. N = 2,500 is a one-second scrape interval at this machine's rate; N = 20,000 a slow scraper.

``--part ab``: ``fixgw bench --system external`` (the whole path over FIX sessions, the venue simulator behind it)
run in pairs, without (A) and with (B) a scraper process reading /metrics every second during the measured runs,
A B A B ...; reported per run: ack p50/p90/p99 at window 1, orders/s at window 100, and the scrapes' times as the
gateway measured them. The target: B's ack p50 within 5% of A's.

    .venv/bin/python bench/metrics_scrape.py --part pieces
    .venv/bin/python bench/metrics_scrape.py --part ab [--pairs 4]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import quickfix
from prometheus_client import generate_latest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import inprocess_bench

from app.metrics import hops as hop_metrics
from app.metrics import pacing
from app.metrics.gateway import gateway_collectors
from app.metrics.server import MetricsServer

ROOT = Path(__file__).resolve().parent.parent
AB_PLAN = ["--orders", "5000", "--latency-orders", "3000", "--runs", "3", "--warmup", "500"]


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


# -- pieces ------------------------------------------------------------------------------------------------------


def _timed_scrape(server: MetricsServer) -> dict[str, float]:
    marks: list[tuple[float, float]] = []

    def mark() -> None:
        marks.append((time.perf_counter(), time.thread_time()))

    original = pacing.yield_gil
    pacing.yield_gil = hop_metrics.yield_gil = mark  # type: ignore[assignment]
    try:
        start = (time.perf_counter(), time.thread_time())
        body = generate_latest(server.registry)
        end = (time.perf_counter(), time.thread_time())
    finally:
        pacing.yield_gil = hop_metrics.yield_gil = original  # type: ignore[assignment]
    edges = [start, *marks, end]
    return {
        "wall_ms": (end[0] - start[0]) * 1e3,
        "cpu_ms": (end[1] - start[1]) * 1e3,
        "pieces": len(edges) - 1,
        # CPU: the work of the longest piece; wall: with the time the OS ran other processes meanwhile (2 shared cores)
        "longest_cpu_ms": max(b[1] - a[1] for a, b in itertools.pairwise(edges)) * 1e3,
        "longest_wall_ms": max(b[0] - a[0] for a, b in itertools.pairwise(edges)) * 1e3,
        "bytes": len(body),
    }


def pieces(repeats: int) -> None:
    """Scrapes of a gateway that took N orders since the previous one."""
    print(f"$ bench/metrics_scrape.py --part pieces   (load {_load()})")
    with tempfile.TemporaryDirectory() as tmp:
        gateway = inprocess_bench.build(Path(tmp))
        gateway.journal._deliver = inprocess_bench.encode_only  # type: ignore[assignment]
        gateway.journal.start()
        server = MetricsServer("127.0.0.1:0", gateway_collectors(gateway), "bench")
        run = 0

        def drive(count: int) -> None:
            nonlocal run
            run += 1
            session_id = quickfix.SessionID("FIX.4.4", "FIXGW", "CLIENT1")
            for message in inprocess_bench.orders(run, count):
                gateway.clients.app._from_app(message=message, session_id=session_id)
            gateway.journal.flush(timeout=300)

        drive(2_000)
        _timed_scrape(server)  # the first scrape reads the warm-up's samples
        for count in (2_500, 20_000):
            rows = []
            for _ in range(repeats):
                drive(count)
                rows.append(_timed_scrape(server))
            figures = "  ".join(
                f"{key} median {statistics.median(r[key] for r in rows):,.2f} max {max(r[key] for r in rows):,.2f}"
                for key in ("cpu_ms", "wall_ms", "pieces", "longest_cpu_ms", "longest_wall_ms")
            )
            print(f"after {count:>6,} orders: {figures}  bytes {rows[-1]['bytes']:,.0f}")
        server.stop()
        gateway.journal.stop()
        gateway.db.dispose()
    print(f"load at end {_load()}")


# -- ab ----------------------------------------------------------------------------------------------------------


def _bench(scrape: bool) -> dict[str, Any]:
    command = [sys.executable, "-c", "from app.cli import main; main()", "bench", "--system", "external", *AB_PLAN]
    command += ["--json", *(["--scrape-every", "1"] if scrape else [])]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=1800, env=os.environ)
    if done.returncode != 0:
        raise SystemExit(f"fixgw bench failed: {done.stderr[-2000:]}")
    [system] = json.loads(done.stdout)["systems"]
    return system


def ab(pairs: int) -> None:
    """A (no scrape) and B (a scrape a second), interleaved."""
    print(f"$ bench/metrics_scrape.py --part ab --pairs {pairs}   (fixgw bench --system external {' '.join(AB_PLAN)})")
    rows: dict[str, list[dict[str, Any]]] = {"A": [], "B": []}
    for pair in range(pairs):
        for side in ("A", "B"):
            load = _load()
            s = _bench(scrape=side == "B")
            rows[side].append(s)
            ack, scrapes = s["ack_latency_us"], s.get("scrapes")
            line = (
                f"pair {pair + 1} {side}: ack p50 {ack['p50']:,.0f} µs p90 {ack['p90']:,.0f} p99 {ack['p99']:,.0f}"
                f"  orders/s {s['orders_per_s']:,.0f}  load {load}"
            )
            if scrapes:
                cpu, wall = scrapes["server_cpu_ms"], scrapes["server_wall_ms"]
                line += (
                    f"  | {scrapes['scrapes']} scrapes, {scrapes['bytes']:,.0f} B: gateway CPU p50 {cpu['p50']:.2f}"
                    f" ms max {cpu['max']:.2f}; wall p50 {wall['p50']:.2f} ms max {wall['max']:.2f}"
                )
            print(line, flush=True)
    a = statistics.median(r["ack_latency_us"]["p50"] for r in rows["A"])
    b = statistics.median(r["ack_latency_us"]["p50"] for r in rows["B"])
    print(f"median over pairs: ack p50 A {a:,.0f} µs, B {b:,.0f} µs: B moved it {100 * (b - a) / a:+.1f}%")
    deltas = [
        100 * (rb["ack_latency_us"]["p50"] - ra["ack_latency_us"]["p50"]) / ra["ack_latency_us"]["p50"]
        for ra, rb in zip(rows["A"], rows["B"], strict=True)
    ]
    print(f"per pair (B - A) / A: {' '.join(f'{d:+.1f}%' for d in deltas)}; load at end {_load()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("pieces", "ab"), required=True)
    parser.add_argument("--pairs", type=int, default=4, help="ab: A/B pairs")
    parser.add_argument("--repeats", type=int, default=3, help="pieces: scrapes at each N")
    args = parser.parse_args()
    if args.part == "pieces":
        pieces(args.repeats)
    else:
        ab(args.pairs)


if __name__ == "__main__":
    main()
