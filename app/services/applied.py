"""Applying a consumer's batch in stream order, each message once: the core's commands and its venue messages.

Theory of operation. Each message above the sequence already applied is applied as the monolith applies one
received FIX message: under the bus lock, in one unit of work with the stream sequence now applied
(``journal_state``), so the book says how far it got. One at or below it is a redelivery: dropped and counted.
The batch's last message is acked once everything before it is committed (``AckPolicy.ALL``). The whole batch is one
commit section: its thread commits it at the end when the journal's writer is idle (leader/follower,
``oms.store.commit_queue``), whatever ``[database] commit`` says for FIX threads: the hand-off to the writer
thread, then from it back to the link's loop for the fast reports, cost ~0.5 ms a command at window 1
(bench/services.results.txt); under load the writer commits as before and the consumer goes on with the next batch.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from domain.bus import MessageBus
from oms.store.journal import Journal
from transport.consumer import Delivery

T = TypeVar("T")


def apply_in_order(
    batch: list[Delivery],
    applied: int,
    *,
    bus: MessageBus,
    journal: Journal,
    name: str,
    decode: Callable[[Delivery], T | None],
    apply: Callable[[T], None],
) -> tuple[int, int]:
    """Apply each delivery of ``batch`` above ``applied``: ``decode`` it (outside the bus lock: the order path does
    not wait for it; None: nothing to apply, the sequence still moves past it), then ``apply`` it and record the
    sequence as ``journal_state`` ``name``, in one unit. Return the last sequence applied and how many were dropped
    as applied already."""
    dropped = 0
    with journal.committing():
        for delivery in batch:
            if delivery.stream_seq <= applied:
                dropped += 1
                continue
            message = decode(delivery)
            with bus.entered():
                if message is not None:
                    apply(message)
                journal.set_state(name, delivery.stream_seq)
            applied = delivery.stream_seq
        journal.after_commit(batch[-1].ack)
    return applied, dropped
