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


def test_tick_carried_when_no_timeline_then_marks_stamp_the_tick_not_the_rings() -> None:
    from domain.latency import Tick, ticks

    clock = HopClock()
    tick = Tick(arrived=1_000, decoded=3_000, applied=6_000).copy(decided=10_000)
    clock.carry(tick)
    clock.mark("oms")
    clock.mark("risk")
    clock.mark_tick("route")
    assert clock.carried() is tick
    clock.carry(None)
    clock.mark("route")  # carried no more: nothing
    assert clock.summary() == {}
    assert tick.decided == 10_000 and tick.routed >= tick.risk > 0

    ticks.reset()
    tick.finish(tick.routed + 5_000, tick.routed + 7_000)
    tick.finish(tick.routed + 9_000, tick.routed + 9_000)  # the same order sent again: one sample
    summary = ticks.summary()
    assert list(summary) == ["decode", "book apply", "decide", "risk", "route", "commit", "send", "tick-to-trade"]
    assert all(figures["count"] == 1 for figures in summary.values())
    assert (summary["decode"]["p50"], summary["book apply"]["p50"], summary["decide"]["p50"]) == (2, 3, 4)
    assert (summary["commit"]["p50"], summary["send"]["p50"]) == (5, 2)
    assert summary["tick-to-trade"]["p50"] == (tick.routed + 7_000 - 1_000) / 1000


def test_tick_when_a_stage_was_skipped_or_nothing_received_then_no_sample() -> None:
    from domain.latency import Tick, TickToTrade, ticks

    ticks.reset()
    Tick(1, 2, 3).copy(decided=4).finish(10)  # never passed risk or route: not an order that reached a venue
    assert ticks.summary() == {}
    fresh = TickToTrade()
    assert fresh.stamp() is None  # this thread received no market data
    fresh.received(5, 7)
    stamped = fresh.stamp()
    assert stamped is not None and (stamped.arrived, stamped.decoded) == (5, 7) and stamped.applied > 0


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
