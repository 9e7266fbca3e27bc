"""The hop clock: a timeline's marks, per-thread isolation, round trips, and a bounded ring."""

from __future__ import annotations

import threading

from domain.latency import CAPACITY, HopClock, Ring


def test_marks_record_each_stage_of_an_open_timeline_only() -> None:
    clock = HopClock()
    clock.mark("ignored")  # no timeline open: nothing recorded
    clock.start()
    clock.mark("decode")
    clock.mark("risk")
    clock.stop()
    clock.mark("after")
    summary = clock.summary()
    assert list(summary) == ["decode", "risk"]
    assert summary["decode"]["count"] == 1 and summary["risk"]["count"] == 1
    assert summary["decode"]["p50"] >= 0


def test_another_threads_marks_do_not_use_this_threads_timeline() -> None:
    clock = HopClock()
    clock.start()
    other = threading.Thread(target=lambda: clock.mark("venue thread"))
    other.start()
    other.join()
    clock.mark("client thread")
    assert list(clock.summary()) == ["client thread"]


def test_round_trip_is_recorded_once_and_only_when_begun() -> None:
    clock = HopClock()
    clock.end(("V", "O1"), "venue round trip")
    clock.begin(("V", "O1"))
    clock.end(("V", "O1"), "venue round trip")
    clock.end(("V", "O1"), "venue round trip")  # a second report of the same order: no second sample
    assert clock.summary()["venue round trip"]["count"] == 1


def test_ring_keeps_the_most_recent_samples_in_fixed_memory() -> None:
    ring = Ring()
    size = len(ring.samples)
    for ns in range(CAPACITY + 10):
        ring.add(ns * 1000)
    assert len(ring.samples) == size == CAPACITY
    summary = ring.summary()
    assert summary["count"] == CAPACITY + 10
    assert summary["max"] == (CAPACITY + 9)  # in µs: the newest sample
    assert min(ring.samples) == 10 * 1000  # the ten oldest were overwritten


def test_percentiles_of_known_samples() -> None:
    ring = Ring()
    for us in range(1, 101):
        ring.add(us * 1000)
    summary = ring.summary()
    assert (summary["p50"], summary["p90"], summary["p99"], summary["max"]) == (50, 90, 99, 100)


def test_reset_forgets_everything() -> None:
    clock = HopClock()
    clock.record("book commit", 5)
    clock.begin("k")
    clock.reset()
    clock.end("k", "rt")
    assert clock.summary() == {}


def test_recent_when_ring_not_full_then_the_newest_oldest_first() -> None:
    ring = Ring()
    for ns in range(1, 6):
        ring.add(ns)

    assert (ring.recent(3), ring.recent(10), ring.recent(0)) == ([3, 4, 5], [1, 2, 3, 4, 5], [])


def test_recent_when_ring_wrapped_then_across_the_wrap_oldest_first() -> None:
    ring = Ring()
    for ns in range(CAPACITY + 3):
        ring.add(ns)

    assert ring.recent(5) == [CAPACITY - 2, CAPACITY - 1, CAPACITY, CAPACITY + 1, CAPACITY + 2]
    assert len(ring.recent(CAPACITY + 50)) == CAPACITY
