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


if __name__ == "__main__":
    main()
