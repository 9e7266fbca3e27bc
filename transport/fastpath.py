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

import re

import msgspec

_TOKEN = re.compile(r"[^A-Za-z0-9_-]")


class FastReports(msgspec.Struct, frozen=True, array_like=True):
    """Reports for one client from one commit (``transport.envelope.encode_reports``'s payload), after ``prev``."""

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
    return f"fixgw.fastreport.{_TOKEN.sub('_', comp_id) or '_'}.{partition}"


def client_and_partition(subject: str) -> tuple[str, str]:
    """(client token, partition) of a report subject, fast or not: its last two tokens."""
    *_, client, partition = subject.split(".")
    return client, partition
