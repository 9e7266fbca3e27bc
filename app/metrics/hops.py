"""Prometheus histograms of the order path's hops, built at scrape time from ``domain.latency``'s rings.

Theory of operation. Each hop keeps its most recent samples in a ring (``domain.latency.Ring``: ``count`` samples so
far, the last ``CAPACITY`` of them kept). A Prometheus histogram is cumulative since start, so each scrape takes only
the samples added since the previous one, a slice of at most ``SLICE`` at a time (the GIL goes back to the order path
between slices: ``app.metrics.pacing``), sorts the slice (one C call) and adds, per bucket, how many are at or below
its bound (a bisection each) to the totals it keeps; the sum likewise. Nothing runs per sample on the order path beyond
what the hop clock already does. A ring replaced by ``hops.reset()`` (``POST /metrics/hops/reset``) is followed from
its start while the totals go on, so the histogram never goes back. Samples a ring overwrote before a scrape read
them are lost to the histogram (its ``_count`` then trails the hop's own count): at one scrape a second that takes
more than ``CAPACITY`` (131,072) samples of one hop a second.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Collection, Iterator

from prometheus_client.metrics_core import HistogramMetricFamily, Metric

from app.metrics.pacing import yield_gil
from domain.latency import CAPACITY, HopClock, Ring

BUCKETS_S = (
    5e-6,
    1e-5,
    2.5e-5,
    5e-5,
    1e-4,
    2.5e-4,
    5e-4,
    1e-3,
    2.5e-3,
    5e-3,
    1e-2,
    2.5e-2,
    5e-2,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
)
"""Upper bounds in seconds: a hop of the order path takes from a microsecond (decode) to tens of milliseconds (a
commit under load); a venue round trip over a WAN up to seconds."""
_BOUNDS_NS = tuple(round(b * 1e9) for b in BUCKETS_S)
_LABELS = (*(f"{b:g}" for b in BUCKETS_S), "+Inf")
_MASK = CAPACITY - 1
SLICE = 4096
"""Samples sorted in one go: about 0.3 ms of holding the GIL."""


class HopTotals:
    """One hop's cumulative histogram, and how far into its ring it has read."""

    __slots__ = ("count", "ring", "seen", "sum_ns", "under")

    def __init__(self, ring: Ring) -> None:
        self.ring = ring
        self.seen = 0
        """Samples of ``ring`` already counted (its ``count`` when last read)."""
        self.under = [0] * len(_BOUNDS_NS)
        """Samples at or below each bound (cumulative, as Prometheus wants them)."""
        self.count = 0
        self.sum_ns = 0

    def follow(self, ring: Ring) -> None:
        """Count what ``ring`` added since the last call (from its start if it is a new ring)."""
        if ring is not self.ring:
            self.ring, self.seen = ring, 0
        count = ring.count  # samples below this index are written: the writer stores before it counts
        new = min(count - self.seen, CAPACITY)
        self.seen = count
        samples = ring.samples
        for first in range(count - new, count, SLICE):
            start, end = first & _MASK, min(first + SLICE, count) & _MASK
            chunk = samples[start:end] if start < end else samples[start:] + samples[:end]
            ordered = sorted(chunk)
            for i, bound in enumerate(_BOUNDS_NS):
                self.under[i] += bisect_right(ordered, bound)
            self.count += len(chunk)
            self.sum_ns += sum(chunk)
            yield_gil()

    def buckets(self) -> list[tuple[str, float]]:
        """``(le, cumulative count)`` pairs, ending with ``+Inf``."""
        return list(zip(_LABELS, [*self.under, self.count], strict=True))


class HopHistograms:
    """Follow the rings of a ``HopClock`` and give them as one histogram family, labelled by hop."""

    def __init__(
        self,
        clock: HopClock,
        name: str = "fixgw_hop_latency_seconds",
        documentation: str = "Latency of each hop of the order path (the hops fixgw bench reports).",
        only: Collection[str] | None = None,
    ) -> None:
        """``only``: follow these hops (default: all); with one hop the family has no ``hop`` label."""
        self._clock = clock
        self._name = name
        self._documentation = documentation
        self._only = only
        self._totals: dict[str, HopTotals] = {}

    def update(self) -> dict[str, HopTotals]:
        """Read what each ring added since the last update."""
        for hop, ring in self._clock.rings().items():
            if self._only is not None and hop not in self._only:
                continue
            totals = self._totals.get(hop)
            if totals is None:
                totals = self._totals[hop] = HopTotals(ring)
            totals.follow(ring)
        return self._totals

    def collect(self) -> Iterator[Metric]:
        """The histogram family, brought up to date."""
        labelled = self._only is None or len(self._only) > 1
        family = HistogramMetricFamily(self._name, self._documentation, labels=["hop"] if labelled else None)
        for hop, totals in self.update().items():
            family.add_metric([hop] if labelled else [], totals.buckets(), totals.sum_ns / 1e9)
        yield family
