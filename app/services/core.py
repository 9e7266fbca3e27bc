"""``fixgw serve core``: the OMS, risk, routing and the venue sessions, with the client sessions' commands coming
over JetStream and the reports going back over it.

Theory of operation (the README's "Services deployment" has the whole argument). The core is the monolith's
``Gateway`` without client sessions: the same engines, built from the same recovery snapshot, in a process that
holds its partition's writer lock (``oms.store.writer_lock``: a second core of the partition is refused). Two
seams change:

- **in**: a batch of ``CommandBatch`` messages pushed from ``fixgw.cmd.<part>`` is applied in stream order, each
  as the monolith applies one received FIX message — under the bus lock, in one unit of work (the journal's
  transaction): the commands go to ``OMS_EXECUTE``, the received message's audit row is recorded, and so is the
  stream sequence now applied (``journal_state`` ``core-<part>``). A message at or below the applied sequence is a
  redelivery: it is dropped and counted. After a crash the consumer is re-created at the sequence after the one
  committed, so a command is applied once however often JetStream delivers it.
- **out**: the reports the journal commits (their JSON rows in ``messages`` are the outbox) are relayed after the
  commit, one stream message per client and relay pass (the relay lingers 10 ms between passes), to
  ``fixgw.report.<CompID>.<part>`` with their row ids (Nats-Msg-Id ``rpt:<part>:<first id>-<last id>``), and only
  once JetStream has acked them does ``delivered_through`` move past them.
  A restart relays again what was committed after it, with PossResend: JetStream drops a message it already holds,
  and the edge drops any report whose row id it has delivered (ids only grow: one writer). Right after the commit,
  on the committing thread (usually the link's loop, which applied the batch: ``app.services.applied``), the same
  reports also go to the edge over plain NATS (``transport.fastpath``): the client hears at once, and the
  JetStream copy is what delivery rests on.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator

import msgspec

from app.config import GatewayConfig
from app.gateway import Gateway
from app.services.applied import apply_in_order
from app.services.partitions import partition_config
from app.services.venue_link import CoreVenues
from domain.channels import OMS_EXECUTE, OmsCommand
from domain.commands import SubmitOrder
from domain.ids import client_comp_id
from domain.latency import hops, now_ns
from domain.reports import ClientReport
from fixgw.session.settings import SessionsFile
from oms.store import repository
from oms.store.database import connect
from oms.store.writer_lock import WriterLock
from transport.envelope import CommandBatch, RawReport, decode_commands, encode_report, encode_report_rows
from transport.fastpath import encode_fast, fast_subject
from transport.nats import ConsumerSpec, Delivery, NatsLink
from transport.subjects import CMD, PARTITION, STREAMS, command_subject, core_consumer, report_subject

log = logging.getLogger("fixgw.services.core")

_MAX_ENCODED = 10_000
"""Reports encoded by the fast path kept for the relay at most (it takes them within a linger, ~ms)."""
_MAX_MESSAGE_BYTES = 256 * 1024
"""One client's reports per NATS message, at most about this much encoded: NATS refuses a message over its
max_payload (1 MB by default), and the relay's call after a stall holds everything queued since."""
_RELAY_LINGER_S = 0.01
"""After a publish the relay waits this long before the next, so that the commits meanwhile go in one message:
each stream message costs nats-server a write and, with ``sync_interval: always``, an fsync, and at window 1 the
fsync of one order's report copy delayed the next order's command, whose fsync is on the client's path (the disk
takes one at a time). The edge has had the reports from the fast path; this only delays their JetStream copy, which
a crash of the core or the edge needs (what moves ``delivered_through``)."""


