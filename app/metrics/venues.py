"""The gateway's internal venues' behaviours: what each did (rejects, delays, adverse moves, fees) and its settings.

Read without the bus lock, as every collector reads: each counter is written whole by the one thread that holds it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric

from domain.ids import VenueId
from ems.venues.internal import InternalVenue


class InternalVenueMetrics:
    """``fixgw_venue_behaviour_*`` and ``fixgw_venue_fees`` of the internal venues that have a behaviour."""

    def __init__(self, venues: Mapping[VenueId, InternalVenue]) -> None:
        """``venues``: the gateway's internal venues (``InternalVenues.venues``)."""
        self._venues = venues

    def collect(self) -> Iterator[Metric]:
        """Every family."""
        did = CounterMetricFamily(
            "fixgw_venue_behaviour",
            "What an internal venue's behaviour did: new orders rejected by its reject ratio, requests delayed, "
            "adverse moves of the fair value.",
            labels=["venue", "kind"],
        )
        fees = CounterMetricFamily("fixgw_venue_fees", "Fees an internal venue charged, in money.", labels=["venue"])
        settings = GaugeMetricFamily(
            "fixgw_venue_behaviour_setting", "An internal venue's behaviour in force.", labels=["venue", "setting"]
        )
        for name, venue in self._venues.items():
            behaviour = venue.behaviour
            if behaviour is None:
                continue
            counters, now = behaviour.counters, behaviour.settings
            for what, n in (
                ("rejected", counters.rejected),
                ("delayed", counters.delayed),
                ("adverse_moves", counters.adverse_moves),
            ):
                did.add_metric([name, what], n)
            fees.add_metric([name], float(counters.fees))
            for setting, value in now.as_dict().items():
                settings.add_metric([name, setting], float(str(value)))
        yield from (did, fees, settings)
