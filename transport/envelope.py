"""What travels between the services: the domain's own commands and reports, msgpack-encoded by msgspec.

A command batch is everything one received FIX message made the edge post (usually one command; none for a message
that was refused at the edge, which still travels so that the core records it and the edge's resume point moves
past it), with the received message's audit record: the core records it in the transaction of what it caused, as
the monolith does (``FixApplication``), so the highest committed MsgSeqNum stays a safe point to resume from.
"""

from __future__ import annotations

from typing import Any, Final, get_args

import msgspec

from domain.channels import OmsCommand
from domain.reports import ClientReport


class Inbound(msgspec.Struct, frozen=True, array_like=True):
    """The audit record of a received application message (``Journal.record_inbound``'s arguments)."""

    session: str
    seq: int
    msg_type: str
    cl_ord_id: str | None
    body: str
    received_ns: int


class _Tagged(msgspec.Struct, frozen=True, array_like=True):
    kind: str
    body: msgspec.Raw


class _CommandBatch(msgspec.Struct, frozen=True, array_like=True):
    commands: list[_Tagged]
    inbound: Inbound | None


class CommandBatch(msgspec.Struct, frozen=True, kw_only=True):
    """What one entry into the edge's domain posted for ``OMS_EXECUTE``, and the message it came from."""

    commands: list[OmsCommand]
    inbound: Inbound | None = None


_COMMANDS: Final[dict[str, type[Any]]] = {t.__name__: t for t in get_args(OmsCommand)}
_REPORTS: Final[dict[str, type[Any]]] = {t.__name__: t for t in get_args(ClientReport)}
_encoder = msgspec.msgpack.Encoder(decimal_format="string")
_batch_decoder = msgspec.msgpack.Decoder(_CommandBatch)


def encode_commands(batch: CommandBatch) -> bytes:
    """Encode ``batch`` for the CMD stream."""
    tagged = [_Tagged(type(c).__name__, msgspec.Raw(_encoder.encode(c))) for c in batch.commands]
    return _encoder.encode(_CommandBatch(tagged, batch.inbound))


def decode_commands(data: bytes) -> CommandBatch:
    """Decode a CMD stream message; a payload that is not one raises ``msgspec.DecodeError`` naming what is wrong."""
    raw = _batch_decoder.decode(data)
    return CommandBatch(commands=[_decode(_COMMANDS, t) for t in raw.commands], inbound=raw.inbound)


class _ReportBatch(msgspec.Struct, frozen=True, array_like=True):
    ids: list[int]
    reports: list[_Tagged]


_reports_decoder = msgspec.msgpack.Decoder(_ReportBatch)
RawReport = _Tagged
"""A report as it travels, not decoded (``decode_report``)."""


def encode_report(report: ClientReport) -> RawReport:
    """One report encoded for ``encode_report_rows`` (the core encodes each once, for both of its copies)."""
    return _Tagged(type(report).__name__, msgspec.Raw(_encoder.encode(report)))


def encode_report_rows(rows: list[tuple[int, RawReport]]) -> bytes:
    """Encode committed reports (``encode_report``) for the REPORTS stream and the fast path, each with the id of its
    row (``messages.id``): one stream message per client and relay pass, so they cost one write (and one fsync)."""
    return _encoder.encode(_ReportBatch([i for i, _ in rows], [r for _, r in rows]))


def report_rows(data: bytes) -> list[tuple[int, RawReport]]:
    """A REPORTS stream message's (row id, report) in the order committed, the reports left encoded: the edge decodes
    only those it sends (most of the stream's copies were sent from the fast path already)."""
    raw = _reports_decoder.decode(data)
    return list(zip(raw.ids, raw.reports, strict=True))


def decode_report(raw: RawReport) -> ClientReport:
    """Decode one report of ``report_rows``; raise ``msgspec.DecodeError`` if it is not one."""
    return _decode(_REPORTS, raw)  # type: ignore[no-any-return]


def _decode(types: dict[str, type[Any]], tagged: _Tagged) -> Any:
    kind = types.get(tagged.kind)
    if kind is None:
        raise msgspec.DecodeError(f"unknown message kind {tagged.kind!r}")
    return msgspec.msgpack.decode(tagged.body, type=kind)
