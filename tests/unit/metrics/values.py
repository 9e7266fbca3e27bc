"""Read what a collector gives as plain values: ``{(sample name, (label=value, ...)): value}``."""

from __future__ import annotations

from prometheus_client.registry import Collector

Key = tuple[str, tuple[tuple[str, str], ...]]


def values(collector: Collector) -> dict[Key, float]:
    """Every sample of one ``collect()``, keyed by its name and sorted labels."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in collector.collect()
        for sample in family.samples
    }


def value(found: dict[Key, float], name: str, **labels: str) -> float:
    """One sample's value (KeyError when absent)."""
    return found[name, tuple(sorted(labels.items()))]
