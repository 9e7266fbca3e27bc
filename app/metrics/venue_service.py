"""``fixgw serve venue``'s own endpoint (``--metrics HOST:PORT``): its venue session and what it moved between the
session and JetStream. Read at scrape time from the service's plain counters, as every collector here reads."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from app.metrics.server import MetricsServer
from app.metrics.sessions import SessionMetrics

if TYPE_CHECKING:
    from app.services.venue import VenueService


class VenueServiceMetrics:
    """``fixgw_venue_service_*``."""

    def __init__(self, service: VenueService) -> None:
        self._service = service

    def collect(self) -> Iterator[Metric]:
        """Every family."""
        service = self._service
        venue = [service.venue]
        requests = CounterMetricFamily(
            "fixgw_venue_service_requests",
            "Requests from the cores (FIXGW_VENUE_OUT): handed to the session, refused back (session down), or dropped "
            "as already handed on (a redelivery).",
            labels=["venue", "outcome"],
        )
        for outcome, count in (
            ("sent", service.requests_sent),
            ("refused", service.requests_refused),
            ("dropped", service.requests_dropped),
        ):
            requests.add_metric([*venue, outcome], count)
        published = CounterMetricFamily(
            "fixgw_venue_service_published",
            "Messages published to FIXGW_VENUE_IN: from the venue (fix) and the service's own (svc).",
            labels=["venue", "kind"],
        )
        published.add_metric([*venue, "fix"], service.published_fix)
        published.add_metric([*venue, "svc"], service.published_svc)
        duplicates = CounterMetricFamily(
            "fixgw_venue_service_jetstream_duplicates",
            "Publishes JetStream dropped as duplicates (a venue's resend of what the stream holds).",
            labels=["venue"],
        )
        duplicates.add_metric(venue, service.link.duplicates)
        through = GaugeMetricFamily(
            "fixgw_venue_service_sent_through",
            "The last FIXGW_VENUE_OUT stream sequence handed to the session (var/venue-<NAME>/sent-through).",
            labels=["venue"],
        )
        through.add_metric(venue, service.sent_through.value)
        yield from (requests, published, duplicates, through)


def venue_service_metrics(service: VenueService, listen: str) -> MetricsServer:
    """The venue service's ``GET /metrics`` on ``listen``, ready to start."""
    collectors: list[Collector] = [SessionMetrics({"venue": service.app}), VenueServiceMetrics(service)]
    return MetricsServer(listen, collectors, f"venue-{service.venue}")
