"""Latency of each hop of the order path, measured by the gateway itself.

Theory of operation: the client thread opens a *timeline* when a NewOrderSingle arrives (``start``); each stage
of the synchronous chain it drives (decode, book, risk, route) calls ``mark``, which records the time since the
previous mark of the same thread under the stage's name (a stage reached from another thread, with no timeline
open there, records nothing). Stages on other threads (the journal's commit, the venue's answer, the
report's encode and send) record their own durations with ``record``. Every hop keeps its most recent
``CAPACITY`` samples in a preallocated ring, so memory stays flat however long the gateway runs, and a sample
costs one ``perf_counter_ns`` and one array store: cheap enough to stay on in production.

It is a process-wide registry (like a metrics registry), so that any stage can report without every
constructor on the order path taking one more argument.

Tick-to-trade (issue 17) rides on the same marks. The market data thread stamps each 35=W/X when it arrives and
once it is decoded (``ticks.received``); whoever follows the books reads those stamps, and the time the book was
applied, as a ``Tick`` (``ticks.stamp``). A strategy that answers that update with an order *carries* a copy of the
tick on its own thread while the order runs through the OMS (``hops.carry``): there is no hop timeline open on that
thread, so the order path's ``mark("risk")`` and ``mark("route")`` go to the carried tick instead of the rings. The
venue that sends the order takes the tick with it into the write-ahead action (``hops.carried``), which finishes it
after the commit and the send (``Tick.finish``): one sample per hop in ``ticks.hops``, and the whole in
``tick-to-trade``.
"""

from __future__ import annotations

import math
import threading
import time
from array import array

CAPACITY = 1 << 17
"""Samples kept per hop (the most recent)."""
_MASK = CAPACITY - 1
_now = time.perf_counter_ns


class Ring:
    """The most recent ``CAPACITY`` durations of one hop, in ns."""

    __slots__ = ("count", "samples")

    def __init__(self) -> None:
        self.samples = array("q", bytes(8 * CAPACITY))
        self.count = 0

    def add(self, ns: int) -> None:
        """Keep one duration."""
        self.samples[self.count & _MASK] = ns
        self.count += 1

    def recent(self, n: int) -> list[int]:
        """The ``n`` most recent durations (fewer when fewer were kept), oldest first."""
        n = min(n, self.count, CAPACITY)
        end = self.count & _MASK
        if n <= end:
            return self.samples[end - n : end].tolist()
        return self.samples[CAPACITY - (n - end) :].tolist() + self.samples[:end].tolist()

    def summary(self) -> dict[str, float]:
        """count, then p50/p90/p99/p99.9/max in µs over the samples kept."""
        kept = sorted(self.samples[: min(self.count, CAPACITY)])
        out: dict[str, float] = {"count": self.count}
        for pct in (50.0, 90.0, 99.0, 99.9):
            out[f"p{pct:g}"] = kept[max(1, math.ceil(pct / 100 * len(kept))) - 1] / 1000 if kept else 0.0
        out["max"] = kept[-1] / 1000 if kept else 0.0
        return out


