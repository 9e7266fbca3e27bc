"""``fixgw serve venue --venue NAME``: one venue's FIX initiator session as a service of its own.

Theory of operation (README, "Services deployment": venue services). The service holds no book: the core is the one
writer of that. It moves messages between the venue's session and two JetStream subjects (``transport.venues``)
and keeps one number of its own on disk.

- **venue → core.** Each application message the venue sends (35=8, 35=9) is decoded as the monolith decodes it
  and published to ``fixgw.vin.<venue>.fix`` on the session's thread, its PubAck awaited before the next message.
  The engine counts a message (the expected MsgSeqNum) before Python sees it (binding hunk 11), so the guarantee
  is the rewind: at start the expected MsgSeqNum is set to just after the last message the subject holds from this
  session's sequence, and whatever a SIGKILL cut off is resent by the venue (PossDup); JetStream drops what it
  holds (Nats-Msg-Id ``<venue>:8:<ExecID>``). A publish that fails for any reason ends the process: going on,
  the next message's publish would move the rewind point past the one lost.
- **core → venue.** Requests are fetched from ``fixgw.vout.<venue>`` in stream order once the session is logged
  on. Before a batch is handed to the session, its last stream sequence is written to ``sent-through`` (as durable
  as the session's store: ``SentThrough``): a request is handed to the session at most once however often
  JetStream delivers it. A crash between that write and the send loses the request; the core reconciles at this
  service's next logon (35=H for every order in flight), and the OMS sends again what the venue says it never
  received. A request that finds the session down is refused back to the core as the monolith refuses it
  (``FixVenue.refusal``).
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import msgspec

from app.config import GatewayConfig
from app.metrics.venue_service import venue_service_metrics
from domain.bus import MessageBus
from domain.clock import LiveClock
from domain.errors import VenueUnavailable
from domain.events import CancelRejected, OrderDenied, VenueReport
from domain.ids import SessionKey, VenueId
from domain.latency import hops
from ems.venues.fix import FixVenue
from fixgw.codec.fields import QfFields
from fixgw.codec.inbound import decode_cancel_reject, decode_execution_report
from fixgw.errors import ConfigError, UnsupportedMessageType
from fixgw.session.application import FixApplication
from fixgw.session.connector import Connector
from fixgw.session.settings import SessionsFile
from transport.envelope import Inbound
from transport.nats import ConsumerSpec, Delivery, NatsLink, TransportUnavailable
from transport.subjects import PARTITION
from transport.venues import (
    LIVE_EVERY_S,
    VENUE_IN,
    VENUE_OUT,
    VENUE_STREAMS,
    Sent,
    VenueFix,
    VenueIn,
    VenueLive,
    VenueSaid,
    at_venue,
    decode_in,
    decode_out,
    encode_in,
    encode_live,
    fix_subject,
    from_venue,
    live_subject,
    out_subject,
    service_subject,
    tag_report,
    venue_consumer,
)

log = logging.getLogger("fixgw.services.venue")

_NOT_TAKEN = 75
"""Exit status when JetStream did not take a venue message (EX_TEMPFAIL): the restart rewinds and the venue resends."""


class SentThrough:
    """The last stream sequence handed to the session, written before the hand-over, with the identity of the
    stream it counts in: a stream deleted and made again (a reset NATS store) numbers from 1 again, and the file is
    then started afresh rather than drop every request up to its old sequence.

    As durable as the session's own store, which it must agree with: quickfix's FileStore writes (and flushes) each
    message and sequence number without an fsync, so a process crash keeps both and a power loss may lose both (the
    session's MsgSeqNums are then wrong too: a case for a sequence reset with the venue, not for this file). An
    fsync here alone would cost ~1.4 ms per batch on the order path (this machine) and protect nothing."""

    _SIZE = 8 + 64

    def __init__(self, path: Path, stream_id: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        self._id = stream_id.encode()[:64].ljust(64, b"\0")
        data = os.pread(self._fd, self._SIZE, 0)
        seq = int.from_bytes(data[:8] or b"\0", "big")
        if seq and data[8:] != self._id:
            log.warning("%s: counted in another stream (%r); starting afresh", path, data[8:].rstrip(b"\0").decode())
            seq = 0
        self.value = seq

    def advance(self, seq: int) -> None:
        """Record ``seq`` (in place, in one write: the page cache keeps it across a process crash)."""
        os.pwrite(self._fd, seq.to_bytes(8, "big") + self._id, 0)
        self.value = seq

    def close(self) -> None:
        """Close the file."""
        os.close(self._fd)


def service_venue(config: GatewayConfig, name: str | None) -> str:
    """The venue ``fixgw serve venue`` runs: ``name``, or the one of ``[deployment] venues``; refuse one not listed
    there."""
    listed = config.deployment.venues
    if name is None:
        if len(listed) != 1:
            raise ConfigError(f"give --venue NAME: [deployment] venues lists {list(listed) or 'none'}")
        name = listed[0]
    if name not in listed:
        raise ConfigError(f"venue {name!r} is not in [deployment] venues {list(listed)}: the core holds its session")
    return name  # a FIX venue: ``GatewayConfig.check``


class VenueService:
    """One venue's initiator session between FIXGW_VENUE_OUT and FIXGW_VENUE_IN."""

    def __init__(
        self, config: GatewayConfig, sessions: SessionsFile, venue: str | None = None, metrics: str | None = None
    ) -> None:
        """Connect to ``[nats] url``, build the venue's session (its store under ``var/venue-<NAME>``) and rewind its
        inbound MsgSeqNum to what JetStream holds; ``metrics``: host:port of its ``GET /metrics`` (None: none)."""
        self.venue = service_venue(config, venue)
        session = config.venues[self.venue].session
        assert session is not None
        self.session = SessionKey(session)
        self._timeout_s = config.nats.publish_timeout_s
        self.link = NatsLink(config.nats.url, f"venue-{self.venue}")
        self._publisher = self.link.publisher("fix")  # the session's thread waits for the PubAck itself
        self.link.ensure_streams(VENUE_STREAMS)
        self.clock = LiveClock()
        self.app = FixApplication(self, f"venue-{self.venue}", record=self._record, unit_of_work=self._unit)
        picked, _ = sessions.only("initiator").split({self.session})
        if not picked.sessions:
            raise ConfigError(f"{session} (venue {self.venue}) is not an initiator session of the sessions file")
        work_dir = sessions.base_dir / "var" / f"venue-{self.venue}"
        self.connector = Connector(self.app, picked, "initiator", work_dir)
        self.fix = FixVenue(
            VenueId(self.venue), self.session, self.app, self.clock, MessageBus(), record_sent=self._sent
        )
        self.sent_through = SentThrough(work_dir / "sent-through", self.link.stream_created(VENUE_OUT.name))
        self.consumer = ConsumerSpec(
            stream=VENUE_OUT.name, subject=out_subject(self.venue), durable=venue_consumer(self.venue)
        )
        self._pending: VenueFix | None = None
        self._event: tuple[VenueReport | CancelRejected | None, str] | None = None
        self._said: dict[str, VenueSaid] = {}
        """What each core partition is told of the batch being handed on (its lists filled in place)."""
        self._partition = PARTITION
        self._store_created = 0
        self._consuming = threading.Event()
        self._stopping = threading.Event()
        self._beat = threading.Thread(target=self._beat_loop, name=f"venue-{self.venue}-live", daemon=True)
        self.requests_dropped = 0
        """Requests JetStream delivered again that this service had handed to the session already."""
        self.requests_sent = self.requests_refused = 0
        self.published_fix = self.published_svc = 0
        self.metrics = venue_service_metrics(self.venue, self.app, self.counters, metrics) if metrics else None
        self._resume()

    def _resume(self) -> None:
        last = self.link.last_message(VENUE_IN.name, fix_subject(self.venue))
        self._store_created = created = self.connector.stores_created().get(self.session, 0)
        if last is None or (fix := decode_in(last).fix) is None or fix.store_created_ns != created:
            return  # nothing published from this sequence of the session
        for session, (before, after) in self.connector.resume({self.session: fix.inbound.seq}).items():
            log.warning(
                "%s: resuming at MsgSeqNum %d (store expected %d): the venue resends the rest", session, after, before
            )

    def counters(self) -> dict[str, int]:
        """What it moved between the session and JetStream (``fixgw_venue_service_*``)."""
        return {
            "requests_sent": self.requests_sent,
            "requests_refused": self.requests_refused,
            "requests_dropped": self.requests_dropped,
            "published_fix": self.published_fix,
            "published_svc": self.published_svc,
            "jetstream_duplicates": self.link.duplicates,
            "sent_through": self.sent_through.value,
        }

    def start(self) -> None:
        """Connect to the venue; requests are taken from JetStream once it is logged on. Say it is alive from now."""
        self._beat.start()
        if self.metrics is not None:
            self.metrics.start()
        self.connector.start()

    def stop(self) -> None:
        """Stop taking requests, log out, disconnect from NATS."""
        self._stopping.set()
        if self.metrics is not None:
            self.metrics.stop()
        self.link.stop_consuming()
        self.connector.stop()
        self.link.close()
        self.sent_through.close()

    # -- the session (SessionHandler) ------------------------------------------------------------------

    def on_logon(self, session: SessionKey) -> None:
        """Tell the core (it reconciles the orders in flight here), then take requests if not yet."""
        self._store_created = self.connector.stores_created().get(self.session, 0)  # a logon may begin a sequence
        self._live(logged_on=True)
        self._publish(service_subject(self.venue), VenueIn(said=VenueSaid(venue=self.venue, logged_on=True)), None)
        self.published_svc += 1
        if not self._consuming.is_set():
            self._consuming.set()
            ack_floor = (self.link.consumer_floor(self.consumer) or (0, 0))[0]
            start = max(ack_floor, self.sent_through.value) + 1
            log.info("venue %s: taking requests from stream sequence %d", self.venue, start)
            self.link.consume(self.consumer, start, self._hand_on)

    def on_logout(self, session: SessionKey) -> None:
        """Requests that come while the session is down are refused back to the core (``_hand_on``); the cores
        refuse new ones themselves once told (``VenueWatch``)."""
        self._live(logged_on=False)

    def _beat_loop(self) -> None:
        while True:
            self._live(self.app.is_logged_on(self.session))
            if self._stopping.wait(LIVE_EVERY_S):
                return

    def _live(self, logged_on: bool) -> None:
        """Tell the cores this service is alive and whether its session is logged on (plain NATS: a lost one is
        followed by the next)."""
        self.link.send(live_subject(self.venue), encode_live(VenueLive(self.venue, logged_on)))

    def on_message(self, session: SessionKey, msg_type: str, fields: QfFields) -> None:
        """Decode an ExecutionReport or an OrderCancelReject; the unit of work publishes it with its record."""
        venue = VenueId(self.venue)
        if msg_type == "8":
            hops.end((venue, fields.get(11)), "venue round trip")
            self._event = (decode_execution_report(fields, venue, self.clock), f"{venue}:8:{fields.get(17)}")
        elif msg_type == "9":
            sent = fields.header(122) or fields.header(52)
            self._event = (decode_cancel_reject(fields, venue, self.clock), f"{venue}:9:{fields.seq_num()}:{sent}")
        else:
            raise UnsupportedMessageType(msg_type)

    @contextlib.contextmanager
    def _unit(self) -> Iterator[None]:
        self._pending, self._event = None, None
        yield
        if self._pending is not None:
            pending, self._pending = self._pending, None
            msg_id = self._event[1] if self._event is not None else None
            if msg_id is None:
                inbound = pending.inbound
                msg_id = f"{self.venue}:{inbound.msg_type}:{inbound.seq}:{inbound.received_ns}"
            self._publish(fix_subject(self.venue), VenueIn(fix=pending), msg_id)
            self.published_fix += 1

    def _record(
        self, session: str, seq: int, msg_type: str, cl_ord_id: str | None, body: str, received_ns: int
    ) -> None:
        event = self._event[0] if self._event is not None else None
        partition, cl_ord_id = from_venue(cl_ord_id) if cl_ord_id is not None else (PARTITION, None)
        if event is not None and event.venue_cl_ord_id is not None:  # the core's own ClOrdID (``at_venue`` undone)
            event = msgspec.structs.replace(event, venue_cl_ord_id=from_venue(event.venue_cl_ord_id)[1])
        self._pending = VenueFix(
            report=tag_report(event) if event is not None and not isinstance(event, CancelRejected) else None,
            cancel_reject=event if isinstance(event, CancelRejected) else None,
            inbound=Inbound(session, seq, msg_type, cl_ord_id, body, received_ns),
            store_created_ns=self._store_created,
            partition=partition,
        )

    def _publish(self, subject: str, message: VenueIn, msg_id: str | None) -> None:
        try:
            self._publisher.publish(subject, encode_in(message), msg_id, self._timeout_s)
        except Exception as exc:  # noqa: BLE001 - whatever it is, the message is not in the stream
            # Going on would publish later messages and move the restart's rewind point past this one: end instead,
            # and resume before it.
            why = "did not take it in time" if isinstance(exc, TransportUnavailable) else repr(exc)
            if self._stopping.is_set():  # a clean stop closed the link under it: the next start resumes before it
                log.warning("venue %s: stopping; %s not published (%s)", self.venue, msg_id, why)
                return
            log.critical("venue %s: JetStream has not got %s (%s); exiting", self.venue, msg_id, why)
            logging.shutdown()
            os._exit(_NOT_TAKEN)

    # -- requests from the core --------------------------------------------------------------------

    def _hand_on(self, batch: list[Delivery]) -> None:
        """On the link's worker thread: each request not handed on before goes to the session, once."""
        fresh = [d for d in batch if d.stream_seq > self.sent_through.value]
        if fresh:
            self.sent_through.advance(fresh[-1].stream_seq)  # before the sends: at most once
            for delivery in fresh:
                self._send(delivery)
            said, self._said = self._said, {}
            for partition, told in said.items():  # what each core partition is told of its own requests
                msg_id = f"{self.venue}:svc:{fresh[-1].stream_seq}:{partition}"
                self._publish(service_subject(self.venue), VenueIn(said=told), msg_id)
                self.published_svc += 1
        if dropped := len(batch) - len(fresh):
            self.requests_dropped += dropped
            log.info(
                "venue %s: dropped %d request(s) already sent (%d in all)", self.venue, dropped, self.requests_dropped
            )
        batch[-1].ack()

    def _send(self, delivery: Delivery) -> None:
        try:
            out = decode_out(delivery.data)
        except msgspec.DecodeError as exc:
            log.error(
                "venue %s: stream sequence %d is not a request (%s); skipped", self.venue, delivery.stream_seq, exc
            )
            return
        self._partition = partition = out.partition
        request = out.cancel or out.replace or out.query
        try:
            if out.order is not None and out.venue_cl_ord_id is not None:
                self.fix.submit(out.order, at_venue(out.venue_cl_ord_id, partition))
            elif request is not None:
                ids = {"venue_cl_ord_id": at_venue(request.venue_cl_ord_id, partition)}
                ids["venue_orig_cl_ord_id"] = at_venue(request.venue_orig_cl_ord_id, partition)
                self.fix.request(msgspec.structs.replace(request, **ids))
            self.requests_sent += 1
        except VenueUnavailable:  # refused to the core with its own ids
            self.requests_refused += 1
            refusal: OrderDenied | CancelRejected | None = None
            if out.order is not None and out.venue_cl_ord_id is not None:
                refusal = self.fix.refusal(out.order.order_id, out.venue_cl_ord_id)
            elif request is not None and out.query is None:  # a status request is asked again at the next logon
                refusal = self.fix.refusal(request.order_id, request.venue_cl_ord_id)
            told = self._told(partition)
            if isinstance(refusal, OrderDenied):
                told.denied.append(refusal)
            elif refusal is not None:
                told.cancel_rejects.append(refusal)

    def _told(self, partition: str) -> VenueSaid:
        if (told := self._said.get(partition)) is None:
            told = self._said[partition] = VenueSaid(venue=self.venue, partition=partition)
        return told

    def _sent(self, session: SessionKey, text: str, sent_ns: int, order_id: str) -> None:
        self._told(self._partition).sent.append(Sent(str(session), text, sent_ns, str(order_id)))
