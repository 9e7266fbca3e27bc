"""The gateway's own Python work per order, without sockets: the fast loop for measuring hot-path changes.

What it runs: a real ``Gateway`` (OMS, risk, EMS, the internal venue, the journal writer thread committing to a
real SQLite file) built from ``bench/internal.toml``, with no FIX connection. Each NewOrderSingle is a real
quickfix message handed to the client application's ``fromApp`` path (``FixApplication._from_app``: decode,
record, the whole synchronous chain), and each report the journal releases is encoded into a quickfix message
as for sending (``fixgw.codec.outbound``) but not sent. So the figures are the gateway's Python per order,
with the GIL shared between the order path and the writer exactly as in production, minus the FIX engine
itself (its parsing, stores, logs and sockets; ``fixgw bench`` measures those).

The orders are the load generator's: pairs at a price with no resting liquidity, a buy that rests and a sell
that fills it, so every order is acknowledged and filled. The run ends when everything is committed.

    .venv/bin/python bench/inprocess_bench.py [--orders 20000] [--runs 5] [--profile FILE] [--adaptive]
    .venv/bin/python bench/inprocess_bench.py --window-1 [--orders 2000]

``--window-1`` sends one order at a time and waits for its commit (``Journal.flush``) before the next, as
``fixgw bench``'s latency phase does, with each report encoded and its FIX text recorded as sent; it prints the
journal's own hops (``journal write``: one batch's transaction; ``book commit``: a report queued → committed) and
``order->sent`` (fromApp entered → its reports delivered, the in-process share of an acknowledgement), p50/p90 over
the last three quarters of the orders: the quick loop for the journal's write path.

``--adaptive`` routes MSFT adaptively (README "Adaptive routing") between the internal venue and a second one,
POOL2, that never trades: the mids feed, the live TCA engine and the router's adaptive step all run on every order.
POOL2 is given one fixed, poor score at start (no order ever goes there: no exploration), so once the internal
venue has its ``min_samples`` every order takes the trusted path (rank, hysteresis, reason) and the pairs still
meet at one venue.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import statistics
import tempfile
import time
import tomllib
from decimal import Decimal
from pathlib import Path

import quickfix
import tomli_w

from app.config import REPO_ROOT, load_config
from app.gateway import Gateway
from domain.channels import VENUE_SCORES
from domain.ids import Symbol, VenueId
from domain.latency import hops
from domain.reports import ClientReport, ExecutionReport
from domain.tca import VenueScore
from fixgw.client import ClientHandler
from fixgw.codec import outbound
from fixgw.session.settings import SessionsFile

_CLK_TCK = os.sysconf("SC_CLK_TCK")


def build(work: Path, adaptive: bool = False) -> Gateway:
    """A gateway on the internal venue with its book in ``work``, not connected to anything."""
    sessions = SessionsFile.load(REPO_ROOT / "sessions.cfg").relocated(work / "fix").only("acceptor")
    (work / "sessions.cfg").write_text(sessions.dumps())
    settings = tomllib.loads((REPO_ROOT / "bench" / "internal.toml").read_text())
    settings["database"] = {"url": f"sqlite:///{work / 'book.db'}"}
    settings["admin"] = {"listen": "127.0.0.1:0", "token_file": str(work / "admin.token")}
    if adaptive:
        settings["venues"]["POOL2"] = {"kind": "internal"}
        settings["routing"]["adaptive"] = {
            "symbols": ["MSFT"],
            "venues": ["INTERNAL", "POOL2"],
            "min_samples": 30,
            "window": 200,
            "explore_every": 0,
            "horizon_ms": 1,
        }
    (work / "fixgw.toml").write_text(tomli_w.dumps(settings))
    gateway = Gateway(load_config(work / "fixgw.toml"), SessionsFile.load(work / "sessions.cfg"))
    if adaptive:
        poor = VenueScore(
            venue=VenueId("POOL2"),
            symbol=Symbol("MSFT"),
            cost_bps=Decimal(1000),
            n=10**6,
            fills=10**6,
            slippage_bps=None,
            fee_bps=None,
            markout_bps=None,
            reject_rate=Decimal(0),
            ts_ns=0,
            label="POOL2 1000 bps",
        )
        with gateway.bus.entered():
            gateway.bus.publish(VENUE_SCORES, poor)
    return gateway


def encode_only(reports: list[ClientReport]) -> None:
    """What ``ClientHandler.send_reports`` does before the engine's send."""
    for report in reports:
        if isinstance(report, ExecutionReport):
            outbound.execution_report(report)
        else:
            outbound.order_cancel_reject(report)  # type: ignore[arg-type]


