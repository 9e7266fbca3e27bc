"""The delay line: actions run no sooner than their delay, first in first out, never blocking who hands them in."""

from __future__ import annotations

import threading
import time

from matching.delay import DelayLine


def test_run_after_when_delayed_then_runs_no_sooner_than_the_delay_and_caller_does_not_wait() -> None:
    line = DelayLine("test-delay")
    ran = threading.Event()
    when: list[int] = []
    handed = time.monotonic_ns()

    line.run_after(50_000_000, lambda: (when.append(time.monotonic_ns()), ran.set()))

    assert not ran.is_set() and line.pending() == 1  # handed in, not run: the caller went on
    assert ran.wait(10)
    assert when[0] - handed >= 50_000_000
    line.stop()


def test_run_after_when_delay_lowered_then_later_actions_never_overtake_earlier_ones() -> None:
    line = DelayLine("test-delay")
    order: list[int] = []
    done = threading.Event()

    line.run_after(80_000_000, lambda: order.append(1))
    line.run_after(0, lambda: order.append(2))
    line.run_after(0, lambda: (order.append(3), done.set()))

    assert done.wait(10)
    assert order == [1, 2, 3]
    line.stop()


def test_stop_when_actions_not_yet_due_then_dropped_and_line_can_start_again() -> None:
    line = DelayLine("test-delay")
    ran: list[int] = []
    again = threading.Event()
    line.run_after(60_000_000_000, lambda: ran.append(1))

    line.stop()
    line.run_after(0, again.set)

    assert again.wait(10) and ran == [] and line.pending() == 0
    line.stop()
