"""Orders by source and outcome, denials by check, venue counts: every configured series from the start, values
following the OMS's counts."""

from __future__ import annotations

from app.metrics.orders import OrderMetrics
from domain.ids import RISK_SESSION, SessionKey, VenueId
from oms.counts import OrderCounts
from risk.checks import CHECKS
from tests.unit.metrics.values import value, values

CLIENT = SessionKey("FIX.4.4:FIXGW->CLIENT1")


def _metrics(counts: OrderCounts, up: bool = True) -> OrderMetrics:
    return OrderMetrics(counts, ["CLIENT1", "CLIENT2"], lambda: {"VENUE": up, "POOL": True}, lambda: 3)


def test_collect_when_nothing_happened_then_every_configured_series_is_zero() -> None:
    found = values(_metrics(OrderCounts()))

    for source in ("CLIENT1", "CLIENT2", "risk"):
        assert value(found, "fixgw_orders_total", source=source) == 0
        for outcome in ("filled", "canceled", "rejected", "expired", "done_for_day", "denied"):
            assert value(found, "fixgw_order_outcomes_total", source=source, outcome=outcome) == 0
    assert {labels for name, labels in found if name == "fixgw_risk_denials_total"} == {(("check", c),) for c in CHECKS}
    assert value(found, "fixgw_venue_executions_total", venue="POOL") == 0
    assert value(found, "fixgw_orders_working") == 3


def test_collect_when_counts_move_then_values_follow_by_source_check_and_venue() -> None:
    counts = OrderCounts()
    counts.booked.update({CLIENT: 4, RISK_SESSION: 1})
    counts.outcomes.update({(CLIENT, "filled"): 2, (CLIENT, "denied"): 1, (RISK_SESSION, "filled"): 1})
    counts.denials["credit_limit"] += 1
    counts.fills[VenueId("VENUE")] += 3
    counts.venue_rejects[VenueId("VENUE")] += 1

    found = values(_metrics(counts, up=False))

    assert value(found, "fixgw_orders_total", source="CLIENT1") == 4
    assert value(found, "fixgw_orders_total", source="risk") == 1
    assert value(found, "fixgw_order_outcomes_total", source="CLIENT1", outcome="filled") == 2
    assert value(found, "fixgw_order_outcomes_total", source="CLIENT1", outcome="denied") == 1
    assert value(found, "fixgw_risk_denials_total", check="credit_limit") == 1
    assert value(found, "fixgw_venue_executions_total", venue="VENUE") == 3
    assert value(found, "fixgw_venue_rejects_total", venue="VENUE") == 1
    assert value(found, "fixgw_venue_up", venue="VENUE") == 0
    assert value(found, "fixgw_venue_up", venue="POOL") == 1
