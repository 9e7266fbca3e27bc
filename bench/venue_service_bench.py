"""What a venue service (``fixgw serve venue``) adds to an order's round trip: the services deployment with the
venue's session in the core, then in a venue service of its own, alternated (A, B, A, B ...) on one machine.

Each run starts a nats-server (``sync_interval: always``), the venue simulator (in this process), ``fixgw serve
core`` and ``fixgw serve edge`` (and ``fixgw serve venue`` for B) on a SQLite book, then sends ``--count`` resting
limit orders one at a time from a FIX client and times each from its send to the venue's acknowledgement (150=0)
at the client. With the venue service, that acknowledgement crosses two more JetStream seams: the request's
publish (core) and fetch (venue service), the report's publish (venue service) and fetch (core).

    .venv/bin/python bench/venue_service_bench.py [--count 300] [--rounds 2]
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from app.config import SimulatorConfig
from app.fixclient import ScriptedClient, client_sessions
from app.services.nats_server import NatsServer
from app.venue import VenueServer
from domain.enums import Side
from tests.conftest import ROOT
from tests.integration.conftest import make_config, make_sessions
from tests.services.conftest import services_settings


def _serve(work: Path, role: str) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-c", "from app.cli import main; main()", "serve", role]
    command += ["-c", str(work / "sessions.cfg"), "-s", str(work / "fixgw.toml")]
    with (work / f"{role}.out").open("ab") as log:
        return subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=log)


def run(venue_service: bool, count: int) -> list[float]:
    """Each order's send → 150=0 at the client, in µs."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        server = NatsServer(work / "nats")
        server.start()
        gateway, venue_sessions, _ = make_sessions(work)
        (work / "sessions.cfg").write_text(gateway.dumps())
        venues = ("VENUE",) if venue_service else ()
        services_settings(work, f"sqlite:///{work / 'book.db'}", server.url, venues=venues)
        symbols = make_config(work).simulator.symbols
        venue = VenueServer(SimulatorConfig(depth=5, level_qty=Decimal(400), symbols=symbols), venue_sessions)
        venue.start()
        procs = [_serve(work, "core")] + ([_serve(work, "venue")] if venue_service else [])
        procs.append(_serve(work, "edge"))
        client = ScriptedClient(client_sessions(gateway, "CLIENT1", work / "client"))
        samples: list[float] = []
        try:
            client.start(timeout=120)
            for i in range(count + 20):  # the first 20 warm up
                cl_ord_id = f"B{i}"
                started = time.perf_counter_ns()
                client.send_order(cl_ord_id, "MSFT", Side.BUY, Decimal(1), Decimal("90"))
                client.wait_for(lambda m, c=cl_ord_id: m.get(11) == c and m.get(150) == "0", 60)
                if i >= 20:
                    samples.append((time.perf_counter_ns() - started) / 1000)
        finally:
            client.stop()
            for proc in reversed(procs):
                proc.send_signal(signal.SIGTERM)
                proc.wait(60)
            venue.stop()
            server.stop()
        return samples


def _pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    """Alternate the two deployments ``--rounds`` times each; print p50/p99 per run and the ratio of medians."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    medians: dict[bool, list[float]] = {False: [], True: []}
    for _ in range(args.rounds):
        for venue_service in (False, True):
            samples = run(venue_service, args.count)
            medians[venue_service].append(statistics.median(samples))
            name = "venue service " if venue_service else "venue in core "
            load = os.getloadavg()[0]
            print(f"{name} load {load:4.2f}  ack p50 {_pct(samples, 0.5):7.0f} µs  p99 {_pct(samples, 0.99):7.0f} µs")
    a, b = statistics.median(medians[False]), statistics.median(medians[True])
    print(f"median of p50s: venue in core {a:.0f} µs, venue service {b:.0f} µs: +{b - a:.0f} µs ({b / a:.2f}x)")


if __name__ == "__main__":
    main()
