"""``bench/md_bench.py --part session``: market data through real quickfix sessions, from the venue simulator's
matching engine into the gateway's books, at a sustained rate; and the order path's latency with and without it.

Two processes, as in production: the venue (``bench/md_venue.py``: ``fixgw venue`` plus a storm of book changes,
five levels per 35=X) and the gateway (``fixgw run``), both on the repository's default settings (free ports, fresh
work directory; order throttles lifted, as ``fixgw bench`` does). The storm runs ``--seconds``; then the venue's whole
book and the gateway's book of every symbol are compared level by level, and the gateway's counters must show every
message received, no gap, no missing level, no cross. Then ``--rounds`` pairs of latency runs (window 1, like
``fixgw bench``'s latency runs), storm off / storm on, interleaved on the same gateway: the ack p50 of each pair and
their ratio.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
import tomllib
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import tomli_w

from app.admin import AdminClient
from app.bench.loadgen import LoadGenerator, OrderFlow
from app.bench.report import latency_us
from app.bench.runner import Process
from app.config import REPO_ROOT
from app.ports import free_port
from fixgw.errors import ConfigError
from fixgw.session.settings import SessionsFile

SYMBOLS = ("AAPL", "IBM", "MSFT")


class SessionBench:
    """The two processes and what the bench does with them."""

    def __init__(self, work: Path, rate: float) -> None:
        self.work = work
        work.mkdir(parents=True, exist_ok=True)
        venue_port, self.client_port = free_port(), free_port()
        settings = _settings(work)
        gateway = SessionsFile.load(REPO_ROOT / "sessions.cfg").relocated(work / "gateway")
        (work / "sessions.cfg").write_text(
            gateway.with_port("acceptor", self.client_port).with_port("initiator", venue_port).dumps()
        )
        venue = SessionsFile.load(REPO_ROOT / "venue.cfg").relocated(work / "venue")
        (work / "venue.cfg").write_text(venue.with_port("acceptor", venue_port).dumps())
        python = sys.executable
        env_root = str(REPO_ROOT)
        os.environ["PYTHONPATH"] = env_root + os.pathsep + os.environ.get("PYTHONPATH", "")
        venue_args = [python, str(REPO_ROOT / "bench" / "md_venue.py"), "--config", str(work / "venue.cfg")]
        venue_args += ["--settings", str(settings), "--rate", str(rate), "--work", str(work)]
        self.venue = Process("venue", venue_args, work)
        try:
            _wait(lambda: (work / "venue.ready").exists(), self.venue, "the venue to start")
            run = [python, "-c", "from app.cli import main; main()", "run", "-c", str(work / "sessions.cfg")]
            self.gateway = Process("gateway", [*run, "-s", str(settings)], work)
        except BaseException:
            self.venue.stop()
            raise
        try:
            _wait(self._subscribed, self.gateway, "the gateway to subscribe to every symbol")
        except BaseException:
            self.stop()
            raise

    def _subscribed(self) -> bool:
        token = self.work / "admin.token"
        if not token.exists():
            return False
        try:
            status, health = AdminClient(token).call("GET", "/health")
        except ConfigError:
            return False
        return (
            status == 200
            and all(health["venues"].values())
            and all(self.admin(f"/book/{s}")["venues"] for s in SYMBOLS)
        )

    def admin(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        status, answer = AdminClient(self.work / "admin.token").call("GET", path, body)
        if status != 200:
            raise RuntimeError(f"GET {path}: HTTP {status}: {answer}")
        return answer

    def book(self, symbol: str) -> dict[str, Any]:
        """The gateway's whole book of ``symbol`` at the venue."""
        return self.admin(f"/book/{symbol}", {"venue": "VENUE", "depth": 0})

    def storm(self, seconds: float) -> int:
        """Storm for ``seconds``; return how many 35=X the venue sent."""
        count = self.work / "storm.count"
        count.unlink(missing_ok=True)
        (self.work / "storm.on").write_text("on")
        time.sleep(seconds)  # the storm's duration: what is measured
        (self.work / "storm.on").unlink()
        _wait(count.exists, self.venue, "the storm to stop")
        return int(count.read_text())

    def storm_on(self) -> None:
        (self.work / "storm.on").write_text("on")

    def storm_off(self) -> None:
        (self.work / "storm.count").unlink(missing_ok=True)
        (self.work / "storm.on").unlink()
        _wait((self.work / "storm.count").exists, self.venue, "the storm to stop")

    def stop(self) -> None:
        self.gateway.stop()
        self.venue.stop()


