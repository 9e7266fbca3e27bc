"""What the journal queues: entries (one change of the book and what depends on it) and the units they commit in."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec

from domain.reports import ClientReport

Row = dict[str, Any]
Unit = list["Entry"]
"""Entries that commit together or not at all (an entry alone, or one ``Journal.atomic`` group)."""


class Entry(msgspec.Struct):
    """One change of the book and what depends on it."""

    order: Row | None = None
    execution: Row | None = None
    position: Row | None = None
    audit: Row | None = None
    report: ClientReport | None = None
    action: Callable[[], None] | None = None
    """Something to do once the batch is committed (e.g. send an order to a venue: write-ahead)."""
    group: list[Entry] | None = None
    """Entries that commit in the same transaction (``Journal.atomic``); this entry holds nothing else."""
    appended_ns: int = 0
    """When a report was queued (domain.latency clock): its wait for the commit is the "book commit" hop."""
    owe: Row | None = None
    """An answer now owed (a ``pending_lookups`` row): committed with the request's receipt."""
    owed: str | None = None
    """The key of an owed answer given now: deleted with the answer (in the same ``atomic`` group)."""
    report_row: Row | None = None
    """The JSON row of ``report`` as last written (its ``id`` links the text it is sent as)."""
    state: Row | None = None
    """A ``journal_state`` row (name, value) written with the batch, e.g. the stream sequence a consumer applied."""


def unit_of(item: Entry) -> list[Entry]:
    """The entries of a queued item: itself, or the group it holds."""
    return [item] if item.group is None else item.group


def units_of(items: list[Entry]) -> list[Unit]:
    """The units of queued items, in their order."""
    return [unit_of(item) for item in items]
