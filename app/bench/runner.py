"""Run the systems ``fixgw bench`` measures, as separate processes on free ports, and drive load through them.

Each system under test is started from the given (default: the repository's) session and settings files,
rewritten for the bench: free ports, a fresh work directory and SQLite book, the admin API on a free port, and
the order-rate throttles lifted (they exist to deny exactly this load). Everything else — risk checks, data
dictionary, file stores and logs, durable commits — stays as configured, so the figures are those of the product.
"""

from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
import tomllib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import tomli_w

from app.admin import AdminClient
from app.bench.loadgen import LoadGenerator, LoadResult, OrderFlow
from app.config import REPO_ROOT
from app.ports import free_port
from fixgw.errors import ConfigError, GatewayError
from fixgw.session.settings import SessionsFile

_THROTTLES = ("max_orders_per_second", "max_messages_per_second")
_CLK_TCK = os.sysconf("SC_CLK_TCK")
_INTERNAL = "INTERNAL"


class BenchFailed(GatewayError):
    """A system under test did not start, or a run did not complete."""


@dataclass(frozen=True)
class BenchPlan:
    """What to measure and how much."""

    orders: int = 20_000
    latency_orders: int = 2_000
    window: int = 100
    runs: int = 5
    warmup: int = 1_000
    rate: float | None = None
    systems: tuple[str, ...] = ("baseline", "external", "internal")
    sessions_file: Path = REPO_ROOT / "sessions.cfg"
    settings_file: Path = REPO_ROOT / "fixgw.toml"
    venue_sessions_file: Path = REPO_ROOT / "venue.cfg"
    work_dir: Path | None = None
    nats_fsync: bool = True
    """The services systems: their nats-server fsyncs every write before its PubAck (``sync_interval: always``)."""
    scrape_every_s: float = 0.0
    """Scrape the gateway's ``GET /metrics`` this often during the measured runs, from a process of its own as
    Prometheus would (``app.bench.scraper``); 0: no scraping."""


@dataclass
class SystemResult:
    """Everything measured on one system: per-run figures, CPU, memory and the gateway's own hop timings."""

    name: str
    throughput: list[LoadResult] = field(default_factory=list)
    latency: list[LoadResult] = field(default_factory=list)
    open_loop: list[LoadResult] = field(default_factory=list)
    server_cpu_s: float = 0.0
    server_orders: int = 0
    rss_kb: list[tuple[int, int]] = field(default_factory=list)
    """(orders answered so far, resident set of the server in kB), sampled during the throughput runs."""
    hops: dict[str, Any] = field(default_factory=dict)
    scrapes: list[dict[str, Any]] = field(default_factory=list)
    """One row per scrape of ``/metrics`` during the measured runs (``app.bench.scraper``), if any."""


class Process:
    """A child process with its log file, CPU and memory readings from /proc."""

    def __init__(self, name: str, args: list[str], work: Path) -> None:
        self.name = name
        self.log_path = work / f"{name}.log"
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(args, cwd=work, stdout=log, stderr=subprocess.STDOUT)

    def cpu_s(self) -> float:
        """User + system CPU seconds of every thread so far."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / _CLK_TCK

    def rss_kb(self) -> int:
        """Resident set size in kB."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0

    def check_alive(self) -> None:
        """Raise with the tail of the log if the process has exited."""
        if self.proc.poll() is not None:
            tail = self.log_path.read_text(errors="replace").strip().splitlines()[-5:]
            raise BenchFailed(f"{self.name} exited with code {self.proc.returncode}: " + " | ".join(tail))

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it does not stop within 30 s."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _fixgw(*args: str) -> list[str]:
    return [sys.executable, "-c", "from app.cli import main; main()", *args]


