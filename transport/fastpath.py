"""The reports' fast path: a committed report goes to its edge over plain NATS at once, and over JetStream as well.

Theory of operation. A report is durable when its row commits in the book (PostgreSQL): the outbox. The JetStream
copy (``fixgw.report.<CompID>.<part>``) is what makes its delivery certain — the edge acks it once the session
has it, and replays from its ack floor after a crash — but storing it (one write and, with
``sync_interval: always``, one fsync) and pushing it to the edge is most of a millisecond on the critical path. So
the core also publishes the same reports, right after the commit, on ``fixgw.fastreport.<CompID>.<part>`` (core
NATS: no store, at most once) with the id of the row before them for that client (``prev``: the last one this core
run relayed to it, -1 at first). The edge sends them at once only if ``prev`` is the last row it sent that client
from that partition, i.e. nothing before them is missing; otherwise it waits for the JetStream copy, which comes
in any case and is dropped when the fast one went first. What a client is told is never more than the book holds
(the commit came first) and never out of order; a lost fast message costs only its latency.
"""

from __future__ import annotations

from typing import Generic, TypeVar

import msgspec

from transport.subjects import report_subject

R = TypeVar("R")


class FastReports(msgspec.Struct, frozen=True, array_like=True):
    """Reports for one client from one commit (``transport.envelope.encode_report_rows``'s payload), after ``prev``."""

    prev: int
    """The report row relayed to the same client just before these, by this core run (-1: none known)."""
    reports: bytes


_ENCODER = msgspec.msgpack.Encoder()
_DECODER = msgspec.msgpack.Decoder(FastReports)


def encode_fast(prev: int, reports: bytes) -> bytes:
    """The fast message: ``reports`` (encoded) after row ``prev``."""
    return _ENCODER.encode(FastReports(prev, reports))


def decode_fast(data: bytes) -> FastReports:
    """Raise ``msgspec.DecodeError`` if it is not one."""
    return _DECODER.decode(data)


def fast_subject(comp_id: str, partition: str) -> str:
    """Where the core of ``partition`` sends the fast copy of the reports for ``comp_id``."""
    return "fixgw.fast" + report_subject(comp_id, partition).removeprefix("fixgw.")


def client_and_partition(subject: str) -> tuple[str, str]:
    """(client token, partition) of a report subject, fast or not: its last two tokens."""
    *_, client, partition = subject.split(".")
    return client, partition


Key = tuple[str, str]
"""(client token, partition): one core writes a partition's rows, so a client's row ids from it only grow."""


class ReportOrder(Generic[R]):
    """The edge's side: which reports to send now, from either path, so that each goes out once and in order."""

    def __init__(self) -> None:
        self._last: dict[Key, int] = {}
        """Per key, the last row sent by this run."""
        self._fast: set[tuple[Key, int]] = set()
        """Rows sent from the fast path whose JetStream copy has not come yet."""

    def fast(self, key: Key, prev: int, rows: list[tuple[int, R]]) -> list[R]:
        """The fast copy's reports to send: all of them past the last sent, if ``prev`` is the last sent (nothing
        before them missing), else none (their JetStream copy will bring them)."""
        last = self._last.get(key)
        if last is None or prev != last:
            return []
        fresh = [(row_id, report) for row_id, report in rows if row_id > last]
        if fresh:
            self._last[key] = fresh[-1][0]
            self._fast.update((key, row_id) for row_id, _ in fresh)
        return [report for _, report in fresh]

    def reliable(self, key: Key, rows: list[tuple[int, R]]) -> tuple[list[R], int]:
        """The JetStream copy's reports to send (those neither the fast path nor this run sent), and how many were
        sent already by an earlier delivery (a redelivery or a restarted core's relay)."""
        send, again = [], 0
        for row_id, report in rows:
            if (key, row_id) in self._fast:  # its fast copy went first
                self._fast.discard((key, row_id))
            elif row_id <= self._last.get(key, 0):
                again += 1
            else:
                self._last[key] = row_id
                send.append(report)
        return send, again
