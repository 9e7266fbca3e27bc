"""Adaptive routing's venue scores (README "Adaptive routing"): ``fixgw_routing_*`` per venue and symbol.

Labels come only from ``[routing.adaptive]`` (its venues and symbols). A scrape copies the engine's dict of latest
scores (one step under the GIL) and never takes the bus's lock: it does not wait on, or hold up, the order path.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from prometheus_client.metrics_core import GaugeMetricFamily, Metric

from domain.ids import Symbol, VenueId
from domain.tca import VenueScore

_LABELS = ["venue", "symbol"]


class RoutingMetrics:
    """Each adaptive venue's cost, samples and reject rate, and which venue holds each symbol's flow."""

    def __init__(
        self,
        scores: Mapping[tuple[VenueId, Symbol], VenueScore],
        incumbent: Callable[[str], VenueId | None],
        venues: list[str],
        symbols: list[str],
    ) -> None:
        self._scores = scores
        self._incumbent = incumbent
        self._venues = venues
        self._symbols = symbols

    def collect(self) -> Iterator[Metric]:
        """Every family."""
        scores = dict(self._scores)
        cost = GaugeMetricFamily(
            "fixgw_routing_score_bps",
            "A venue's expected cost in a symbol (slippage + fee - markout + reject rate x penalty), bps; lower wins.",
            labels=_LABELS,
        )
        samples = GaugeMetricFamily(
            "fixgw_routing_samples", "Orders the venue answered in the score's window (n).", labels=_LABELS
        )
        rejects = GaugeMetricFamily(
            "fixgw_routing_reject_ratio", "Rejects over orders answered, in the window.", labels=_LABELS
        )
        holds = GaugeMetricFamily(
            "fixgw_routing_incumbent", "1 for the venue that holds the symbol's adaptive flow, else 0.", labels=_LABELS
        )
        for symbol in self._symbols:
            held = self._incumbent(symbol)
            for venue in self._venues:
                labels = [venue, symbol]
                holds.add_metric(labels, 1.0 if held == venue else 0.0)
                score = scores.get((VenueId(venue), Symbol(symbol)))
                if score is None:
                    continue
                samples.add_metric(labels, score.n)
                rejects.add_metric(labels, float(score.reject_rate))
                if score.cost_bps is not None:
                    cost.add_metric(labels, float(score.cost_bps))
        yield from (cost, samples, rejects, holds)
