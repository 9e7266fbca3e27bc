"""A Prometheus stand-in for ``fixgw bench --scrape-every``: GET /metrics at a fixed interval from a process of its
own, writing one JSON line per scrape: how long it took as seen from here, its size, and what the gateway measured
of the scrape before it (``fixgw_metrics_scrape_seconds``: wall time, and CPU time of its serving thread).

    python -c "from app.bench.scraper import main; main()" URL INTERVAL_S OUT_FILE

It stops at SIGTERM (or SIGINT).
"""

from __future__ import annotations

import json
import re
import signal
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

_SCRAPE = re.compile(r'^fixgw_metrics_scrape_seconds\{clock="(wall|cpu)"\} (\S+)$', re.MULTILINE)


def scrape(url: str) -> dict[str, Any]:
    """One scrape: this side's wall time, the answer's size, and the server's figures for the previous scrape."""
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=10) as answer:
        body = answer.read()
    wall = time.perf_counter() - started
    server = {clock: float(value) for clock, value in _SCRAPE.findall(body.decode())}
    return {
        "at": time.time(),
        "wall_s": wall,
        "bytes": len(body),
        "previous_server_wall_s": server.get("wall"),
        "previous_server_cpu_s": server.get("cpu"),
    }


def main() -> None:
    """Scrape ``argv[1]`` every ``argv[2]`` seconds into ``argv[3]`` until told to stop."""
    url, interval, out = sys.argv[1], float(sys.argv[2]), Path(sys.argv[3])
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    due = time.monotonic()
    with out.open("a") as lines:
        while not stop.is_set():
            try:
                lines.write(json.dumps(scrape(url)) + "\n")
            except OSError as exc:
                lines.write(json.dumps({"at": time.time(), "error": str(exc)}) + "\n")
            lines.flush()
            due += interval
            stop.wait(max(0.0, due - time.monotonic()))


if __name__ == "__main__":
    main()
