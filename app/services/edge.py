"""``fixgw serve edge``: the client FIX sessions. It decodes what clients send into the same commands the monolith
posts, sends them over JetStream to the core, and sends clients the reports the core relays back.

Theory of operation. The client sessions' handler is the monolith's ``ClientHandler``, unchanged: it posts to
``OMS_EXECUTE`` on a bus, inside the unit of work its ``FixApplication`` opens per received message. Here that
bus's only endpoint collects the commands, and the unit of work (``CommandOutbox.unit``) publishes what one
message made, with the message's audit record, as one ``CommandBatch`` on ``fixgw.cmd.<part>`` — synchronously,
under the bus lock, so the stream holds them in the order the sessions received them.

- The Nats-Msg-Id is ``<session>:<MsgSeqNum>:<SendingTime>`` (OrigSendingTime 122 on a PossDup resend, which is
  the original's SendingTime): a client's resend of a message the stream already holds is dropped by JetStream;
  after a sequence reset the same MsgSeqNum has another SendingTime, so it is a new message.
- At start each session's expected MsgSeqNum is rewound to just after the last one whose record the core has
  *committed* in the book (PostgreSQL, not the stream): the client resends the rest, the stream or the core's
  applied sequence drops what already went through.
- A publish JetStream does not ack within ``[nats] publish_timeout_s`` is refused to the client at once, 35=j
  380=4, as the monolith refuses an order while its book cannot commit.
- Reports are sent in stream order and acked (a batch's last) once handed to the session (quickfix stores them
  with their MsgSeqNum). At start the consumer is re-created at its ack floor: reports that may have gone out
  before a crash are sent again with PossResend (97=Y), as the monolith does after its own crash. Their fast copy
  (``transport.fastpath``) usually comes first and is sent when nothing before it is missing; the stream's copy
  of a report sent that way is skipped (``ReportOrder``).
- Each edge serves its own clients (``--name``: its report consumer, filtered to them) and sends each message's
  commands to its account's partition (``app.services.routing``).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import msgspec

from app.config import GatewayConfig
from app.services.partitions import Partitioner
from app.services.resume import resume_points, routed_orders
from app.services.routing import CommandRouter
from domain.bus import MessageBus
from domain.channels import OMS_EXECUTE, OmsCommand
from domain.clock import Clock, LiveClock
from domain.ids import Account, SessionKey, client_comp_id
from domain.reports import ClientReport
from fixgw.client import ClientHandler
from fixgw.codec import outbound
from fixgw.session.connector import Connector
from fixgw.session.settings import SessionsFile
from transport.envelope import CommandBatch, Inbound, RawReport, decode_report, encode_commands, report_rows
from transport.fastpath import ReportOrder, client_and_partition, decode_fast, fast_subject
from transport.nats import ConsumerSpec, Delivery, NatsLink, TransportUnavailable
from transport.subjects import EDGE_CONSUMER, REPORTS, STREAMS, command_subject, edge_consumer, reports_of

log = logging.getLogger("fixgw.services.edge")

_APPLICATION_NOT_AVAILABLE = 4
"""BusinessRejectReason (380)."""


class CommandOutbox:
    """The edge's unit of work: what one received message made goes to the core as one stream message."""

    def __init__(
        self, link: NatsLink, router: CommandRouter, timeout_s: float, on_refused: Callable[[Inbound], None]
    ) -> None:
        """``router``: which core partition(s) a message's commands go to; ``timeout_s``: how long a publish may
        wait; ``on_refused``: answers a received message JetStream did not take."""
        self._on_refused = on_refused
        self._publisher = link.publisher("commands")  # under the bus lock: one session's thread at a time
        self._router = router
        self._timeout_s = timeout_s
        self._commands: list[OmsCommand] = []
        self._inbound: Inbound | None = None
        self._depth = 0

    @contextlib.contextmanager
    def unit(self) -> Iterator[None]:
        """Collect what is posted inside; publish it when the outermost block ends (the bus lock is held)."""
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
            if not self._depth:
                self._publish()

    def add(self, command: OmsCommand) -> None:
        """``OMS_EXECUTE``'s handler at the edge."""
        self._commands.append(command)

    def record(self, session: str, seq: int, msg_type: str, cl_ord_id: str | None, body: str, received_ns: int) -> None:
        """The received message's audit record (``FixApplication``'s ``record``): it travels with its commands."""
        self._inbound = Inbound(session, seq, msg_type, cl_ord_id, body, received_ns)

    def _publish(self) -> None:
        commands, inbound = self._commands, self._inbound
        self._commands, self._inbound = [], None
        if not commands and inbound is None:
            return
        first, *others = self._router.route(commands, inbound.session if inbound is not None else None)
        try:
            payload = encode_commands(CommandBatch(commands=commands, inbound=inbound))
            msg_id = message_id(inbound)
            self._publisher.publish(command_subject(first), payload, msg_id, self._timeout_s)
            if others:  # a command about every partition's orders; the message's record goes to the first only
                payload = encode_commands(CommandBatch(commands=commands, inbound=None))
                for partition in others:  # an id of its own per partition, so a retried publish is stored once
                    copy_id = f"{msg_id}:{partition}" if msg_id is not None else None
                    self._publisher.publish(command_subject(partition), payload, copy_id, self._timeout_s)
        except TransportUnavailable as exc:
            log.error("command not sent to the core (%s): %s", exc, inbound or commands)
            if inbound is not None:
                self._on_refused(inbound)


