"""The venue services' streams, subjects, message ids and envelopes (``fixgw serve venue``), named once.

- ``fixgw.vout.<venue>`` (stream FIXGW_VENUE_OUT), core → venue service: one request for the venue (a new order
  under its venue ClOrdID, a cancel, a replace or a status request), published after the commit that books it.
  Nats-Msg-Id ``<venue>:<35>:<venue ClOrdID>:<incarnation>.<n>``: one per decision of the core to send (a publish
  retried after a lost PubAck is dropped by JetStream; the OMS's re-send after a reconcile is a new decision).
  The venue service hands each stream sequence to its session at most once (``VenueService``: its sent-through
  sequence is on disk before the send).
- ``fixgw.vin.<venue>.fix`` (stream FIXGW_VENUE_IN), venue service → core: what the venue sent (35=8, 35=9), as
  the event the monolith decodes, with the received message's audit record and the session's MsgSeqNum.
  Nats-Msg-Id ``<venue>:8:<ExecID>`` for an ExecutionReport (the key the book's executions are unique on:
  ``uq_executions_venue_exec_id``), ``<venue>:9:<MsgSeqNum>:<first SendingTime>`` for an OrderCancelReject (it has
  no id of its own; a PossDup resend keeps both). The last one on the subject is where the venue service's
  inbound MsgSeqNum resumes after a restart.
- ``fixgw.vin.<venue>.svc`` (same stream), venue service → core: what the service itself says — its session
  logged on (the core reconciles the orders in flight there), a request it refused because the session was down,
  the text of the requests it sent (the book's audit trail). Nats-Msg-Id ``<venue>:svc:<stream sequence>`` for
  what one batch of requests made (``:<partition>`` after it: one message per core partition told).
- ``fixgw.vlive.<venue>`` (plain NATS, no stream), venue service → cores: a heartbeat every ``LIVE_EVERY_S`` and at
  each logon and logout, saying whether the venue's session is logged on (``VenueLive``). Loss is harmless: the next
  one follows. A core refuses new requests for a venue whose service it has not heard from in ``SILENT_AFTER_S``.

Several core partitions share a venue service: each request carries its partition, the venue sees another
partition's ClOrdIDs with ``<partition>-`` before them (``at_venue``), and what comes back carries the partition
it is about (``from_venue``); every core reads the whole FIXGW_VENUE_IN and applies its own.
"""

from __future__ import annotations

from typing import Any, Final, get_args

import msgspec

from domain.commands import CancelAtVenue, QueryAtVenue, ReplaceAtVenue, SubmitOrder
from domain.events import CancelRejected, OrderDenied, VenueReport
from domain.ids import ClOrdId
from transport.envelope import Inbound
from transport.subjects import PARTITION, StreamSpec

VENUE_OUT: Final = StreamSpec(name="FIXGW_VENUE_OUT", subjects=("fixgw.vout.>",))
VENUE_IN: Final = StreamSpec(name="FIXGW_VENUE_IN", subjects=("fixgw.vin.>",))
VENUE_STREAMS: Final = (VENUE_OUT, VENUE_IN)
VENUE_IN_ALL: Final = VENUE_IN.subjects[0]
VENUE_LIVE_ALL: Final = "fixgw.vlive.*"
LIVE_EVERY_S: Final = 1.0
"""How often a venue service says it is alive."""
SILENT_AFTER_S: Final = 3.0
"""A venue service not heard from for this long counts as down (three heartbeats missed)."""


def out_subject(venue: str) -> str:
    """Where the core sends requests for ``venue``."""
    return f"fixgw.vout.{venue}"


def fix_subject(venue: str) -> str:
    """Where ``venue``'s service publishes what the venue sent."""
    return f"fixgw.vin.{venue}.fix"


def service_subject(venue: str) -> str:
    """Where ``venue``'s service publishes what it says itself."""
    return f"fixgw.vin.{venue}.svc"


def live_subject(venue: str) -> str:
    """Where ``venue``'s service says it is alive."""
    return f"fixgw.vlive.{venue}"


def venue_consumer(venue: str) -> str:
    """The durable consumer of ``venue``'s service on FIXGW_VENUE_OUT."""
    return f"venue-{venue}"


def core_venues_consumer(partition: str) -> str:
    """The durable consumer of the core of ``partition`` on FIXGW_VENUE_IN (and its offset in ``journal_state``)."""
    return f"core-{partition}-venues"


def at_venue(cl_ord_id: str, partition: str) -> ClOrdId:
    """The ClOrdID the venue sees for the core of ``partition``. Several core partitions share one venue service and
    number their OrderIDs each on its own, so another partition's ClOrdIDs go out with ``<partition>-`` before them;
    partition 0's go out as the core made them (a one-core deployment sends what the monolith sends)."""
    return ClOrdId(cl_ord_id if partition == PARTITION else f"{partition}-{cl_ord_id}")


