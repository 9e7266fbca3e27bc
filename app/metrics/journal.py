"""The book of record's journal: whether it commits, how far behind it is, and how long its commits take."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric

from app.metrics.hops import HopHistograms
from domain.latency import HopClock
from oms.store.journal import Journal

COMMIT_HOP = "journal write"
"""The hop the journal records each commit's duration under (``oms.store.journal``)."""


class JournalMetrics:
    """``fixgw_journal_*`` from ``Journal.health()``, its counts, and its commit hop."""

    def __init__(self, journal: Journal, clock: HopClock) -> None:
        self._journal = journal
        self._commits = HopHistograms(
            clock,
            "fixgw_journal_commit_seconds",
            'Time to write and commit one batch of the journal (the same samples as hop="journal write").',
            only=(COMMIT_HOP,),
        )

    def collect(self) -> Iterator[Metric]:
        """Every family."""
        journal = self._journal
        health = journal.health()
        yield _gauge(
            "fixgw_journal_up",
            "1 while the journal commits; 0 while commits fail (new orders are refused).",
            1.0 if health["state"] == "ok" else 0.0,
        )
        yield _gauge("fixgw_journal_queue_depth", "Changes appended and not yet committed.", health["queue_depth"])
        yield _gauge(
            "fixgw_journal_quarantined",
            "Units of the book the database refused, set aside in the quarantine table.",
            health["quarantined"],
        )
        last = health["last_commit_ns"]
        if last is not None:
            yield _gauge("fixgw_journal_last_commit_timestamp_seconds", "When the last commit succeeded.", last / 1e9)
        batches = CounterMetricFamily("fixgw_journal_commits", "Transactions committed.")
        batches.add_metric([], journal.batches)
        yield batches
        entries = CounterMetricFamily("fixgw_journal_entries_committed", "Changes committed (and their reports sent).")
        entries.add_metric([], journal.committed)
        yield entries
        yield from self._commits.collect()


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)
