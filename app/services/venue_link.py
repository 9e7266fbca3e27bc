"""The core's side of a venue that runs as a service (``[deployment] venues``): its requests out over FIXGW_VENUE_OUT
and what the venue sent in from FIXGW_VENUE_IN (``transport.venues``).

Theory of operation (README, "Services deployment": venue services).

- **out**: ``RemoteVenue`` is the EMS's ``Venue`` for such a venue. As ``FixVenue`` it writes ahead: a request is
  handed to ``VenueSender`` once the commit that books it is done (the journal's ``after_commit``), and the sender's
  thread publishes what has queued in order, waiting for the PubAcks and retrying with the same Nats-Msg-Ids. It
  refuses a new order, cancel or replace at once while the venue service is silent or says its session is down
  (``VenueWatch``, from the services' heartbeats); whatever reaches the service and finds the session down after
  all is refused there (back as ``OrderDenied`` / ``CancelRejected``). A request committed but not yet
  published when the core dies is asked about at the next start: the core reconciles every service venue then, as
  the monolith does at a venue logon, and the OMS sends again what the venue never received.
- **in**: ``VenueInbox.apply`` applies each FIXGW_VENUE_IN message as the monolith applies a message from the
  venue's session: under the bus lock, in one unit of work with the received message's audit row and the stream
  sequence now applied (``journal_state`` ``core-<part>-venues``). A message at or below the applied sequence is a
  redelivery and is dropped; an ExecID the book has (``Book.first_sighting``, and the executions' unique key on
  venue + ExecID) is not booked twice, whatever the stream held.
"""

from __future__ import annotations

import itertools
import logging
import queue
import secrets
import threading

import msgspec

from app.config import GatewayConfig
from app.gateway import Gateway
from app.services.applied import apply_in_order
from app.services.venue_watch import VenueWatch
from domain.bus import MessageBus
from domain.channels import OMS_EXECUTE, OMS_PROCESS
from domain.commands import CancelAtVenue, QueryAtVenue, ReconcileVenue, ReplaceAtVenue, SubmitOrder, VenueRequest
from domain.errors import VenueUnavailable
from domain.events import VenueReport
from domain.ids import ClOrdId, SessionKey, VenueId
from ems.venues.base import Venue
from ems.venues.fix import Defer
from oms.store import repository
from oms.store.journal import Journal
from transport.nats import ConsumerSpec, Delivery, NatsLink
from transport.venues import (
    VENUE_IN,
    VENUE_IN_ALL,
    VENUE_LIVE_ALL,
    VENUE_STREAMS,
    VenueIn,
    VenueOut,
    core_venues_consumer,
    decode_in,
    encode_out,
    out_subject,
    untag_report,
)

log = logging.getLogger("fixgw.services.venues")

_STOP = object()
_RETRY_S = 0.5


class VenueSender:
    """Publishes the core's committed venue requests in order, off the journal's thread."""

    def __init__(self, link: NatsLink) -> None:
        self._publisher = link.publisher("venue-requests")
        self._defer: Defer | None = None
        self._run = secrets.token_hex(4)  # with the counter: one Nats-Msg-Id per decision to send, in this process
        self._count = itertools.count(1)
        self._queue: queue.SimpleQueue[tuple[str, VenueOut, str] | object] = queue.SimpleQueue()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="venue-sender", daemon=True)

    def bind(self, defer: Defer) -> None:
        """Hand requests on after ``defer``'s commit (the journal's ``after_commit``), then start publishing."""
        self._defer = defer
        self._thread.start()

    def put(self, venue: VenueId, out: VenueOut, msg_type: str, venue_cl_ord_id: ClOrdId) -> None:
        """Queue ``out`` for ``venue`` behind the commit being built (call under the bus lock)."""
        assert self._defer is not None, "VenueSender.bind first"
        item = (str(venue), out, f"{venue}:{msg_type}:{venue_cl_ord_id}:{self._run}.{next(self._count)}")
        self._defer(lambda: self._queue.put(item))

    def stop(self, timeout: float = 10.0) -> None:
        """Publish what is queued (giving up after ``timeout``), then stop."""
        if self._thread.is_alive():
            self._queue.put(_STOP)
            self._thread.join(timeout)
            self._stopping.set()
            self._thread.join(1.0)

    def _loop(self) -> None:
        while True:
            items = [self._queue.get()]
            while True:
                try:
                    items.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            stop = _STOP in items
            batch = [i for i in items if isinstance(i, tuple)]
            messages = [(out_subject(venue), encode_out(out), msg_id) for venue, out, msg_id in batch]
            while messages:
                try:
                    self._publisher.publish_all(messages)
                    break
                except Exception:
                    log.exception("publishing %d venue request(s) failed; retrying", len(messages))
                    if self._stopping.wait(_RETRY_S):
                        return  # stopping: the next start reconciles what was not published
            if stop:
                return