def run_session(work: Path, rate: float, seconds: float, rounds: int, latency_orders: int) -> dict[str, Any]:
    """The whole session part; returns its figures."""
    bench = SessionBench(work, rate)
    try:
        received_before = bench.admin("/marketdata")["session"]["received"]
        cpu_before = bench.gateway.cpu_s()
        sent = bench.storm(seconds)
        caught_up = _settle(bench, received_before + sent)
        cpu = bench.gateway.cpu_s() - cpu_before
        counters = bench.admin("/marketdata")
        venue_books = _venue_books(work)
        equal = {s: _gateway_levels(bench.book(s)) == venue_books[s] for s in SYMBOLS}
        figures: dict[str, Any] = {
            "rate_asked": rate,
            "seconds": seconds,
            "x_sent": sent,
            "x_per_s": round(sent / seconds),
            "gateway_received_all": caught_up,
            "books": counters["books"],
            "session": counters["session"],
            "books_equal": equal,
            "gateway_cpu_share": round(cpu / seconds, 3),
        }
        figures["latency"] = _latency_pairs(bench, rounds, latency_orders)
        return figures
    finally:
        bench.stop()


def _latency_pairs(bench: SessionBench, rounds: int, orders: int) -> dict[str, Any]:
    flow = OrderFlow(account="ACCT1", symbol="MSFT", price=Decimal("100.00"))
    generator = LoadGenerator("127.0.0.1", bench.client_port, flow, run_id=f"md{os.getpid()}")
    generator.connect()
    pairs = []
    try:
        generator.run(200, window=1)  # warm-up
        for _ in range(rounds):
            quiet = latency_us(generator.run(orders, window=1).ack_latency_ns)["p50"]
            bench.storm_on()
            try:
                stormy = latency_us(generator.run(orders, window=1).ack_latency_ns)["p50"]
            finally:
                bench.storm_off()
            pairs.append({"without_md_p50_us": quiet, "with_md_p50_us": stormy, "ratio": round(stormy / quiet, 3)})
    finally:
        generator.close()
    return {
        "pairs": pairs,
        "median_without_us": statistics.median(p["without_md_p50_us"] for p in pairs),
        "median_with_us": statistics.median(p["with_md_p50_us"] for p in pairs),
        "median_ratio": statistics.median(p["ratio"] for p in pairs),
    }


def _settle(bench: SessionBench, wanted: int, timeout: float = 30.0) -> bool:
    """Wait until the gateway has received ``wanted`` market data messages (refresh snapshots count too)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if bench.admin("/marketdata")["session"]["received"] >= wanted:
            return True
        time.sleep(0.05)  # polling another process's counter
    return False


def _venue_books(work: Path) -> dict[str, tuple[list[list[str]], list[list[str]]]]:
    books = json.loads((work / "books.json").read_text())
    return {s: (books[s][0], books[s][1]) for s in SYMBOLS}


def _gateway_levels(answer: dict[str, Any]) -> tuple[list[list[str]], list[list[str]]]:
    def side(levels: list[dict[str, str]]) -> list[list[str]]:
        return [[level["price"], level["size"]] for level in levels]

    return side(answer["bids"]), side(answer["asks"])


def _settings(work: Path) -> Path:
    data = tomllib.loads((REPO_ROOT / "fixgw.toml").read_text())
    data["database"] = {"url": f"sqlite:///{work / 'book.db'}"}
    data["admin"] = {"listen": "127.0.0.1:0", "token_file": str(work / "admin.token")}
    data["metrics"] = {"listen": ""}  # md_venue.py runs the simulator with these settings: no fixed ports
    data.setdefault("simulator", {})["metrics_listen"] = ""
    risk = data.setdefault("risk", {})
    for scope in [risk.get("default", {}), *risk.get("accounts", {}).values()]:
        for throttle in ("max_orders_per_second", "max_messages_per_second"):
            scope.pop(throttle, None)
    for account in risk.get("accounts", {}).values():  # window-1 pairs of orders: no position limit in the way
        account.pop("max_order_qty", None)
    path = work / "fixgw.toml"
    path.write_text(tomli_w.dumps(data))
    return path


def _wait(condition: Callable[[], bool], process: Process, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        process.check_alive()
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what} (logs in {process.log_path.parent})")
        time.sleep(0.05)  # polling another process
