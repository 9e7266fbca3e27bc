"""``VenueWatch``: a core refuses requests for a venue whose service has gone silent or says its session is down,
and does not refuse while a heartbeat is not yet due (just started, or just reconnected to NATS)."""

from __future__ import annotations

from app.services.venue_watch import VenueWatch
from transport.venues import SILENT_AFTER_S, VenueLive, encode_live, live_subject


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def watch_at(clock: Clock, up_since: float | None = None) -> VenueWatch:
    since = clock.now if up_since is None else up_since
    return VenueWatch(["V"], lambda: since, clock)


def beat(watch: VenueWatch, logged_on: bool = True) -> None:
    watch.heard(live_subject("V"), encode_live(VenueLive("V", logged_on)))


def test_venue_watch_when_heartbeat_recent_then_sent() -> None:
    clock = Clock()
    watch = watch_at(clock)
    beat(watch)
    clock.now += SILENT_AFTER_S
    assert watch.down("V") is None
    assert watch.stats() == {"venue_V_up": 1}


def test_venue_watch_when_silent_longer_than_allowed_then_refused_with_how_long() -> None:
    clock = Clock()
    watch = watch_at(clock)
    beat(watch)
    clock.now += SILENT_AFTER_S + 2
    assert watch.down("V") == f"venue service V is not running (silent for {SILENT_AFTER_S + 2:.0f} s)"
    assert watch.stats() == {"venue_V_up": 0}


def test_venue_watch_when_service_says_logged_out_then_refused_at_once() -> None:
    clock = Clock()
    watch = watch_at(clock)
    beat(watch, logged_on=False)
    assert watch.down("V") == "venue V is not connected (its venue service is not logged on)"
    beat(watch, logged_on=True)
    assert watch.down("V") is None


def test_venue_watch_when_never_heard_then_refused_only_once_a_heartbeat_was_due() -> None:
    clock = Clock()
    watch = watch_at(clock)
    clock.now += SILENT_AFTER_S
    assert watch.down("V") is None  # the core just started: the first heartbeat may not have come yet
    clock.now += 1
    assert watch.down("V") == f"venue service V is not running (not heard from in {SILENT_AFTER_S + 1:.0f} s)"


def test_venue_watch_when_nats_reconnected_lately_then_old_silence_not_held_against_the_venue() -> None:
    clock = Clock()
    beat_at = clock.now
    watch = watch_at(clock, up_since=beat_at + 60)  # NATS down for a minute, back just now
    beat(watch)
    clock.now = beat_at + 61
    assert watch.down("V") is None


def test_venue_watch_when_heartbeat_undecodable_then_counted_and_ignored() -> None:
    clock = Clock()
    watch = watch_at(clock)
    watch.heard(live_subject("V"), b"\xc1not msgpack")
    assert watch.undecodable == 1
    clock.now += SILENT_AFTER_S + 1
    assert watch.down("V") is not None
