"""What a scrape of ``GET /metrics`` costs the gateway (issue 16: it must not disturb trading).

Two parts:

``--part pieces``: in process, no sockets. A gateway on the internal venue (``bench/inprocess_bench.py``'s, its
journal writer running) takes N orders, then its registry is rendered as a scrape renders it. Reported: the scrape's
wall and CPU time (CPU of this thread: its hold on the GIL), how many pieces it was cut into (the GIL is given back
between pieces, ``app/metrics/pacing.py``) and the longest piece: the longest an order arriving meanwhile can wait
for it. N = 2,500 is a one-second scrape interval at this machine's rate; N = 20,000 a slow scraper.

``--part probe``: why the pieces: a thread that sleeps 0.2 ms in a loop, beside 3 ms of Python done in one go or in
ten pieces with the GIL given back between them; the sleeper's worst lateness.

``--part ab``: ``fixgw bench --system external`` (the whole path over FIX sessions, the venue simulator behind it)
run in pairs, without (A) and with (B) a scraper process reading /metrics every second during the measured runs,
A B A B ...; reported per run: ack p50/p90/p99 at window 1, orders/s at window 100, and the scrapes' times as the
gateway measured them. The target: B's ack p50 within 5% of A's.

``--part inprocess``: the same comparison without sockets on the order path, so that other processes' load moves
both sides alike: blocks of orders driven one at a time through the in-process gateway (each order timed from its
``fromApp`` to the end of the synchronous chain: decode, OMS, risk, EMS, the internal venue), without (A) and with
(B) a scraper process reading the gateway's /metrics over HTTP every second, A B A B ...

    .venv/bin/python bench/metrics_scrape.py --part pieces
    .venv/bin/python bench/metrics_scrape.py --part probe
    .venv/bin/python bench/metrics_scrape.py --part ab [--pairs 4]
    .venv/bin/python bench/metrics_scrape.py --part inprocess [--pairs 6 --block 10]
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
import threading
import time
from collections.abc import Callable
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


# -- probe -------------------------------------------------------------------------------------------------------


def probe(repeats: int) -> None:
    """Why the scrape works in pieces: 3 ms of Python in one go, or in ten pieces with ``yield_gil`` between them,
    beside a thread that sleeps 0.2 ms in a loop (as an order path waiting on its socket would): its worst lateness."""
    print(f"$ bench/metrics_scrape.py --part probe   (load {_load()})")

    def work(pieces: int, between: Callable[[], None] | None) -> None:
        for _ in range(pieces):
            end = time.perf_counter() + 0.003 / pieces
            while time.perf_counter() < end:
                pass
            if between is not None:
                between()

    def sleeper(stop: threading.Event, worst: list[float]) -> None:
        while not stop.is_set():
            started = time.perf_counter()
            time.sleep(0.0002)
            worst[0] = max(worst[0], time.perf_counter() - started - 0.0002)

    for name, pieces, between in (("in one go", 1, None), ("in ten pieces", 10, pacing.yield_gil)):
        late = []
        for _ in range(repeats):
            stop, worst = threading.Event(), [0.0]
            thread = threading.Thread(target=sleeper, args=(stop, worst))
            thread.start()
            time.sleep(0.05)
            work(pieces, between)
            stop.set()
            thread.join()
            late.append(worst[0] * 1e3)
        print(f"3 ms of work {name}: the sleeper's worst lateness (ms) {' '.join(f'{x:.2f}' for x in late)}")


# -- inprocess ---------------------------------------------------------------------------------------------------


def inprocess(pairs: int, block_s: float) -> None:
    """Blocks of ``block_s`` of orders one at a time through the in-process path, without (A) and with (B) a scraper
    process reading /metrics every second, A B A B ...: the same process and the same minutes for both."""
    print(f"$ bench/metrics_scrape.py --part inprocess --pairs {pairs} --block {block_s:g}   (load {_load()})")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        gateway = inprocess_bench.build(work)
        gateway.journal._deliver = inprocess_bench.encode_only  # type: ignore[assignment]
        gateway.journal.start()
        server = MetricsServer("127.0.0.1:0", gateway_collectors(gateway), "bench")
        server.start()
        session_id = quickfix.SessionID("FIX.4.4", "FIXGW", "CLIENT1")
        app = gateway.clients.app
        run = 0

        def block(scraping: bool) -> dict[str, float]:
            nonlocal run
            run += 1
            scraper = None
            if scraping:
                args = [sys.executable, "-c", "from app.bench.scraper import main; main()", server.url, "1"]
                scraper = subprocess.Popen([*args, str(work / f"scrapes{run}.jsonl")], cwd=ROOT)
            took: list[int] = []
            deadline = time.monotonic() + block_s
            while time.monotonic() < deadline:
                for message in inprocess_bench.orders(run * 1_000 + len(took) // 1_000, 1_000):
                    started = time.perf_counter_ns()
                    app._from_app(message=message, session_id=session_id)
                    took.append(time.perf_counter_ns() - started)
            if scraper is not None:
                scraper.terminate()
                scraper.wait()
            gateway.journal.flush(timeout=300)
            took.sort()
            scrapes = 0
            if scraping:
                scrapes = sum(1 for _ in (work / f"scrapes{run}.jsonl").open())
            return {"p50": took[len(took) // 2] / 1e3, "p99": took[len(took) * 99 // 100] / 1e3,
                    "max": took[-1] / 1e3, "orders": len(took), "scrapes": scrapes}  # fmt: skip

        block(False)  # warm-up
        rows: dict[str, list[dict[str, float]]] = {"A": [], "B": []}
        for pair in range(pairs):
            for side in ("A", "B"):
                r = block(side == "B")
                rows[side].append(r)
                print(f"pair {pair + 1} {side}: order path p50 {r['p50']:,.1f} µs p99 {r['p99']:,.1f} max "
                      f"{r['max']:,.0f}  ({r['orders']:,.0f} orders, {r['scrapes']:.0f} scrapes, load {_load()})",
                      flush=True)  # fmt: skip
        server.stop()
        gateway.journal.stop()
        gateway.db.dispose()
    for key in ("p50", "p99"):
        a, b = (statistics.median(r[key] for r in rows[side]) for side in ("A", "B"))
        print(f"median over pairs: {key} A {a:,.1f} µs, B {b:,.1f} µs: B moved it {100 * (b - a) / a:+.1f}%")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("pieces", "probe", "ab", "inprocess"), required=True)
    parser.add_argument("--block", type=float, default=10.0, help="inprocess: seconds of orders per block")
    parser.add_argument("--pairs", type=int, default=4, help="ab: A/B pairs")
    parser.add_argument("--repeats", type=int, default=3, help="pieces: scrapes at each N")
    args = parser.parse_args()
    if args.part == "pieces":
        pieces(args.repeats)
    elif args.part == "probe":
        probe(args.repeats + 2)
    elif args.part == "inprocess":
        inprocess(args.pairs, args.block)
    else:
        ab(args.pairs)


if __name__ == "__main__":
    main()