class RemoteVenue:
    """The EMS's ``Venue`` for a venue whose session a venue service holds."""

    def __init__(self, venue_id: VenueId, sender: VenueSender, partition: str, watch: VenueWatch) -> None:
        """``partition``: the core's, which every request carries (the venue service keeps partitions' ClOrdIDs
        apart at the venue, and the reports' owners: ``transport.venues.at_venue``); ``watch``: whether the venue's
        service is up."""
        self.venue_id = venue_id
        self._sender = sender
        self._partition = partition
        self._watch = watch

    def submit(self, order: SubmitOrder, venue_cl_ord_id: ClOrdId) -> None:
        """Send a NewOrderSingle once the commit that books it is done; refuse it at once while the venue service
        is down or its session logged out, as ``FixVenue`` refuses while the session is down."""
        self._check()
        out = VenueOut(partition=self._partition, order=order, venue_cl_ord_id=venue_cl_ord_id)
        self._sender.put(self.venue_id, out, "D", venue_cl_ord_id)

    def request(self, request: VenueRequest) -> None:
        """Send a cancel, replace or status request once the commit that books it is done (a status request also
        while the service is down: its answer is what a reconcile waits for, and the next logon asks again)."""
        if not isinstance(request, QueryAtVenue):
            self._check()
        part = self._partition
        if isinstance(request, ReplaceAtVenue):
            out, msg_type = VenueOut(partition=part, replace=request), "G"
        elif isinstance(request, CancelAtVenue):
            out, msg_type = VenueOut(partition=part, cancel=request), "F"
        else:
            assert isinstance(request, QueryAtVenue)
            out, msg_type = VenueOut(partition=part, query=request), "H"
        self._sender.put(self.venue_id, out, msg_type, request.venue_cl_ord_id)

    def available(self) -> bool:
        """Whether its venue service is heard from and logged on (``VenueWatch``)."""
        return self._watch.down(self.venue_id) is None

    def _check(self) -> None:
        if (why := self._watch.down(self.venue_id)) is not None:
            raise VenueUnavailable(why)