class CoreService:
    """One partition's single writer of the book: the gateway's engines between two JetStream seams."""

    def __init__(self, config: GatewayConfig, sessions: SessionsFile, partition: str = PARTITION) -> None:
        """Connect to ``[nats] url``, declare the streams, build the gateway on the venue sessions of ``sessions``
        (its client acceptor sessions are the edge's)."""
        self.partition = partition
        config = partition_config(config, partition)  # the partition's own book
        self._lock_db = connect(config.database_url())
        self._writer_lock = WriterLock(self._lock_db, core_consumer(partition))  # the partition's single writer
        self.link = NatsLink(config.nats.url, f"core-{partition}")
        self.link.ensure_streams(STREAMS)
        self._relaying = self.link.publisher("relay")  # the relay's thread waits for the PubAcks itself
        self._fast = self.link.publisher("fast")  # the committing thread writes the fast reports itself
        self._last_row: dict[str, int] = {}
        """Per client, the last report row this run sent on the fast path (the fast path's ``prev``)."""
        self._encoded: dict[int, RawReport] = {}
        """Reports the fast path encoded, by row id, until the relay takes them (its own thread: one dict operation
        at a time, atomic)."""
        self._stopping = threading.Event()
        """Set at stop: the relay lingers no more."""
        self.venues = CoreVenues(config, self.link, partition)  # venues whose session a venue service holds
        _, own = sessions.only("initiator").split(self.venues.sessions)
        self.gateway = Gateway(config, own, outbox=self._relay, remote_venues=self.venues.remotes)
        self.gateway.journal.relay_early(self._send_fast)
        self.venues.attach(self.gateway)
        # inline: applying a batch and committing it never waits on the loop (the relay publishes from its own
        # thread and connection), so the loop thread can run it and save the hop to a worker thread. The cost: while
        # that thread commits, the link's other deliveries (venue messages, acks) wait; a PostgreSQL that hangs
        # rather than refuses stalls them all until the driver gives up (the writer thread would stall the same way).
        self.consumer = ConsumerSpec(
            stream=CMD.name, subject=command_subject(partition), durable=core_consumer(partition), inline=True
        )
        self.applied = repository.journal_value(self.gateway.db, self.consumer.durable)
        """The last stream sequence whose effects are committed (read at start, then as applied)."""
        self.redeliveries_dropped = 0
        """Commands JetStream delivered again that the book had already applied (the book's dedup)."""
        self.refused = 0

    def start(self) -> None:
        """Start the gateway (venue sessions first), then take commands from the one after the last applied."""
        self.gateway.start()
        log.info("core %s: taking commands from stream sequence %d", self.partition, self.applied + 1)
        self.link.consume(self.consumer, self.applied + 1, self._apply)
        self.venues.start(self.gateway)

    def stop(self) -> None:
        """Stop taking commands, stop the gateway (which commits and relays what is queued), then disconnect."""
        self._stopping.set()
        self.link.stop_consuming()
        self.gateway.stop()
        self.venues.stop()
        self.link.close()
        self._writer_lock.release()
        self._lock_db.dispose()

    def stats(self) -> dict[str, int]:
        """The seam's counters: duplicates dropped by JetStream and by the book, the applied sequence."""
        return {
            "applied_seq": self.applied,
            "redeliveries_dropped": self.redeliveries_dropped,
            "jetstream_duplicates": self.link.duplicates,
            "undecodable": self.refused,
        } | self.venues.stats()

    def _apply(self, batch: list[Delivery]) -> None:
        """On the link's loop thread (inline): apply each command batch as one received message, in stream order
        (``app.services.applied``)."""
        gateway = self.gateway
        self.applied, dropped = apply_in_order(
            batch,
            self.applied,
            bus=gateway.bus,
            journal=gateway.journal,
            name=self.consumer.durable,
            decode=self._decode,
            apply=self._apply_one,
        )
        if dropped:
            self.redeliveries_dropped += dropped
            log.info(
                "core %s: dropped %d redelivered command(s) already applied (%d in all)",
                self.consumer.durable,
                dropped,
                self.redeliveries_dropped,
            )

    def _decode(self, delivery: Delivery) -> CommandBatch | None:
        try:
            commands = decode_commands(delivery.data)
        except msgspec.DecodeError as exc:  # nothing to apply; the sequence still moves past it
            self.refused += 1
            log.error(
                "core %s: stream sequence %d is not a command batch (%s); skipped",
                self.consumer.durable,
                delivery.stream_seq,
                exc,
            )
            return None
        if (inbound := commands.inbound) is not None and inbound.msg_type == "D":
            # the edge's decode and publish, JetStream, and the push here: both clocks are this host's
            hops.record("edge to core", time.time_ns() - inbound.received_ns)
        return commands

    def _apply_one(self, commands: CommandBatch) -> None:
        for command in commands.commands:
            self._execute(command)
        if (inbound := commands.inbound) is not None:
            self.gateway.journal.record_inbound(*msgspec.structs.astuple(inbound))

    def _execute(self, command: OmsCommand) -> None:
        timed = isinstance(command, SubmitOrder)
        if timed:  # the order path's own hops (oms, risk, route), as the client thread marks them in the monolith
            hops.start()
        try:
            self.gateway.bus.send(OMS_EXECUTE, command)
        except Exception:  # as FixApplication: the message's other effects and its record still commit
            log.exception("core %s: internal error on %s", self.partition, type(command).__name__)
        finally:
            if timed:
                hops.stop()

    def _relay(self, reports: list[ClientReport], ids: list[int]) -> None:
        """On the relay's thread, after the commit: hand the reports to JetStream and wait for its acks, then linger
        (``_RELAY_LINGER_S``) while the next commits' reports queue up for one publish."""
        started = now_ns()
        encoded = self._encoded
        messages = []
        for client, rows in _by_client(reports, ids).items():
            # each encoded once: by the fast path, which saw it first (a retry encodes it again)
            for part in _chunks([(i, _take(encoded, i, r)) for i, r in rows]):
                subject, msg_id = (
                    report_subject(client, self.partition),
                    f"rpt:{self.partition}:{part[0][0]}-{part[-1][0]}",
                )
                messages.append((subject, encode_report_rows(part), msg_id))  # row ids are per partition's book
        self._relaying.publish_all(messages)
        hops.record("relay", now_ns() - started)
        self._stopping.wait(_RELAY_LINGER_S)

    def _send_fast(self, reports: list[ClientReport], ids: list[int]) -> None:
        """On the committing thread (the loop's, or the journal writer's), right after the commit: the reports' fast
        copy over plain NATS (``transport.fastpath``), each client's after the row this run sent it before."""
        encoded = self._encoded
        for client, rows in _by_client(reports, ids).items():
            raw = [(i, encode_report(r)) for i, r in rows]
            if len(encoded) > _MAX_ENCODED:  # a bound while the relay stalls or has stopped (it re-encodes then)
                encoded.clear()
            encoded.update(raw)  # for the relay, which comes next
            for part in _chunks(raw):
                prev = self._last_row.get(client, -1)
                self._last_row[client] = part[-1][0]
                subject, payload = fast_subject(client, self.partition), encode_fast(prev, encode_report_rows(part))
                if not self._fast.send(subject, payload):  # written here, at once; else through the link's loop
                    self.link.send(subject, payload)