def message_id(inbound: Inbound | None) -> str | None:
    """The Nats-Msg-Id of a received message: session, MsgSeqNum and its first SendingTime (see the module)."""
    if inbound is None:
        return None
    body = inbound.body
    start = body.find("|122=")  # OrigSendingTime: a PossDup resend's original SendingTime
    if start < 0:
        start = body.find("|52=")
    sent = body[start + 1 : body.find("|", start + 1)].partition("=")[2] if start >= 0 else ""
    return f"{inbound.session}:{inbound.seq}:{sent}"


class EdgeService:
    """The client acceptor sessions, their commands to JetStream and their reports from it."""

    def __init__(
        self, config: GatewayConfig, sessions: SessionsFile, clock: Clock | None = None, name: str = EDGE_CONSUMER
    ) -> None:
        """Connect to ``[nats] url``; build the client sessions of ``sessions`` (its initiators are the core's), each
        resuming after the last MsgSeqNum the book of record has committed. ``name``: this edge's, one per edge
        process (its report consumer)."""
        self.clock = clock or LiveClock()
        self.link = NatsLink(config.nats.url, name)
        self.link.ensure_streams(STREAMS)
        self.partitions = Partitioner.of(config)
        defaults = {comp: c.effective_default_account for comp, c in config.clients.items()}
        router = CommandRouter(self.partitions, defaults)
        if self.partitions.count > 1:  # a cancel after a restart follows its order (``CommandRouter.learn``)
            acceptors = [c.key for c in sessions.only("acceptor").configs()]
            router.learn(routed_orders(config, self.partitions, acceptors))
        self.outbox = CommandOutbox(self.link, router, config.nats.publish_timeout_s, on_refused=self._refuse)
        self.bus = MessageBus(unit=self.outbox.unit)
        self.bus.register(OMS_EXECUTE, self.outbox.add)
        self.clients = ClientHandler(
            self.bus,
            self.clock,
            {comp: Account(c.effective_default_account) for comp, c in config.clients.items()},
            cancel_on_disconnect=frozenset(c for c, cfg in config.clients.items() if cfg.cancel_on_disconnect),
            record=self._record,
            unit_of_work=self.bus.entered,
        )
        work_dir: Path = sessions.base_dir / "var" / "edge"
        self.acceptor = Connector(self.clients.app, sessions.only("acceptor"), "acceptor", work_dir)
        clients = sorted({client_comp_id(c.key) for c in sessions.only("acceptor").configs()}) or ["_"]
        self.consumer = ConsumerSpec(
            stream=REPORTS.name,
            subject=reports_of(clients[0]),
            also=tuple(reports_of(c) for c in clients[1:]),
            durable=edge_consumer(name),
            inline=True,  # like the fast path's: a batch is mostly ids of reports sent already, shorter than a hop
        )
        self._fast_subjects = [fast_subject(c, "*") for c in clients]
        self._resend_through = 0
        self._sending = threading.Lock()
        """Held while reports are sent: the JetStream and the fast path's in one order."""
        self._order: ReportOrder[RawReport] = ReportOrder()
        self.duplicates_dropped = 0
        self._resume(config)

    def _resume(self, config: GatewayConfig) -> None:
        since = self.acceptor.stores_created()
        committed = resume_points(config, self.partitions, since)
        for session, (before, after) in self.acceptor.resume(committed).items():
            log.warning(
                "%s: resuming at MsgSeqNum %d (store expected %d): uncommitted messages are resent",
                session,
                after,
                before,
            )

    def start(self) -> None:
        """Take the reports from where the last run's acks stopped, then accept clients."""
        floor = self.link.consumer_floor(self.consumer)
        ack_floor, self._resend_through = floor if floor is not None else (0, 0)
        self.link.consume(self.consumer, ack_floor + 1, self._deliver)
        # inline: sending a few reports to their sessions is shorter than the hop to a worker thread
        self.link.listen(self._fast_subjects, self._deliver_fast, inline=True)
        self.acceptor.start()

    def stop(self) -> None:
        """Stop accepting clients, then stop taking reports."""
        self.acceptor.stop()
        self.link.close()

    def _record(
        self, session: str, seq: int, msg_type: str, cl_ord_id: str | None, body: str, received_ns: int
    ) -> None:
        self.outbox.record(session, seq, msg_type, cl_ord_id, body, received_ns)

    def _refuse(self, inbound: Inbound) -> None:
        """Answer a message JetStream did not take: 35=j 380=4 (on its session's thread, as ``FixApplication``
        answers)."""
        reject = outbound.business_reject(
            inbound.seq,
            inbound.msg_type,
            _APPLICATION_NOT_AVAILABLE,
            "order path unavailable (the core cannot be reached); not applied, send it again later",
            inbound.cl_ord_id,
        )
        self.clients.app.send(SessionKey(inbound.session), reject)

    def _deliver(self, batch: list[Delivery]) -> None:
        """On the link's loop thread: send the reports in order (but those the fast path sent), then ack them."""
        reports: list[ClientReport] = []
        dropped = 0
        with self._sending:
            for delivery in batch:
                try:
                    raw, again = self._order.reliable(
                        client_and_partition(delivery.subject), report_rows(delivery.data)
                    )
                    send = [decode_report(report) for report in raw]  # usually none: the fast copy went first
                except msgspec.DecodeError as exc:
                    log.error("report at stream sequence %d is not one (%s); skipped", delivery.stream_seq, exc)
                    continue
                dropped += again  # relayed again by a restarted core, or delivered again: sent already
                if delivery.stream_seq <= self._resend_through or delivery.num_delivered > 1:
                    send = [msgspec.structs.replace(report, poss_resend=True) for report in send]
                reports += send
            if reports:
                self.clients.send_reports(reports)
        if dropped:
            self.duplicates_dropped += dropped
            log.info("edge: dropped %d report(s) already delivered (%d in all)", dropped, self.duplicates_dropped)
        batch[-1].ack()  # AckPolicy.ALL: every report of the batch

    def _deliver_fast(self, subject: str, data: bytes) -> None:
        """On the link's loop thread: send the fast copy of reports if nothing before them is missing
        (``transport.fastpath``); else leave them to their JetStream copy."""
        with self._sending:
            try:
                fast = decode_fast(data)
                # every report decoded before the order is told they are sent: one that does not decode leaves the
                # whole message to its JetStream copy, which is then not skipped as sent
                rows = report_rows(fast.reports)
                decoded = {id(raw): decode_report(raw) for _, raw in rows}
                send = [decoded[id(raw)] for raw in self._order.fast(client_and_partition(subject), fast.prev, rows)]
            except msgspec.DecodeError as exc:
                log.error("fast reports on %s are not reports (%s); their JetStream copy will do", subject, exc)
                return
            if send:
                self.clients.send_reports(send)
