"""Where the services deployment's time goes, seam by seam: a JetStream publish to its PubAck from a thread
(``NatsLink.publish``, what the edge does per client message and the relay per commit), and a publish to the
consumer's handler (``NatsLink.consume``, what the core's and the edge's fetch loops add), each with the server
syncing every write (``sync_interval: always``) and on its own schedule.

    .venv/bin/python bench/services_transport_bench.py [--count 2000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path

from app.services.nats_server import NatsServer
from transport.fastpath import fast_subject
from transport.nats import ConsumerSpec, Delivery, NatsLink
from transport.subjects import STREAMS, StreamSpec, command_subject


def _pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def measure(sync_always: bool, count: int) -> dict[str, float]:
    """p50/p99 in µs of a publish's PubAck and of a publish reaching the handler."""
    with tempfile.TemporaryDirectory() as work:
        server = NatsServer(Path(work), sync_always=sync_always)
        server.start()
        link = NatsLink(server.url, "bench")
        try:
            link.ensure_streams(STREAMS)
            acked = []
            for i in range(count):
                started = time.perf_counter_ns()
                link.publish(command_subject(), b"x" * 200, f"a{i}")
                acked.append((time.perf_counter_ns() - started) / 1000)
            arrived: dict[int, int] = {}
            got = threading.Event()

            def handler(batch: list[Delivery]) -> None:
                now = time.perf_counter_ns()
                for delivery in batch:
                    arrived[int(delivery.data)] = now
                batch[-1].ack()
                got.set()

            link.ensure_streams([StreamSpec(name="FIXGW_BENCH", subjects=("fixgw.bench",))])
            link.consume(ConsumerSpec(stream="FIXGW_BENCH", subject="fixgw.bench", durable="bench"), 1, handler)
            sent: dict[int, int] = {}
            delivered = []
            for i in range(count // 4):
                got.clear()
                sent[i] = time.perf_counter_ns()
                link.publish("fixgw.bench", str(i).encode(), None)
                got.wait(5)
                delivered.append((arrived[i] - sent[i]) / 1000)
                time.sleep(0.001)  # a quiet consumer, as at window 1: its fetch is waiting when the message comes
        finally:
            link.close()
            server.stop()
    return {
        "publish_p50": statistics.median(acked),
        "publish_p99": _pct(acked, 0.99),
        "to_handler_p50": statistics.median(delivered),
        "to_handler_p99": _pct(delivered, 0.99),
    }


def round_trip(sync_always: bool, count: int, inline: bool) -> dict[str, float]:
    """p50/p99 in µs of the services' seams at window 1 without the gateway: an "edge" link publishes a command and
    waits for its PubAck (as the edge does), a "core" link's push consumer hands it on (inline: on its loop thread)
    and sends an answer on plain NATS at once (the reports' fast path), the edge's listener gets it."""
    with tempfile.TemporaryDirectory() as work:
        server = NatsServer(Path(work), sync_always=sync_always)
        server.start()
        edge, core = NatsLink(server.url, "edge"), NatsLink(server.url, "core")
        try:
            edge.ensure_streams(STREAMS)
            answered = threading.Event()
            reports = fast_subject("bench", "0")

            def apply(batch: list[Delivery]) -> None:
                for delivery in batch:
                    core.send(reports, delivery.data)
                batch[-1].ack()

            core.consume(
                ConsumerSpec(stream="FIXGW_CMD", subject=command_subject(), durable="rt", inline=inline), 1, apply
            )
            edge.listen([reports], lambda subject, data: answered.set(), inline=inline)
            took = []
            for i in range(count):
                answered.clear()
                started = time.perf_counter_ns()
                edge.publish(command_subject(), str(i).encode(), f"rt{i}")
                if not answered.wait(5):
                    raise RuntimeError(f"round trip {i}: no answer within 5 s")
                took.append((time.perf_counter_ns() - started) / 1000)
                time.sleep(0.001)  # window 1: the next order after the answer
        finally:
            edge.close()
            core.close()
            server.stop()
    return {"round_trip_p50": statistics.median(took), "round_trip_p99": _pct(took, 0.99)}


def main() -> None:
    """Print both measurements for both sync settings."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000)
    args = parser.parse_args()
    print(f"load {os.getloadavg()[0]:.2f}; {args.count} publishes; µs")
    for sync_always in (True, False):
        figures = measure(sync_always, args.count)
        label = "sync_interval: always" if sync_always else "default sync"
        print(f"{label:22} " + "  ".join(f"{k} {v:8.0f}" for k, v in figures.items()))
        for inline in (True, False):
            figures = round_trip(sync_always, args.count // 4, inline)
            where = "handlers on the loop" if inline else "handlers on a worker"
            print(f"{label:22} {where:22} " + "  ".join(f"{k} {v:8.0f}" for k, v in figures.items()))


if __name__ == "__main__":
    main()
