"""The services deployment as ``fixgw bench`` measures it (``--system services``, ``--system services-internal``):
a nats-server of its own, ``fixgw serve core`` and ``fixgw serve edge`` as processes, the load on the edge.

The book is the bench's SQLite file, as for the monolith's systems, so that the difference between ``external``
and ``services`` (or ``internal`` and ``services-internal``) is what the NATS seams add: the edge's publish and
PubAck, the core's fetch, the relay's publish and PubAck after the commit, the edge's fetch. The server's CPU is
that of the three processes together (nats-server, core, edge).
"""

from __future__ import annotations

import socket
import time
import tomllib
from pathlib import Path

import tomli_w

from app.bench.runner import Bench, BenchFailed, Process, _fixgw
from app.ports import free_port
from app.services.nats_server import NatsServer, server_binary

SERVICES_SYSTEMS = ("services", "services-internal")


class ServiceGroup(Process):
    """Several processes measured as one server: CPU and memory summed, alive only while all are."""

    def __init__(self, processes: list[Process]) -> None:
        self.processes = processes
        self.name = "+".join(p.name for p in processes)
        self.proc = processes[-1].proc
        self.log_path = processes[-1].log_path

    def cpu_s(self) -> float:
        """User + system CPU seconds of every process."""
        return sum(p.cpu_s() for p in self.processes)

    def rss_kb(self) -> int:
        """Resident set sizes added up."""
        return sum(p.rss_kb() for p in self.processes)

    def check_alive(self) -> None:
        """Raise with the log's tail of the first process that exited."""
        for process in self.processes:
            process.check_alive()

    def stop(self) -> None:
        """Stop them, the last started first."""
        for process in reversed(self.processes):
            process.stop()


def start_services(bench: Bench, name: str, work: Path, port: int) -> list[Process]:
    """nats-server, (the venue simulator,) the core, then the edge on ``port``; return the venue (if any), then the
    three services as one server, the last."""
    internal = name == "services-internal"
    nats = NatsServer(work / "nats", sync_always=bench.plan.nats_fsync)
    started = [Process("nats", [str(server_binary()), "-c", str(nats.config)], work)]
    try:
        _wait_listening(nats.port, started)
        venue_port = free_port()
        bench.metrics_port = free_port()
        settings = bench._settings(work, internal=internal)
        data = tomllib.loads(settings.read_text())
        data["deployment"] = {"mode": "services"}
        data["nats"] = {"url": nats.url}
        settings.write_text(tomli_w.dumps(data))
        sessions = bench._client_sessions(work, port, only_acceptor=internal, venue_port=venue_port)
        if not internal:
            started.append(bench._venue(work, settings, venue_port))
        started.append(Process("core", _fixgw("serve", "core", "-c", str(sessions), "-s", str(settings)), work))
        bench._wait_ready(started, work)
        started.append(Process("edge", _fixgw("serve", "edge", "-c", str(sessions), "-s", str(settings)), work))
        _wait_listening(port, started)
    except BaseException:
        ServiceGroup(started).stop()
        raise
    venue = [p for p in started if p.name == "venue"]
    return [*venue, ServiceGroup([p for p in started if p.name != "venue"])]


def _wait_listening(port: int, processes: list[Process], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for process in processes:
            process.check_alive()
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)  # polling a process that says it is ready only by listening
    raise BenchFailed(f"nothing listens on {port} after {timeout:.0f} s")
