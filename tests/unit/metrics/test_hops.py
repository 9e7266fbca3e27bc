"""Hop histograms built at scrape time from the hop clock's rings: cumulative, monotonic across scrapes and resets,
and exact however the new samples lie in the ring."""

from __future__ import annotations

from app.metrics.hops import BUCKETS_S, SLICE, HopHistograms, HopTotals
from domain.latency import CAPACITY, HopClock, Ring
from tests.unit.metrics.values import value, values

US = 1_000


def _ring(*ns: int) -> Ring:
    ring = Ring()
    for sample in ns:
        ring.add(sample)
    return ring


def _le(totals: HopTotals, bound_s: float) -> float:
    return dict(totals.buckets())[f"{bound_s:g}"]


def test_follow_when_samples_then_cumulative_buckets_count_and_sum() -> None:
    ring = _ring(1 * US, 30 * US, 2_000 * US)
    totals = HopTotals(ring)

    totals.follow(ring)

    assert (_le(totals, 5e-6), _le(totals, 2.5e-5), _le(totals, 5e-5), _le(totals, 2.5e-3)) == (1, 1, 2, 3)
    assert dict(totals.buckets())["+Inf"] == totals.count == 3
    assert totals.sum_ns == 2_031 * US


def test_follow_when_called_again_then_only_new_samples_are_added() -> None:
    ring = _ring(1 * US)
    totals = HopTotals(ring)
    totals.follow(ring)

    ring.add(100 * US)
    totals.follow(ring)
    totals.follow(ring)  # nothing new: nothing added

    assert totals.count == 2 and _le(totals, 5e-6) == 1 and _le(totals, 1e-4) == 2


def test_follow_when_ring_replaced_by_a_reset_then_totals_go_on_from_the_new_rings_start() -> None:
    old = _ring(1 * US, 1 * US)
    totals = HopTotals(old)
    totals.follow(old)

    totals.follow(_ring(3 * US))

    assert totals.count == 3 and totals.sum_ns == 5 * US


def test_follow_when_new_samples_wrap_around_the_ring_in_several_slices_then_each_is_counted_once() -> None:
    ring = _ring(*([7 * US] * 100))
    totals = HopTotals(ring)
    totals.follow(ring)
    for i in range(CAPACITY):  # a whole ring's worth more: it wraps, and takes CAPACITY / SLICE slices
        ring.add(7 * US if i % 2 else 70 * US)

    totals.follow(ring)

    assert CAPACITY > SLICE
    assert totals.count == 100 + CAPACITY
    assert _le(totals, 1e-5) == 100 + CAPACITY // 2 and _le(totals, 1e-4) == totals.count
    assert totals.sum_ns == 100 * 7 * US + CAPACITY // 2 * 77 * US


def test_collect_when_hops_recorded_then_one_family_labelled_by_hop_with_every_bucket() -> None:
    clock = HopClock()
    clock.record("decode", 2 * US)
    clock.record("risk", 40 * US)
    clock.record("risk", 400 * US)

    found = values(HopHistograms(clock))

    assert value(found, "fixgw_hop_latency_seconds_count", hop="risk") == 2
    assert value(found, "fixgw_hop_latency_seconds_bucket", hop="risk", le="5e-05") == 1
    assert value(found, "fixgw_hop_latency_seconds_bucket", hop="decode", le="+Inf") == 1
    assert abs(value(found, "fixgw_hop_latency_seconds_sum", hop="risk") - 440e-6) < 1e-12
    assert sum(1 for name, labels in found if name.endswith("_bucket") and ("hop", "risk") in labels) == (
        len(BUCKETS_S) + 1
    )


def test_collect_when_only_one_hop_then_the_family_has_no_hop_label_and_ignores_the_others() -> None:
    clock = HopClock()
    clock.record("journal write", 3 * US)
    clock.record("decode", 1 * US)

    found = values(HopHistograms(clock, "fixgw_journal_commit_seconds", "doc", only=("journal write",)))

    assert found[("fixgw_journal_commit_seconds_count", ())] == 1
    assert all(("hop", "decode") not in labels for _, labels in found)
