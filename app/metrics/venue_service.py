"""``fixgw serve venue``'s own endpoint (``--metrics HOST:PORT``): its venue session and what it moved between the
session and JetStream. Read at scrape time from the service's plain counters, as every collector here reads."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from app.metrics.server import MetricsServer
from app.metrics.sessions import SessionMetrics, SessionStats


class VenueServiceMetrics:
    """``fixgw_venue_service_*``."""

    def __init__(self, venue: str, counters: Callable[[], Mapping[str, int]]) -> None:
        """``counters``: the service's plain counters (``VenueService.counters``), read at scrape time."""
        self._venue = venue
        self._counters = counters

    def collect(self) -> Iterator[Metric]:
        """Every family."""
        counts = self._counters()
        venue = [self._venue]
        requests = CounterMetricFamily(
            "fixgw_venue_service_requests",
            "Requests from the cores (FIXGW_VENUE_OUT): handed to the session, refused back (session down), or dropped "
            "as already handed on (a redelivery).",
            labels=["venue", "outcome"],
        )
        for outcome in ("sent", "refused", "dropped"):
            requests.add_metric([*venue, outcome], counts[f"requests_{outcome}"])
        published = CounterMetricFamily(
            "fixgw_venue_service_published",
            "Messages published to FIXGW_VENUE_IN: from the venue (fix) and the service's own (svc).",
            labels=["venue", "kind"],
        )
        for kind in ("fix", "svc"):
            published.add_metric([*venue, kind], counts[f"published_{kind}"])
        duplicates = CounterMetricFamily(
            "fixgw_venue_service_jetstream_duplicates",
            "Publishes JetStream dropped as duplicates (a venue's resend of what the stream holds).",
            labels=["venue"],
        )
        duplicates.add_metric(venue, counts["jetstream_duplicates"])
        through = GaugeMetricFamily(
            "fixgw_venue_service_sent_through",
            "The last FIXGW_VENUE_OUT stream sequence handed to the session (var/venue-<NAME>/sent-through).",
            labels=["venue"],
        )
        through.add_metric(venue, counts["sent_through"])
        yield from (requests, published, duplicates, through)


def venue_service_metrics(
    venue: str, app: SessionStats, counters: Callable[[], Mapping[str, int]], listen: str
) -> MetricsServer:
    """A venue service's ``GET /metrics`` on ``listen``, ready to start: its session and its counters."""
    collectors: list[Collector] = [SessionMetrics({"venue": app}), VenueServiceMetrics(venue, counters)]
    return MetricsServer(listen, collectors, f"venue-{venue}")
