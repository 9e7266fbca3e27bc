"""The Prometheus endpoint: ``GET /metrics`` on a listener of its own, served by prometheus-client.

Theory of operation. Nothing is counted for Prometheus on the order path. The engines keep the plain counters they
keep anyway (ints and dicts of ints, the hop rings of ``domain.latency``), and the collectors of this server's own
``CollectorRegistry`` read them when a scrape comes (prometheus-client's custom collectors). Between scrapes the
endpoint costs nothing; a scrape's work runs on the server's thread and takes no lock the order path takes: each
value it reads is written whole by one thread, so a scrape may see an order in one family and not yet in another,
never a torn value.

Each server has its registry, never prometheus-client's global one (tests run several gateways in one process). It
is a separate listener from the admin API because it answers anyone who can reach it, read-only, as Prometheus
expects; keep it on loopback or a monitoring network. One request is served at a time, with a socket timeout, so a
flood of scrapes queues instead of running side by side against the order path for the GIL, and each scrape gives
the GIL back between its pieces of work (``app.metrics.pacing``).

Every scrape measures itself: its wall time and the CPU time of the serving thread (the time it held the GIL, less
the engine calls that release it), reported by the next scrape as ``fixgw_metrics_scrape_seconds``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CollectorRegistry, ProcessCollector, make_wsgi_app
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from app.metrics.pacing import Paced
from fixgw.errors import ConfigError

log = logging.getLogger("fixgw.metrics")

PATH = "/metrics"
REQUEST_TIMEOUT_S = 5.0
"""A client that does not send its request, or read the answer, within this is dropped."""
NAMESPACE = "fixgw"
SHUTDOWN_POLL_S = 0.05
"""How often the idle server looks whether it is told to stop (the library's 0.5 s would add that to every stop)."""

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class ScrapeTiming:
    """The previous scrape's wall and CPU time, as a collector (the scrape in progress cannot time itself)."""

    def __init__(self) -> None:
        self.wall_s = 0.0
        self.cpu_s = 0.0
        self.scrapes = 0

    def collect(self) -> Iterator[Metric]:
        """``fixgw_metrics_scrape_seconds{clock}`` of the previous scrape."""
        family = GaugeMetricFamily(
            "fixgw_metrics_scrape_seconds",
            "Time the previous scrape of this endpoint took: wall clock, and CPU of the serving thread.",
            labels=["clock"],
        )
        family.add_metric(["wall"], self.wall_s)
        family.add_metric(["cpu"], self.cpu_s)
        yield family

    def timed(self, app: WsgiApp) -> WsgiApp:
        """``app`` serving ``PATH`` only (404 elsewhere), each call timed into this object."""

        def serve(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            if environ.get("PATH_INFO") != PATH:
                start_response("404 Not Found", [("Content-Type", "text/plain")])
                return [f"nothing here: the metrics are at {PATH}\n".encode()]
            wall, cpu = time.perf_counter(), time.thread_time()
            body = app(environ, start_response)  # prometheus-client renders the whole answer before returning it
            self.wall_s, self.cpu_s = time.perf_counter() - wall, time.thread_time() - cpu
            self.scrapes += 1
            return body

        return serve


class _Quiet(WSGIRequestHandler):
    timeout = REQUEST_TIMEOUT_S

    def log_message(self, format: str, *args: Any) -> None:
        pass  # a scrape every few seconds is not news


class MetricsServer:
    """Serve ``GET /metrics`` for ``collectors`` (plus the process's CPU and memory) on ``listen``."""

    def __init__(self, listen: str, collectors: Iterable[Collector], name: str) -> None:
        """``listen``: host:port (port 0: any free one, then in ``port``). ``name``: of the serving thread."""
        self.registry = CollectorRegistry(auto_describe=False)
        self.timing = ScrapeTiming()
        for collector in (*collectors, self.timing):
            self.registry.register(Paced(collector))
        ProcessCollector(namespace=NAMESPACE, registry=self.registry)
        host, _, port = listen.rpartition(":")
        try:
            self._http = make_server(
                host, int(port), self.timing.timed(make_wsgi_app(self.registry)), WSGIServer, _Quiet
            )
        except OSError as exc:
            raise ConfigError(f"metrics endpoint cannot listen on {listen}: {exc.strerror}") from None
        self.host = host
        self.port: int = self._http.server_address[1]
        self._thread = threading.Thread(target=self._serve, name=f"{name}-metrics", daemon=True)

    @property
    def url(self) -> str:
        """Where to scrape."""
        return f"http://{self.host}:{self.port}{PATH}"

    def start(self) -> None:
        """Serve in the background."""
        self._thread.start()
        log.info("metrics: %s", self.url)

    def _serve(self) -> None:
        self._http.serve_forever(poll_interval=SHUTDOWN_POLL_S)

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._thread.is_alive():
            self._http.shutdown()
        self._http.server_close()
