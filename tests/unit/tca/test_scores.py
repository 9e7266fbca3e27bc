"""The TCA arithmetic against the fixture of issue 18 (to 1e-4 bps), and its edge cases."""

from __future__ import annotations

from decimal import Decimal

import msgspec
import pytest

from domain.enums import OrdStatus, Side
from domain.tca_records import AckRecord
from tca.measures import MidSeries, display, markout_bps, shortfall_cash, slippage_bps, weighted
from tca.scorecard import markout_curve, scorecard
from tca.scores import score_order, score_orders
from tests.tca_fixture import (
    EXPECTED_ORDERS,
    EXPECTED_VENUES,
    FILLS,
    MIDS,
    ORDERS,
    SYMBOL,
    A,
    B,
    at,
)


def _scores():  # type: ignore[no-untyped-def]
    return score_orders(ORDERS, FILLS, {SYMBOL: MidSeries(MIDS)})


@pytest.mark.parametrize("order_id", sorted(EXPECTED_ORDERS))
def test_score_orders_when_fixture_then_each_order_figure_as_the_issue_states(order_id: str) -> None:
    score = next(s for s in _scores() if s.order.cl_ord_id == order_id)

    shown = (
        display(score.slippage_bps),
        display(score.shortfall_cash),
        display(score.shortfall_bps),
        tuple(display(m) for m in score.markouts),
        display(score.fill_ratio),
    )

    assert shown == EXPECTED_ORDERS[order_id]


@pytest.mark.parametrize("venue", sorted(EXPECTED_VENUES))
def test_scorecard_when_fixture_then_each_venue_figure_as_the_issue_states(venue: str) -> None:
    row = next(v for v in scorecard(_scores()) if v.venue == venue)

    shown = (
        display(row.reject_rate),
        display(row.fill_ratio),
        display(row.slippage_bps),
        tuple(display(m) for m in row.markouts),
    )

    assert shown == EXPECTED_VENUES[venue]


def test_score_order_when_fixture_b_then_end_price_is_the_mid_when_it_was_canceled() -> None:
    score = next(s for s in _scores() if s.order.cl_ord_id == "B")

    assert (score.end_px, score.filled_qty, score.avg_px) == (Decimal("100.00"), Decimal(100), Decimal("100.04"))


def test_score_order_when_fills_then_average_price_is_exact_not_the_books_rounded_avg_px() -> None:
    score = next(s for s in _scores() if s.order.cl_ord_id == "A")

    assert score.avg_px is not None
    assert score.avg_px * 3 == Decimal("300.05")  # 100.01666..., to 50 digits
    assert score.shortfall_cash == Decimal("8.000")


def test_markout_when_horizon_after_last_mid_row_then_not_yet() -> None:
    series = MidSeries(MIDS[:10])  # the series ends at 25 s
    score = score_order(B, [f for f in FILLS if f.order_id == B.order_id], series)

    assert score.markouts[:2] != (None, None)
    assert score.markouts[2] is None  # 10 s + 60 s = 70 s is not covered yet


def test_mid_series_when_asked_before_first_row_or_after_last_then_none() -> None:
    series = MidSeries(MIDS)

    assert (series.at(at("-1")), series.at(at("80")), series.at(at("80.001"))) == (None, Decimal("100.00"), None)
    assert series.at(at("0.899")) == Decimal("100.00")
    assert series.at(at("0.9")) == Decimal("100.015")


def test_score_order_when_no_market_data_at_arrival_and_no_decision_then_slippage_and_shortfall_unknown() -> None:
    order = msgspec.structs.replace(A, arrival_bid=None, arrival_ask=None, decision_px=None)

    score = score_order(order, [f for f in FILLS if f.order_id == A.order_id], MidSeries(MIDS))

    assert (score.slippage_bps, score.shortfall_cash, score.shortfall_bps) == (None, None, None)
    assert score.markouts[0] is not None


def test_score_order_when_still_working_then_unfilled_valued_at_latest_mid() -> None:
    order = msgspec.structs.replace(B, status=OrdStatus.PARTIALLY_FILLED)

    score = score_order(order, [f for f in FILLS if f.order_id == B.order_id], MidSeries(MIDS))

    assert score.end_px == Decimal("100.00")  # the 80 s row


def test_signs_when_buy_above_mid_then_cost_positive_and_sell_symmetric() -> None:
    assert slippage_bps(Side.BUY, Decimal(101), Decimal(100)) == Decimal(100)
    assert slippage_bps(Side.SELL, Decimal(101), Decimal(100)) == Decimal(-100)
    assert markout_bps(Side.BUY, Decimal(100), Decimal(101)) == Decimal(100)
    assert markout_bps(Side.SELL, Decimal(100), Decimal(101)) == Decimal(-100)


def test_shortfall_cash_when_unfilled_part_has_no_end_price_then_unknown() -> None:
    assert shortfall_cash(Side.BUY, Decimal(100), Decimal(101), Decimal(1), None, Decimal(1)) is None
    assert shortfall_cash(Side.BUY, Decimal(100), Decimal(101), Decimal(1), None, Decimal(0)) == Decimal(1)


def test_weighted_when_values_missing_then_they_carry_no_weight() -> None:
    assert weighted([(Decimal(1), Decimal(1)), (None, Decimal(5)), (Decimal(4), Decimal(2))]) == Decimal(3)
    assert weighted([(None, Decimal(1))]) is None


def test_display_when_tiny_negative_then_no_minus_zero() -> None:
    assert (display(Decimal("-0.00001")), display(Decimal("1.49995")), display(None)) == ("0.0000", "1.5000", None)


def test_scorecard_when_acks_then_latency_in_ms_and_none_for_a_venue_without_round_trips() -> None:
    acks = {
        A.order_id: AckRecord(order_id=A.order_id, venue="VENUE", sent_ns=at("0"), answered_ns=at("0.002")),
        B.order_id: AckRecord(order_id=B.order_id, venue="VENUE", sent_ns=at("9"), answered_ns=at("9.004")),
    }

    rows = {v.venue: v for v in scorecard(_scores(), acks)}

    venue = rows["VENUE"].ack
    assert venue is not None
    assert (venue.count, venue.mean_ms, venue.p50_ms, venue.max_ms) == (2, Decimal(3), Decimal(2), Decimal(4))
    assert rows["POOL"].ack is None


def test_scorecard_when_by_symbol_then_one_row_per_venue_and_symbol() -> None:
    rows = scorecard(_scores(), by_symbol=True)

    assert [(r.venue, r.symbol) for r in rows] == [("POOL", SYMBOL), ("VENUE", SYMBOL)]


def test_markout_curve_when_more_horizons_then_per_venue_values_in_order() -> None:
    horizons = (0, 1, 5, 60)
    scores = score_orders(ORDERS, FILLS, {SYMBOL: MidSeries(MIDS)}, horizons)

    curve = markout_curve(scores, horizons)

    assert sorted(curve) == ["POOL", "VENUE"]
    assert [display(v) for v in curve["POOL"]] == ["0.0000", "1.0000", "-1.0000", "0.0000"]