def _chunks(rows: list[tuple[int, RawReport]]) -> Iterator[list[tuple[int, RawReport]]]:
    """``rows`` in order, in pieces of at most ``_MAX_MESSAGE_BYTES`` of encoded reports (one report at least)."""
    part: list[tuple[int, RawReport]] = []
    size = 0
    for row in rows:
        if part and size + len(row[1].body) > _MAX_MESSAGE_BYTES:
            yield part
            part, size = [], 0
        part.append(row)
        size += len(row[1].body)
    if part:
        yield part


def _take(encoded: dict[int, RawReport], row_id: int, report: ClientReport) -> RawReport:
    """The report as the fast path encoded it, or encoded now (a retry, or the cache was cleared)."""
    raw: RawReport | None = encoded.pop(row_id, None)  # one operation: the other thread may clear it meanwhile
    return raw if raw is not None else encode_report(report)


def _by_client(reports: list[ClientReport], ids: list[int]) -> dict[str, list[tuple[int, ClientReport]]]:
    """Reports with their row ids, per client CompID, each in order (a dict keeps the first-seen order)."""
    by_client: dict[str, list[tuple[int, ClientReport]]] = {}
    for report, row_id in zip(reports, ids, strict=True):
        by_client.setdefault(client_comp_id(report.session), []).append((row_id, report))
    return by_client
