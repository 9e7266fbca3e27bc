"""GET /metrics/hops/recent: each hop's newest samples, as percentiles and counted in 1-2-5 buckets of µs."""

from __future__ import annotations

from app.dashboard_routes import HISTOGRAM_EDGES_US, recent_hops
from domain.latency import HopClock


def test_recent_hops_when_samples_recorded_then_percentiles_and_buckets() -> None:
    clock = HopClock()
    for us in (0.5, 1, 1.5, 30, 30, 250_000):  # on an edge counts in the bucket it closes
        clock.record("risk", int(us * 1000))
    clock.record("decode", 3000)

    status, answer = recent_hops(clock)

    assert status == 200 and answer["edges_us"] == list(HISTOGRAM_EDGES_US)
    risk = answer["hops"]["risk"]
    assert (risk["count"], risk["p50"], risk["p99"], risk["max"]) == (6, 1.5, 250_000, 250_000)
    buckets = risk["buckets"]
    assert len(buckets) == len(HISTOGRAM_EDGES_US) + 1
    assert (buckets[0], buckets[1], buckets[5], buckets[-1], sum(buckets)) == (2, 1, 2, 1, 6)
    assert answer["hops"]["decode"]["buckets"][HISTOGRAM_EDGES_US.index(5)] == 1


def test_recent_hops_when_more_than_recent_then_only_the_newest_summed_but_all_counted() -> None:
    clock = HopClock()
    for _ in range(10):
        clock.record("risk", 1_000_000)  # 1 ms
    for _ in range(4):
        clock.record("risk", 1000)  # 1 µs

    _, answer = recent_hops(clock, recent=4)

    risk = answer["hops"]["risk"]
    assert (risk["count"], risk["p99"], risk["buckets"][0], sum(risk["buckets"])) == (14, 1.0, 4, 4)


def test_recent_hops_when_nothing_recorded_then_no_hops() -> None:
    assert recent_hops(HopClock())[1]["hops"] == {}
