"""Whether each venue service is up, as a core knows it: from the heartbeats the services send (``VenueLive`` on
``fixgw.vlive.<venue>``, plain NATS, every ``LIVE_EVERY_S`` and at each logon and logout).

Why: a request for a venue whose service is not running would wait in FIXGW_VENUE_OUT until the service comes back
(minutes, or never), while the client waits for an answer. The monolith refuses an order at once when the venue's
session is down (``FixVenue``: 150=8, 39=8, 103=2 exchange closed), and the venue service refuses what finds its
session down; this lets the core refuse the same way when the service itself is gone: not heard from in
``SILENT_AFTER_S``, or saying its session is logged out.

Silence is counted from the later of the last heartbeat and the core's own (re)connection to NATS: while NATS
itself is down no heartbeat can arrive, and the commands queued meanwhile reach the core only after it reconnects.
Until a venue's first heartbeat is due after that, the core does not refuse (a restarted core would otherwise refuse
for a moment what it would accept).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable

import msgspec

from transport.venues import SILENT_AFTER_S, decode_live

log = logging.getLogger("fixgw.services.venues")


class VenueWatch:
    """The last heartbeat of each venue service, and whether a request for its venue should be refused now."""

    def __init__(
        self, names: Iterable[str], up_since: Callable[[], float], clock: Callable[[], float] = time.monotonic
    ) -> None:
        """``names``: the service venues; ``up_since``: when the core's NATS connection was last made (on ``clock``,
        monotonic seconds)."""
        self._names = tuple(names)
        self._up_since = up_since
        self._clock = clock
        self._heard: dict[str, tuple[bool, float]] = {}
        self.undecodable = 0

    def heard(self, subject: str, data: bytes) -> None:
        """A heartbeat (on the link's loop thread: a dict store)."""
        try:
            live = decode_live(data)
        except msgspec.DecodeError:
            self.undecodable += 1
            return
        self._heard[live.venue] = (live.logged_on, self._clock())

    def down(self, venue: str) -> str | None:
        """Why a new request for ``venue`` is refused now (Text(58) of the refusal), or None to send it."""
        now = self._clock()
        heard = self._heard.get(venue)
        if heard is not None and now - heard[1] <= SILENT_AFTER_S:
            return None if heard[0] else f"venue {venue} is not connected (its venue service is not logged on)"
        since = max(heard[1] if heard is not None else 0.0, self._up_since())
        if now - since <= SILENT_AFTER_S:  # just (re)connected to NATS: the next heartbeat is not yet due
            return None
        if heard is None:
            return f"venue service {venue} is not running (not heard from in {now - since:.0f} s)"
        return f"venue service {venue} is not running (silent for {now - heard[1]:.0f} s)"

    def stats(self) -> dict[str, int]:
        """1 for each venue whose requests are sent now, 0 for one refused."""
        return {f"venue_{name}_up": int(self.down(name) is None) for name in self._names}
