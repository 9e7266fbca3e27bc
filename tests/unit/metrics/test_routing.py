"""Adaptive routing's gauges: a venue's cost, samples and reject ratio, and the incumbent, labelled only by the
configured venues and symbols."""

from __future__ import annotations

from decimal import Decimal

from app.metrics.routing import RoutingMetrics
from domain.ids import Symbol, VenueId
from domain.tca import VenueScore
from tests.unit.metrics.values import value, values

A, B, MSFT = VenueId("POOL_A"), VenueId("POOL_B"), Symbol("MSFT")


def score(venue: VenueId, cost: Decimal | None, n: int, reject_rate: str = "0") -> VenueScore:
    return VenueScore(
        venue=venue,
        symbol=MSFT,
        cost_bps=cost,
        n=n,
        fills=n,
        slippage_bps=None,
        fee_bps=None,
        markout_bps=None,
        reject_rate=Decimal(reject_rate),
        ts_ns=1,
    )


def test_collect_when_scores_then_gauges_per_configured_venue_and_symbol() -> None:
    scores = {
        (A, MSFT): score(A, Decimal("0.75"), 40),
        (B, MSFT): score(B, None, 3, "0.25"),
        (VenueId("ELSEWHERE"), MSFT): score(VenueId("ELSEWHERE"), Decimal(1), 9),
    }

    found = values(RoutingMetrics(scores, lambda symbol: A, ["POOL_A", "POOL_B"], ["MSFT", "IBM"]))

    assert value(found, "fixgw_routing_score_bps", venue="POOL_A", symbol="MSFT") == 0.75
    assert ("fixgw_routing_score_bps", (("symbol", "MSFT"), ("venue", "POOL_B"))) not in found  # no cost yet
    assert value(found, "fixgw_routing_samples", venue="POOL_B", symbol="MSFT") == 3
    assert value(found, "fixgw_routing_reject_ratio", venue="POOL_B", symbol="MSFT") == 0.25
    assert value(found, "fixgw_routing_incumbent", venue="POOL_A", symbol="MSFT") == 1
    assert value(found, "fixgw_routing_incumbent", venue="POOL_B", symbol="IBM") == 0
    assert not any(("venue", "ELSEWHERE") in labels for _, labels in found)