class Bench:
    """Start each system of the plan, drive the load, collect the figures."""

    def __init__(self, plan: BenchPlan, work: Path, progress: Any = None) -> None:
        self.plan = plan
        self.work = work
        self._progress = progress or (lambda text: None)
        sessions = SessionsFile.load(plan.sessions_file)
        acceptors = sessions.of_type("acceptor")
        if not acceptors:
            raise ConfigError(f"{plan.sessions_file}: no acceptor session for the load generator to log on to")
        self._client = acceptors[0]
        self._base_settings = _read_toml(plan.settings_file)
        self.metrics_port = 0
        """The metrics port of the gateway being measured (when scraping)."""

    def run(self) -> list[SystemResult]:
        """Measure every system of the plan, one after the other."""
        return [self._measure(name) for name in self.plan.systems]

    # -- one system ------------------------------------------------------------------------------------

    def _measure(self, name: str) -> SystemResult:
        work = self.work / name
        work.mkdir(parents=True, exist_ok=True)
        port = free_port()
        self._progress(f"{name}: starting")
        with self._system(name, work, port) as server:
            generator = LoadGenerator("127.0.0.1", port, self._flow(name), run_id=f"{name}{os.getpid()}")
            generator.connect()
            try:
                return self._drive(name, server, generator, work)
            finally:
                generator.close()

    def _drive(self, name: str, server: Process, generator: LoadGenerator, work: Path) -> SystemResult:
        plan = self.plan
        result = SystemResult(name)
        self._progress(f"{name}: warm-up ({plan.warmup} orders)")
        self._checked(server, generator.run(plan.warmup, window=plan.window))
        admin = self._admin(work)
        if admin is not None:
            admin.call("POST", "/metrics/hops/reset")
        cpu_before = server.cpu_s()
        with self._scraping(name, work, result.scrapes):
            self._measured_runs(name, server, generator, result)
        result.server_cpu_s = server.cpu_s() - cpu_before
        result.server_orders = sum(r.orders for r in (*result.throughput, *result.latency, *result.open_loop))
        if admin is not None:
            status, hops = admin.call("GET", "/metrics/hops")
            result.hops = hops if status == 200 else {}
        return result

    def _measured_runs(self, name: str, server: Process, generator: LoadGenerator, result: SystemResult) -> None:
        plan = self.plan
        for i in range(plan.runs):
            self._progress(f"{name}: throughput run {i + 1}/{plan.runs} ({plan.orders} orders, window {plan.window})")
            with _sampling(server, result.rss_kb, generator.answered):
                result.throughput.append(self._checked(server, generator.run(plan.orders, window=plan.window)))
        for i in range(plan.runs):
            self._progress(f"{name}: latency run {i + 1}/{plan.runs} ({plan.latency_orders} orders, window 1)")
            result.latency.append(self._checked(server, generator.run(plan.latency_orders, window=1)))
        if plan.rate:
            for i in range(plan.runs):
                self._progress(f"{name}: open-loop run {i + 1}/{plan.runs} at {plan.rate:g} orders/s")
                result.open_loop.append(self._checked(server, generator.run(plan.orders, rate=plan.rate)))

    @contextmanager
    def _scraping(self, name: str, work: Path, rows: list[dict[str, Any]]) -> Iterator[None]:
        """While the block runs, a scraper process (``app.bench.scraper``) reads the gateway's /metrics; its rows
        go to ``rows``."""
        if not self.plan.scrape_every_s or name == "baseline":
            yield
            return
        out = work / "scrapes.jsonl"
        url = f"http://127.0.0.1:{self.metrics_port}/metrics"
        scraper = Process(
            "scraper",
            [sys.executable, "-c", "from app.bench.scraper import main; main()", url, str(self.plan.scrape_every_s),
             str(out)],
            work,
        )  # fmt: skip
        try:
            yield
        finally:
            scraper.stop()
            if out.exists():
                rows.extend(json.loads(line) for line in out.read_text().splitlines() if line.strip())

    @staticmethod
    def _checked(server: Process, result: LoadResult) -> LoadResult:
        server.check_alive()
        return result

    def _admin(self, work: Path) -> AdminClient | None:
        token = work / "admin.token"
        return AdminClient(token) if token.exists() else None

    def _flow(self, name: str) -> OrderFlow:
        client = self._client
        clients = self._base_settings.get("clients", {})
        accounts = clients.get(client["TargetCompID"], {}).get("accounts", [])
        instruments = self._base_settings.get("instruments", {})
        symbol = next(iter(instruments), "MSFT")
        price = Decimal(str(instruments.get(symbol, {}).get("reference_price", "100.00")))
        return OrderFlow(
            sender=client["TargetCompID"],
            target=client["SenderCompID"],
            begin_string=client["BeginString"],
            account=accounts[0] if accounts else "",
            symbol=symbol,
            price=price,
        )

    # -- starting the systems ----------------------------------------------------------------------------

    @contextmanager
    def _system(self, name: str, work: Path, port: int) -> Iterator[Process]:
        started: list[Process] = []
        try:
            if name == "baseline":
                cfg = self._client_sessions(work, port, only_acceptor=True)
                started.append(Process("baseline", [sys.executable, "-m", "fixgw.baseline", str(cfg)], work))
            elif name.startswith("services"):
                from app.bench.services import start_services  # nats-server, fixgw serve core and edge

                started.extend(start_services(self, name, work, port))
            else:
                started.extend(self._gateway(name, work, port))
            yield started[-1]
        finally:
            for process in reversed(started):
                process.stop()

    def _gateway(self, name: str, work: Path, port: int) -> list[Process]:
        processes = []
        venue_port = free_port()
        self.metrics_port = free_port()
        settings = self._settings(work, internal=name == "internal")
        sessions = self._client_sessions(work, port, only_acceptor=name == "internal", venue_port=venue_port)
        if name != "internal":  # the venue simulator behind the gateway's FIX session
            processes.append(self._venue(work, settings, venue_port))
        gateway = Process("gateway", _fixgw("run", "-c", str(sessions), "-s", str(settings)), work)
        processes.append(gateway)
        try:
            self._wait_ready(processes, work)
        except BaseException:
            for process in reversed(processes):
                process.stop()
            raise
        return processes

    def _venue(self, work: Path, settings: Path, venue_port: int) -> Process:
        """Start the venue simulator on ``venue_port``."""
        venue_cfg = work / "venue.cfg"
        venue = SessionsFile.load(self.plan.venue_sessions_file).relocated(work / "venue")
        venue_cfg.write_text(venue.with_port("acceptor", venue_port).dumps())
        venue_settings = self._venue_settings(work, settings)
        return Process("venue", _fixgw("venue", "-c", str(venue_cfg), "-s", str(venue_settings)), work)

    def _wait_ready(self, processes: list[Process], work: Path, timeout: float = 60.0) -> None:
        """Wait until the gateway's admin API says every venue session is logged on."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for process in processes:
                process.check_alive()
            token = work / "admin.token"
            if token.exists():
                try:
                    status, health = AdminClient(token).call("GET", "/health")
                except ConfigError:
                    status, health = 0, {}
                if status == 200 and all(health.get("venues", {}).values()):
                    return
            time.sleep(0.1)  # polling a process that reports readiness only through its API
        raise BenchFailed(f"the gateway did not connect to its venues within {timeout:.0f} s (logs in {work})")

    def _client_sessions(self, work: Path, port: int, *, only_acceptor: bool, venue_port: int = 0) -> Path:
        sessions = SessionsFile.load(self.plan.sessions_file).relocated(work / "fix")
        sessions = sessions.only("acceptor") if only_acceptor else sessions.with_port("initiator", venue_port)
        path = work / "sessions.cfg"
        path.write_text(sessions.with_port("acceptor", port).dumps())
        return path

    def _settings(self, work: Path, *, internal: bool) -> Path:
        data = json.loads(json.dumps(self._base_settings))  # a deep copy
        data["database"] = {**data.get("database", {}), "url": f"sqlite:///{work / 'book.db'}"}  # keep its commit
        data["admin"] = {"listen": "127.0.0.1:0", "token_file": str(work / "admin.token")}
        # no Prometheus endpoint under load unless asked (--scrape-every)
        data["metrics"] = {"listen": f"127.0.0.1:{self.metrics_port}" if self.plan.scrape_every_s else ""}
        data.setdefault("simulator", {})["metrics_listen"] = ""
        risk = data.setdefault("risk", {})
        for scope in [risk.get("default", {}), *risk.get("accounts", {}).values(), *risk.get("symbols", {}).values()]:
            for throttle in _THROTTLES:
                scope.pop(throttle, None)
        if internal:
            data["venues"] = {_INTERNAL: {"kind": "internal"}}
            data["routing"] = {"default": _INTERNAL}
        self._adjust(data)
        path = work / "fixgw.toml"
        path.write_text(tomli_w.dumps(data))
        return path

    def _adjust(self, settings: dict[str, Any]) -> None:
        """Change the gateway's settings further before they are written (a kind of bench of its own)."""

    def _venue_settings(self, work: Path, gateway_settings: Path) -> Path:
        """The settings the venue simulator runs with: the gateway's."""
        return gateway_settings


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read settings {path}: {exc}") from None


@contextmanager
def _sampling(server: Process, samples: list[tuple[int, int]], answered: Callable[[], int]) -> Iterator[None]:
    """Sample the server's RSS every 0.5 s while a run goes on, against the orders answered so far."""
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.5):
            samples.append((answered(), server.rss_kb()))

    thread = threading.Thread(target=sample, name="rss-sampler", daemon=True)
    samples.append((answered(), server.rss_kb()))
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        samples.append((answered(), server.rss_kb()))


def median(values: list[float]) -> float:
    """The median, 0 for no values."""
    return statistics.median(values) if values else 0.0
