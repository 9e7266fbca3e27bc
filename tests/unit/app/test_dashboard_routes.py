"""GET /metrics/hops/histogram: each hop's newest samples counted in 1-2-5 buckets of µs."""

from __future__ import annotations

from app.dashboard_routes import HISTOGRAM_EDGES_US, hop_histogram
from domain.latency import HopClock


def test_hop_histogram_when_samples_recorded_then_counted_in_their_buckets() -> None:
    clock = HopClock()
    for us in (0.5, 1, 1.5, 30, 30, 250_000):  # on an edge counts in the bucket it closes
        clock.record("risk", int(us * 1000))
    clock.record("decode", 3000)

    status, answer = hop_histogram(clock)

    assert status == 200 and answer["edges_us"] == list(HISTOGRAM_EDGES_US)
    risk = answer["hops"]["risk"]
    assert len(risk) == len(HISTOGRAM_EDGES_US) + 1
    assert (risk[0], risk[1], risk[5], risk[-1], sum(risk)) == (2, 1, 2, 1, 6)
    assert answer["hops"]["decode"][HISTOGRAM_EDGES_US.index(5)] == 1


def test_hop_histogram_when_more_than_recent_then_only_the_newest_counted() -> None:
    clock = HopClock()
    for _ in range(10):
        clock.record("risk", 1_000_000)  # 1 ms
    for _ in range(4):
        clock.record("risk", 1000)  # 1 µs

    _, answer = hop_histogram(clock, recent=4)

    assert answer["hops"]["risk"][0] == 4 and sum(answer["hops"]["risk"]) == 4
