"""How long ``fixgw tca`` takes to score a book of 100,000 fills on SQLite (issue 18: at most 10 s).

Builds a SQLite book (not timed): ``--fills`` fills over ``--fills / 2`` orders at two venues and ten symbols across
an hour, each order with its 35=D sent and its first 35=8 back in the audit trail, and a mid series of four rows a
second per symbol. Then times what ``fixgw tca`` does (``app.tca_book.score_book``: read orders, fills, mids and ack
times from the book; score every fill and order; the scorecards) and the JSON report, best and median of ``--runs``.

    .venv/bin/python bench/tca_bench.py [--fills 100000] [--runs 3] [--db sqlite:///...]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from app.tca_book import score_book
from oms.store.database import open_database
from oms.store.schema import executions, messages, mids, orders
from tca.report import report_json

S = 1_000_000_000
T0 = 1_780_000_000 * S
SYMBOLS = [f"SYM{i}" for i in range(10)]
VENUES = ["VENUE", "POOL"]
HOUR_S = 3600
TICK = Decimal("0.01")
CPU_S: list[float] = []
"""The CPU time of each ``score_book`` run (the machine may be shared: wall time includes waiting for a core)."""


def _mid_paths(rng: random.Random) -> dict[str, list[tuple[int, Decimal]]]:
    """Four rows a second per symbol for the hour and the 60 s after: a random walk of half ticks."""
    paths: dict[str, list[tuple[int, Decimal]]] = {}
    for symbol in SYMBOLS:
        mid, path = Decimal(100), []
        for step in range((HOUR_S + 61) * 4):
            mid += TICK / 2 * rng.choice((-1, 0, 1))
            path.append((T0 + step * S // 4, mid))
        paths[symbol] = path
    return paths


def _mid_at(path: list[tuple[int, Decimal]], ts: int) -> Decimal:
    return path[min(len(path) - 1, (ts - T0) * 4 // S)][1]


def build(url: str, fills: int, seed: int = 18) -> None:
    """Write the book the bench scores."""
    rng = random.Random(seed)
    paths = _mid_paths(rng)
    order_rows: list[dict[str, Any]] = []
    fill_rows: list[dict[str, Any]] = []
    trail: list[dict[str, Any]] = []
    for n in range(1, fills // 2 + 1):
        symbol, venue, side = rng.choice(SYMBOLS), rng.choice(VENUES), rng.choice("12")
        created = T0 + rng.randrange(HOUR_S * S)
        mid = _mid_at(paths[symbol], created)
        order_id = f"O{n}"
        for k in (1, 2):
            ts = created + k * 1_000_000
            px = _mid_at(paths[symbol], ts) + (TICK / 2 if side == "1" else -TICK / 2)
            fill_rows.append(_fill(f"{order_id}-{k}", order_id, venue, symbol, side, px, ts))
        order_rows.append(_order(n, symbol, venue, side, created, mid))
        session = f"FIX.4.4:FIXGW->{venue}"
        trail.append(_message("out", "D", session, order_id, created + 100_000, n))
        trail.append(_message("in", "8", session, order_id, created + 400_000, n))
    engine = open_database(url)
    with engine.begin() as conn:
        for table, rows in ((orders, order_rows), (executions, fill_rows), (messages, trail)):
            for start in range(0, len(rows), 20_000):
                conn.execute(table.insert(), rows[start : start + 20_000])
        for symbol, path in paths.items():
            conn.execute(mids.insert(), [{"symbol": symbol, "ts_ns": ts, "mid": mid} for ts, mid in path])
    engine.dispose()


def _order(n: int, symbol: str, venue: str, side: str, created: int, mid: Decimal) -> dict[str, Any]:
    return {
        "order_id": f"O{n}",
        "seq": n,
        "session": "FIX.4.4:FIXGW->CLIENT1",
        "cl_ord_id": f"C{n}",
        "orig_cl_ord_id": None,
        "account": "ACCT1",
        "symbol": symbol,
        "side": side,
        "ord_type": "1",
        "time_in_force": "0",
        "price": None,
        "order_qty": Decimal(300),
        "cum_qty": Decimal(200),
        "leaves_qty": Decimal(0),
        "avg_px": mid,
        "status": "4",
        "venue": venue,
        "venue_cl_ord_id": f"O{n}",
        "venue_order_id": None,
        "ord_rej_reason": None,
        "text": None,
        "requests_sent": 1,
        "pending": None,
        "created_ns": created,
        "updated_ns": created + 5_000_000,
        "arrival_bid": mid - TICK / 2,
        "arrival_ask": mid + TICK / 2,
        "decision_px": mid if n % 2 else None,
        "route_reason": None,
    }


def _fill(exec_id: str, order_id: str, venue: str, symbol: str, side: str, px: Decimal, ts: int) -> dict[str, Any]:
    return {
        "exec_id": exec_id,
        "order_id": order_id,
        "venue": venue,
        "venue_exec_id": exec_id,
        "account": "ACCT1",
        "symbol": symbol,
        "side": side,
        "last_qty": Decimal(100),
        "last_px": px,
        "commission": Decimal(0),
        "ts_ns": ts,
        "bid": px - TICK,
        "ask": px + TICK,
    }


def _message(direction: str, msg_type: str, session: str, order_id: str, ts: int, seq: int) -> dict[str, Any]:
    return {
        "ts_ns": ts,
        "direction": direction,
        "session": session,
        "msg_type": msg_type,
        "seq": seq,
        "order_id": order_id if direction == "out" else None,
        "cl_ord_id": order_id,
        "body": "",
        "sent_from": None,
    }


def run(url: str, runs: int) -> list[tuple[float, float, float, int]]:
    """Time ``score_book`` and the JSON report ``runs`` times: (score s, json of the newest 50 orders s (``fixgw
    tca --json``), json of every order s (``--limit 0``), fills scored) each."""
    engine = open_database(url)
    timings = []
    cpus: list[float] = []
    try:
        for _ in range(runs):
            started, cpu = time.perf_counter(), time.process_time()
            scored = score_book(engine)
            scored_at = time.perf_counter()
            cpus.append(time.process_time() - cpu)
            report_json(scored.venues, scored.venue_symbols, scored.scores[-50:], as_of_ns=0, filters={})
            newest_at = time.perf_counter()
            report_json(scored.venues, scored.venue_symbols, scored.scores, as_of_ns=0, filters={})
            done = time.perf_counter()
            fills = sum(len(s.fills) for s in scored.scores)
            timings.append((scored_at - started, newest_at - scored_at, done - newest_at, fills))
    finally:
        engine.dispose()
    CPU_S[:] = cpus
    return timings


def main() -> None:
    """Build the book, score it, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fills", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--db", help="an existing book to score instead (built when empty)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"sqlite:///{Path(tmp) / 'tca_bench.db'}"
        started = time.perf_counter()
        build(url, args.fills)
        print(f"built a book of {args.fills} fills in {time.perf_counter() - started:.1f} s ({url.split(':')[0]})")
        timings = run(url, args.runs)
    print(f"fills scored: {timings[0][3]}")
    for name, values in (
        ("score_book (read + score + scorecards)", [t[0] for t in timings]),
        ("  its CPU time", CPU_S),
        ("JSON report, newest 50 orders (default)", [t[1] for t in timings]),
        ("JSON report, every order (--limit 0)", [t[2] for t in timings]),
    ):
        print(f"{name:42} best {min(values):6.2f} s, median {statistics.median(values):6.2f} s")


if __name__ == "__main__":
    main()
