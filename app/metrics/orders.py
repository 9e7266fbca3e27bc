"""Orders by source and outcome, denials by check, executions and refusals by venue, and venue health: read from the
OMS's counts (``oms.counts``) at scrape time.

A *source* is who sent the order: a client's CompID, a strategy's session (``STRATEGY:MM1``), or ``risk`` for the risk
engine's own reducing orders. Every
configured source, outcome, check and venue is given from the start, at zero, so that a rate over a series that
has not moved yet is 0 and not absent.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping
from typing import Final

from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric

from domain.ids import RISK_SESSION, SessionKey, VenueId, client_comp_id
from oms.counts import DENIED, OUTCOMES, OrderCounts
from risk.checks import CHECKS

RISK_SOURCE: Final = client_comp_id(RISK_SESSION)


class OrderMetrics:
    """``fixgw_orders_*``, ``fixgw_risk_denials_total``, ``fixgw_venue_*``."""

    def __init__(
        self,
        counts: OrderCounts,
        clients: Collection[str],
        venue_up: Callable[[], dict[str, bool]],
        working: Callable[[], int],
    ) -> None:
        """``clients``: the configured client CompIDs; ``venue_up``: each configured venue, whether it can take
        orders (``/health``'s answer); ``working``: how many orders have quantity working now."""
        self._counts = counts
        self._sources = (*sorted(clients), RISK_SOURCE)
        self._venue_up = venue_up
        self._working = working
        self._outcomes = (*dict.fromkeys(OUTCOMES.values()), DENIED)

    def collect(self) -> Iterator[Metric]:
        """Every family, from one copy of each count."""
        counts = self._counts
        booked = _by_source(dict(counts.booked))
        outcomes: dict[tuple[str, ...], int] = {}
        for (session, outcome), n in list(counts.outcomes.items()):
            key = (client_comp_id(session), outcome)
            outcomes[key] = outcomes.get(key, 0) + n
        yield _counter(
            "fixgw_orders",
            "Orders booked (NewOrderSingles taken into the book, and the risk engine's own), by source.",
            ["source"],
            {(s,): booked.get(s, 0) for s in (*self._sources, *booked)},
        )
        every: dict[tuple[str, ...], int] = {(s, o): 0 for s in (*self._sources, *booked) for o in self._outcomes}
        yield _counter(
            "fixgw_order_outcomes",
            "Orders that reached a final state, by source and outcome (denied: refused by our risk checks or "
            "routing; rejected: refused by the venue).",
            ["source", "outcome"],
            every | outcomes,
        )
        denials = dict(counts.denials)
        yield _counter(
            "fixgw_risk_denials",
            "Orders, replaces and messages refused by a risk check, by check.",
            ["check"],
            {(c,): denials.get(c, 0) for c in (*CHECKS, *denials)},
        )
        up = self._venue_up()
        yield from self._venue_families(up)
        working = GaugeMetricFamily("fixgw_orders_working", "Orders with quantity working now.")
        working.add_metric([], self._working())
        yield working

    def _venue_families(self, up: dict[str, bool]) -> Iterator[Metric]:
        counts = self._counts
        values: dict[str, int]
        for name, documentation, values in (
            ("fixgw_venue_executions", "Executions (150=F) applied to the book, by venue.", _plain(counts.fills)),
            ("fixgw_venue_rejects", "Orders the venue refused (150=8), by venue.", _plain(counts.venue_rejects)),
            (
                "fixgw_venue_cancel_rejects",
                "Cancels and replaces the venue refused (35=9), by venue.",
                _plain(counts.cancel_rejects),
            ),
        ):
            yield _counter(name, documentation, ["venue"], {(v,): values.get(v, 0) for v in (*up, *values)})
        family = GaugeMetricFamily(
            "fixgw_venue_up",
            "1 while the venue can take orders (its session is logged on; an internal venue always).",
            labels=["venue"],
        )
        for venue, ok in up.items():
            family.add_metric([venue], 1.0 if ok else 0.0)
        yield family


def _plain(by_venue: Mapping[VenueId, int]) -> dict[str, int]:
    return {str(venue): n for venue, n in list(by_venue.items())}


def _by_source(by_session: dict[SessionKey, int]) -> dict[str, int]:
    sources: dict[str, int] = {}
    for session, n in by_session.items():
        source = client_comp_id(session)
        sources[source] = sources.get(source, 0) + n
    return sources


def _counter(
    name: str, documentation: str, labels: list[str], values: Mapping[tuple[str, ...], int]
) -> CounterMetricFamily:
    family = CounterMetricFamily(name, documentation, labels=labels)
    for key, value in values.items():
        family.add_metric(list(key), value)
    return family