class VenueInbox:
    """Applies FIXGW_VENUE_IN in stream order, each message once: those about the orders of its partition (every
    core partition reads the whole stream; a message for another only moves the applied sequence)."""

    def __init__(self, bus: MessageBus, journal: Journal, name: str, applied: int, partition: str) -> None:
        """``name``: the applied sequence's name in ``journal_state``; ``applied``: its committed value."""
        self._partition = partition
        self._bus = bus
        self._journal = journal
        self._name = name
        self.applied = applied
        self.redeliveries_dropped = 0
        self.refused = 0

    def apply(self, batch: list[Delivery]) -> None:
        """On the link's worker thread: apply each message as one received from the venue, then ack the batch
        (``app.services.applied``)."""
        self.applied, dropped = apply_in_order(
            batch,
            self.applied,
            bus=self._bus,
            journal=self._journal,
            name=self._name,
            decode=self._decode,
            apply=lambda message: self._apply_one(*message),
        )
        if dropped:
            self.redeliveries_dropped += dropped
            log.info(
                "core: dropped %d redelivered venue message(s) already applied (%d in all)",
                dropped,
                self.redeliveries_dropped,
            )

    def _decode(self, delivery: Delivery) -> tuple[VenueIn, VenueReport | None] | None:
        try:
            message = decode_in(delivery.data)
            report = message.fix.report if message.fix is not None else None
            return message, (untag_report(report) if report is not None else None)
        except msgspec.DecodeError as exc:  # nothing to apply; the sequence still moves past it
            self.refused += 1
            log.error(
                "%s: stream sequence %d is not a venue message (%s); skipped", self._name, delivery.stream_seq, exc
            )
            return None

    def _apply_one(self, message: VenueIn, event: VenueReport | None) -> None:
        bus = self._bus
        if (fix := message.fix) is not None and fix.partition == self._partition:
            if event is not None:
                bus.send(OMS_PROCESS, event)
            if fix.cancel_reject is not None:
                bus.send(OMS_PROCESS, fix.cancel_reject)
            self._journal.record_inbound(*msgspec.structs.astuple(fix.inbound))
        if (said := message.said) is not None and said.partition in (None, self._partition):
            for denied in said.denied:
                bus.send(OMS_PROCESS, denied)
            for rejected in said.cancel_rejects:
                bus.send(OMS_PROCESS, rejected)
            for sent in said.sent:
                self._journal.record_sent(sent.session, sent.text, sent.sent_ns, order_id=sent.order_id)
            if said.logged_on:
                bus.send(OMS_EXECUTE, ReconcileVenue(venue=VenueId(said.venue)))


class CoreVenues:
    """The core's venue services: which venues they are, their ``RemoteVenue``s, the sender and the inbox."""

    def __init__(self, config: GatewayConfig, link: NatsLink, partition: str) -> None:
        """Declare the venue streams when ``[deployment] venues`` names any (FIX venues: ``GatewayConfig.check``)."""
        self.names = tuple(VenueId(name) for name in config.deployment.venues)
        self.sessions = {SessionKey(s) for name in self.names if (s := config.venues[name].session) is not None}
        """Their sessions: the venue services', not the core's."""
        self._link = link
        self._sender = VenueSender(link)
        self.partition = partition
        self.watch = VenueWatch(self.names, lambda: link.up_since)
        self.remotes: dict[VenueId, Venue] = {
            name: RemoteVenue(name, self._sender, partition, self.watch) for name in self.names
        }
        self.consumer = ConsumerSpec(
            stream=VENUE_IN.name, subject=VENUE_IN_ALL, durable=core_venues_consumer(partition)
        )
        self.inbox: VenueInbox | None = None
        if self.names:
            link.ensure_streams(VENUE_STREAMS)
            link.listen([VENUE_LIVE_ALL], self.watch.heard, inline=True)

    def attach(self, gateway: Gateway) -> None:
        """Send after ``gateway``'s commits, apply to its book."""
        if not self.names:
            return
        self._sender.bind(gateway.journal.after_commit)
        name = self.consumer.durable
        applied = repository.journal_value(gateway.db, name)
        self.inbox = VenueInbox(gateway.bus, gateway.journal, name, applied, self.partition)

    def start(self, gateway: Gateway) -> None:
        """Reconcile each venue (a restart may have kept a request from it), then take what the venues sent from
        the one after the last applied."""
        if self.inbox is None:
            return
        for venue in self.names:
            gateway.bus.post(OMS_EXECUTE, ReconcileVenue(venue=venue))
        log.info("core: taking venue messages from stream sequence %d", self.inbox.applied + 1)
        self._link.consume(self.consumer, self.inbox.applied + 1, self.inbox.apply)

    def stop(self) -> None:
        """Publish the requests the gateway's last commits queued (call after the gateway stopped)."""
        self._sender.stop()

    def stats(self) -> dict[str, int]:
        """The venue seam's counters."""
        inbox = self.inbox
        if inbox is None:
            return {}
        return {
            "venues_applied_seq": inbox.applied,
            "venue_redeliveries_dropped": inbox.redeliveries_dropped,
            "venue_undecodable": inbox.refused,
        } | self.watch.stats()