class HopClock:
    """Per-hop rings, and the timeline of the message the order path is processing now."""

    def __init__(self) -> None:
        self._rings: dict[str, Ring] = {}
        self._lock = threading.Lock()
        self._timeline = threading.local()
        """Per thread: ``last``, the ns of the previous mark of its open timeline (0 when none is open)."""
        self._pending: dict[object, int] = {}

    def ring(self, hop: str) -> Ring:
        """The ring of ``hop``, created on first use (hop names are a small fixed set)."""
        ring = self._rings.get(hop)
        if ring is None:
            with self._lock:
                ring = self._rings.setdefault(hop, Ring())
        return ring

    def start(self) -> None:
        """Open this thread's timeline now."""
        self._timeline.last = _now()

    def mark(self, hop: str) -> None:
        """Record the time since this thread's previous mark as ``hop``; nothing when no timeline is open (but the
        carried tick's stamp of that hop, if the thread carries one)."""
        timeline = self._timeline
        last = getattr(timeline, "last", 0)
        if last:
            now = _now()
            self.ring(hop).add(now - last)
            timeline.last = now
        elif (tick := getattr(timeline, "tick", None)) is not None:
            tick.mark(hop, _now())

    def mark_tick(self, hop: str) -> None:
        """Stamp ``hop`` on the tick this thread carries, if any; never a ring (a stage that only strategies'
        replaces time: the order path's own hops are new orders)."""
        tick = getattr(self._timeline, "tick", None)
        if tick is not None:
            tick.mark(hop, _now())

    def carry(self, tick: Tick | None) -> None:
        """Carry ``tick`` on this thread (None: stop carrying) while the order it caused runs through the OMS."""
        self._timeline.tick = tick

    def carried(self) -> Tick | None:
        """The tick this thread carries, if any: a venue takes it along to finish after its send."""
        return getattr(self._timeline, "tick", None)

    def stop(self) -> None:
        """Close this thread's timeline."""
        self._timeline.last = 0

    def record(self, hop: str, ns: int) -> None:
        """Record a duration measured elsewhere."""
        self.ring(hop).add(ns)

    def begin(self, key: object) -> None:
        """Note the start of a round trip that another thread will end (e.g. an order sent to a venue)."""
        pending = self._pending
        if len(pending) >= CAPACITY:  # answers that never came: forget them rather than grow
            pending.clear()
        pending[key] = _now()

    def end(self, key: object, hop: str) -> None:
        """End the round trip ``key`` (if one is open) and record it as ``hop``."""
        started = self._pending.pop(key, 0)
        if started:
            self.ring(hop).add(_now() - started)

    def rings(self) -> dict[str, Ring]:
        """Each hop's ring, in the order hops were first seen (a copy of the registry; ``reset`` makes new rings)."""
        return dict(self._rings)

    def summary(self) -> dict[str, dict[str, float]]:
        """Each hop's figures, in the order hops were first seen."""
        return {hop: ring.summary() for hop, ring in list(self._rings.items())}

    def reset(self) -> None:
        """Forget every sample (e.g. after a warm-up)."""
        with self._lock:
            self._rings = {}
            self._pending.clear()


class Tick:
    """One market data update's way to an order, as ``perf_counter_ns`` stamps: arrived on the gateway's session,
    decoded, applied to the book, decided on by a strategy, passed risk, routed, committed, sent."""

    __slots__ = ("applied", "arrived", "decided", "decoded", "finished", "risk", "routed")

    def __init__(self, arrived: int, decoded: int, applied: int) -> None:
        self.arrived = arrived
        self.decoded = decoded
        self.applied = applied
        self.decided = self.risk = self.routed = 0
        self.finished = False

    def copy(self, decided: int) -> Tick:
        """The same update's stamps for one order a strategy decided on at ``decided``."""
        tick = Tick(self.arrived, self.decoded, self.applied)
        tick.decided = decided
        return tick

    def mark(self, hop: str, now: int) -> None:
        """A stage of the order path passed (``HopClock.mark`` on the carrying thread)."""
        if hop == "risk":
            self.risk = now
        elif hop == "route":
            self.routed = now

    def finish(self, committed: int, sent: int | None = None) -> None:
        """The order is committed and handed to its venue (``sent``; None: an internal venue, which matched it
        before the commit): record each hop once in ``ticks.hops``."""
        if self.finished or not (self.decided and self.risk and self.routed):
            return  # a second send of the same order, or a path that skipped a stage: not a tick-to-trade sample
        self.finished = True
        record = ticks.hops.record
        record("decode", self.decoded - self.arrived)
        record("book apply", self.applied - self.decoded)
        record("decide", self.decided - self.applied)
        record("risk", self.risk - self.decided)
        record("route", self.routed - self.risk)
        record("commit", committed - self.routed)
        end = committed
        if sent is not None:
            record("send", sent - committed)
            end = sent
        record("tick-to-trade", end - self.arrived)


class TickToTrade:
    """Tick-to-trade: the market data thread's stamps, and the per-hop rings of the orders that answered them."""

    def __init__(self) -> None:
        self.hops = HopClock()
        self._received = threading.local()

    def received(self, arrived: int, decoded: int) -> None:
        """A market data message arrived at ``arrived`` and was decoded at ``decoded`` (its session's thread)."""
        local = self._received
        local.arrived = arrived
        local.decoded = decoded

    def stamp(self) -> Tick | None:
        """The tick of the message this thread is applying, applied now; None on a thread that received none."""
        local = self._received
        arrived = getattr(local, "arrived", 0)
        if not arrived:
            return None
        return Tick(arrived, local.decoded, _now())

    def summary(self) -> dict[str, dict[str, float]]:
        """Each hop's figures, then the whole (``tick-to-trade``)."""
        return self.hops.summary()

    def reset(self) -> None:
        """Forget every sample."""
        self.hops.reset()


hops = HopClock()
"""The gateway's hop clock."""
ticks = TickToTrade()
"""The gateway's tick-to-trade clock."""
now_ns = _now
"""The monotonic clock the hops are measured with."""
