"""Rate windows and recently seen orders: exact against naive models, bounded in memory."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.enums import Side
from risk.throttle import SECOND_NS, RateWindow, RecentOrders, terms_key, terms_prefix

D = Decimal
MS = 1_000_000


def test_rate_window_when_limit_reached_within_a_second_then_full_until_the_oldest_leaves() -> None:
    window = RateWindow(cap=3)
    for t in (0, 100 * MS, 200 * MS):
        assert not window.full(3, t)
        window.add(t)

    assert window.full(3, 999 * MS)
    assert not window.full(3, SECOND_NS)  # the first admission is a whole second old


def test_rate_window_when_limit_below_cap_then_counts_only_the_last_limit_admissions() -> None:
    window = RateWindow(cap=10)
    for t in (0, 600 * MS, 700 * MS):
        window.add(t)

    assert window.full(2, 1_500 * MS)  # 600 and 700 ms are within the second before 1.5 s
    assert not window.full(3, 1_500 * MS)  # 0 ms is not


@given(st.lists(st.integers(0, 400 * MS), min_size=1, max_size=200), st.integers(1, 8))
def test_rate_window_when_any_arrivals_then_admits_exactly_as_a_full_log_would(gaps: list[int], limit: int) -> None:
    window = RateWindow(cap=8)
    log: list[int] = []
    now = 0
    for gap in gaps:
        now += gap
        expected_full = sum(1 for t in log if now - t < SECOND_NS) >= limit

        assert window.full(limit, now) is expected_full
        if not expected_full:
            window.add(now)
            log.append(now)


def test_rate_window_when_resized_then_keeps_the_newest() -> None:
    window = RateWindow(cap=4)
    for t in range(4):
        window.add(t)

    window.resize(2)

    assert list(window.times) == [2, 3]


def test_terms_key_when_same_values_written_differently_then_same_key() -> None:
    prefix = terms_prefix("ACCT1", "MSFT", Side.BUY)

    assert (
        terms_key(prefix, D("100"), D("1.50"))
        == terms_key(prefix, D("100.0"), D("1.5"))
        == terms_key(prefix, D("1E+2"), D("1.500"))
    )
    assert terms_key(prefix, D("100"), D("1.5")) != terms_key(prefix, D("100"), D("1.51"))
    assert terms_key(prefix, D("100"), None) != terms_key(prefix, D("100"), D("0"))
    assert terms_key(prefix, D("10"), D("1")) != terms_key(terms_prefix("ACCT1", "MSFT", Side.SELL), D("10"), D("1"))


def test_recent_orders_when_seen_again_then_returns_when_it_was_last_seen() -> None:
    recent = RecentOrders(horizon_ns=500 * MS)

    assert recent.seen("k", 0) is None
    assert recent.seen("k", 100 * MS) == 0
    assert recent.seen("k", 300 * MS) == 100 * MS


@given(st.lists(st.tuples(st.sampled_from("abc"), st.integers(0, 300 * MS)), min_size=1, max_size=150))
def test_recent_orders_when_any_arrivals_then_never_forgets_what_the_horizon_reaches(
    arrivals: list[tuple[str, int]],
) -> None:
    horizon = 500 * MS
    recent = RecentOrders(horizon)
    last: dict[str, int] = {}
    now = 0
    for key, gap in arrivals:
        now += gap
        before = last.get(key)

        got = recent.seen(key, now)

        if before is not None and now - before < horizon:
            assert got == before
        else:
            assert got is None or now - got >= horizon
        last[key] = now


def test_recent_orders_when_time_passes_then_old_terms_are_dropped() -> None:
    recent = RecentOrders(horizon_ns=10 * MS)
    for i in range(1000):
        recent.seen(f"k{i}", i * MS)

    assert len(recent) <= 20  # two generations of the horizon, not the whole day


@pytest.mark.parametrize("cap", [1, 5])
def test_rate_window_when_limit_one_then_second_message_in_same_instant_is_refused(cap: int) -> None:
    window = RateWindow(cap)
    window.add(7)

    assert window.full(1, 7)