def orders(run: int, count: int) -> list[quickfix.Message]:
    """``count`` NewOrderSingles as the engine hands them to ``fromApp`` (header included)."""
    messages = []
    for i in range(count):
        text = (
            f"8=FIX.4.4\x019=0\x0135=D\x0134={i + 2}\x0149=CLIENT1\x0152=20261202-07:00:00.000\x0156=FIXGW\x01"
            f"11=R{run}.{i}\x011=ACCT1\x0155=MSFT\x0154={1 + i % 2}\x0138=100\x0140=2\x0144=100.00\x01"
            f"60=20261202-07:00:00.000\x0110=000\x01"
        )
        messages.append(quickfix.Message(text, False))
    return messages


def thread_cpu_s(native_id: int) -> float:
    """User + system CPU seconds of one thread of this process."""
    fields = Path(f"/proc/self/task/{native_id}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / _CLK_TCK


def run_once(gateway: Gateway, run: int, count: int, profile: cProfile.Profile | None) -> dict[str, float]:
    app = gateway.clients.app
    session_id = quickfix.SessionID("FIX.4.4", "FIXGW", "CLIENT1")
    messages = orders(run, count)
    writer = gateway.journal._thread.native_id
    assert writer is not None
    writer_cpu = thread_cpu_s(writer)
    cpu = time.thread_time()
    started = time.perf_counter()
    if profile is not None:
        profile.enable()
    for message in messages:
        app._from_app(message=message, session_id=session_id)
    if profile is not None:
        profile.disable()
    path_s = time.perf_counter() - started
    path_cpu = time.thread_time() - cpu
    gateway.journal.flush(timeout=300)
    total_s = time.perf_counter() - started
    return {
        "orders_per_s": count / total_s,
        "order_path_us": 1e6 * path_cpu / count,
        "order_path_wall_us": 1e6 * path_s / count,
        "writer_us": 1e6 * (thread_cpu_s(writer) - writer_cpu) / count,
    }


def encode_texts(reports: list[ClientReport]) -> list[str | None]:
    """Encode as for sending and return each report's text: the journal records it as sent (``oms.store.sent``)."""
    return [
        (outbound.execution_report(r) if isinstance(r, ExecutionReport) else outbound.order_cancel_reject(r)).toString()  # type: ignore[arg-type]
        for r in reports
    ]


def window_1(count: int) -> None:
    """One order at a time, each waited for; print the journal's hops."""
    with tempfile.TemporaryDirectory() as tmp:
        gateway = build(Path(tmp))
        gateway.journal._deliver = encode_texts
        gateway.journal.start()
        app = gateway.clients.app
        session_id = quickfix.SessionID("FIX.4.4", "FIXGW", "CLIENT1")
        committed_us: list[float] = []
        for i, message in enumerate(orders(0, count)):
            if i == count // 4:  # the first quarter warms up
                hops.reset()
                committed_us = []
            started = time.perf_counter()
            app._from_app(message=message, session_id=session_id)
            assert gateway.journal.flush(10)
            committed_us.append(1e6 * (time.perf_counter() - started))
        summary = hops.summary()
        gateway.journal.stop()
        gateway.db.dispose()
    print(f"$ bench/inprocess_bench.py --window-1 --orders {count}   (load {os.getloadavg()[0]:.2f})")
    for hop in ("journal write", "book commit"):
        print(f"{hop:14s} p50 {summary[hop]['p50']:7.1f} us   p90 {summary[hop]['p90']:7.1f} us")
    deciles = statistics.quantiles(committed_us, n=10)  # fromApp entered -> its reports delivered
    print(f"{'order->sent':14s} p50 {deciles[4]:7.1f} us   p90 {deciles[8]:7.1f} us")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--profile", type=Path, help="write a cProfile of the order path (main thread) here")
    parser.add_argument("--adaptive", action="store_true", help="route MSFT adaptively (see the module's doc)")
    parser.add_argument("--window-1", action="store_true", help="one order at a time: the journal's hops")
    args = parser.parse_args()
    if args.window_1:
        window_1(args.orders)
        return
    with tempfile.TemporaryDirectory() as tmp:
        gateway = build(Path(tmp), args.adaptive)
        gateway.journal._deliver = encode_only  # type: ignore[assignment]
        assert isinstance(gateway.clients, ClientHandler)
        gateway.journal.start()
        run_once(gateway, 0, 2_000, None)  # warm-up
        profile = cProfile.Profile() if args.profile else None
        results = [run_once(gateway, i + 1, args.orders, profile) for i in range(args.runs)]
        reasons = gateway.router.adaptive.scores() if gateway.router.adaptive is not None else None
        gateway.journal.stop()
        gateway.db.dispose()
    if profile is not None:
        profile.dump_stats(args.profile)
    flags = " --adaptive" if args.adaptive else ""
    load = os.getloadavg()[0]
    print(f"$ bench/inprocess_bench.py --orders {args.orders} --runs {args.runs}{flags}   (load {load:.2f})")
    if reasons is not None:
        print(f"adaptive scores at the end: {reasons}")
    for key in results[0]:
        values = [r[key] for r in results]
        print(f"{key:20s} median {statistics.median(values):10.1f}   runs {' '.join(f'{v:.1f}' for v in values)}")


if __name__ == "__main__":
    main()