def from_venue(cl_ord_id: str) -> tuple[str, ClOrdId]:
    """The partition and the core's ClOrdID of a ClOrdID the venue reports (``at_venue`` undone; the core's own are
    ``O<n>`` or ``O<n>.<k>``: never digits and a dash first)."""
    head, dash, rest = cl_ord_id.partition("-")
    if dash and head.isdigit():
        return head, ClOrdId(rest)
    return PARTITION, ClOrdId(cl_ord_id)


class VenueOut(msgspec.Struct, frozen=True, kw_only=True):
    """One request for a venue from the core of ``partition``: exactly one of ``order`` (with its venue ClOrdID),
    ``cancel``, ``replace``, ``query``."""

    partition: str = PARTITION

    order: SubmitOrder | None = None
    venue_cl_ord_id: ClOrdId | None = None
    cancel: CancelAtVenue | None = None
    replace: ReplaceAtVenue | None = None
    query: QueryAtVenue | None = None


class Sent(msgspec.Struct, frozen=True, array_like=True):
    """A request's text as the venue session sent it (``Journal.record_sent``'s arguments)."""

    session: str
    text: str
    sent_ns: int
    order_id: str


class Tagged(msgspec.Struct, frozen=True, array_like=True):
    """A ``VenueReport`` with its type's name (msgspec decodes a union of structs only by a tag)."""

    kind: str
    body: msgspec.Raw


class VenueFix(msgspec.Struct, frozen=True, kw_only=True):
    """What one message from the venue made: its event (None when it makes none) and its audit record."""

    report: Tagged | None = None
    cancel_reject: CancelRejected | None = None
    inbound: Inbound
    store_created_ns: int
    """When the session's store began this sequence: a MsgSeqNum of another sequence is no place to resume."""
    partition: str = PARTITION
    """The core partition whose order it is about (from its ClOrdID: ``from_venue``); the others skip it."""


class VenueSaid(msgspec.Struct, frozen=True, kw_only=True):
    """What the venue service says itself: logged on, requests refused, requests sent."""

    venue: str
    partition: str | None = None
    """The core partition it is for (None: every one, e.g. a logon)."""
    logged_on: bool = False
    denied: list[OrderDenied] = []
    cancel_rejects: list[CancelRejected] = []
    sent: list[Sent] = []


class VenueIn(msgspec.Struct, frozen=True, kw_only=True):
    """A FIXGW_VENUE_IN message: one of the two."""

    fix: VenueFix | None = None
    said: VenueSaid | None = None


class VenueLive(msgspec.Struct, frozen=True, array_like=True):
    """A venue service's heartbeat (``live_subject``)."""

    venue: str
    logged_on: bool


_encoder = msgspec.msgpack.Encoder(decimal_format="string")
_live_decoder = msgspec.msgpack.Decoder(VenueLive)
_out_decoder = msgspec.msgpack.Decoder(VenueOut)
_in_decoder = msgspec.msgpack.Decoder(VenueIn)


def encode_out(out: VenueOut) -> bytes:
    """Encode a request for FIXGW_VENUE_OUT."""
    return _encoder.encode(out)


def decode_out(data: bytes) -> VenueOut:
    """Decode a FIXGW_VENUE_OUT message (``msgspec.DecodeError`` when it is not one)."""
    return _out_decoder.decode(data)


_REPORTS: Final[dict[str, type[Any]]] = {t.__name__: t for t in get_args(VenueReport)}


def tag_report(report: VenueReport) -> Tagged:
    """``report`` ready for ``VenueFix.report``."""
    return Tagged(type(report).__name__, msgspec.Raw(_encoder.encode(report)))


def untag_report(tagged: Tagged) -> VenueReport:
    """The ``VenueReport`` of ``VenueFix.report`` (``msgspec.DecodeError`` for an unknown kind)."""
    kind = _REPORTS.get(tagged.kind)
    if kind is None:
        raise msgspec.DecodeError(f"unknown venue report kind {tagged.kind!r}")
    report: VenueReport = msgspec.msgpack.decode(tagged.body, type=kind)
    return report


def encode_in(message: VenueIn) -> bytes:
    """Encode a FIXGW_VENUE_IN message."""
    return _encoder.encode(message)


def decode_in(data: bytes) -> VenueIn:
    """Decode a FIXGW_VENUE_IN message (``msgspec.DecodeError`` when it is not one)."""
    return _in_decoder.decode(data)


def encode_live(live: VenueLive) -> bytes:
    """Encode a heartbeat."""
    return _encoder.encode(live)


def decode_live(data: bytes) -> VenueLive:
    """Decode a heartbeat (``msgspec.DecodeError`` when it is not one)."""
    return _live_decoder.decode(data)
