"""A scrape gives the GIL back to the order path between its pieces of work.

A Python thread that wants the GIL waits until the holder releases it, or up to the switch interval (5 ms) before
it asks for it: a scrape of a few milliseconds done in one go would hold an order that arrives meanwhile for all of
it. So the scrape works in pieces: each collector's family is rendered on its own (prometheus-client renders a
family as the registry yields it), the hop samples are bucketed a slice at a time, and between two pieces the
serving thread releases the GIL (``time.sleep(0)`` does, and a waiting thread takes it). Measured with a thread
sleeping 0.2 ms in a loop beside 3 ms of work: in one go it was up to 3.1 ms late; in ten pieces, 0.2-0.9 ms
(``bench/metrics_scrape.py --part probe``, results in bench/metrics_scrape.results.txt).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector


def yield_gil() -> None:
    """Let a thread waiting for the GIL run now (the order path), then go on."""
    time.sleep(0)


class Paced:
    """``collector`` with the GIL given back before each family it yields."""

    def __init__(self, collector: Collector) -> None:
        self._collector = collector

    def collect(self) -> Iterator[Metric]:
        """The collector's families, one piece of work each."""
        for family in self._collector.collect():
            yield family  # rendered by the caller before it asks for the next
            yield_gil()
