"""The gateway's internal venues' behaviour families: what each did and the settings in force."""

from __future__ import annotations

from decimal import Decimal

from app.metrics.venues import InternalVenueMetrics
from matching.behaviour import Behaviour
from tests.unit.ems.test_internal_behaviour import POOL, pool, submit
from tests.unit.metrics.values import value, values


def test_collect_when_pool_rejected_and_charged_then_families_per_venue() -> None:
    venue, _, bus = pool(Behaviour(fee_per_share=Decimal("0.01"), reject_ratio=0.5))
    for n in range(1, 9):
        submit(venue, bus, n)
    clean, _, _ = pool(None)

    found = values(InternalVenueMetrics({POOL: venue, "CLEAN": clean}))

    assert venue.behaviour is not None
    counters = venue.behaviour.counters
    assert value(found, "fixgw_venue_behaviour_total", venue="POOL", kind="rejected") == counters.rejected > 0
    assert value(found, "fixgw_venue_fees_total", venue="POOL") == float(counters.fees) > 0
    assert value(found, "fixgw_venue_behaviour_setting", venue="POOL", setting="reject_ratio") == 0.5
    assert not any(("venue", "CLEAN") in labels for _, labels in found)
