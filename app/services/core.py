"""``fixgw serve core``: the OMS, risk, routing and the venue sessions, with the client sessions' commands coming
over JetStream and the reports going back over it.

Theory of operation (the README's "Services deployment" has the whole argument). The core is the monolith's
``Gateway`` without client sessions: the same engines, built from the same recovery snapshot, in a process that
holds its partition's writer lock (``oms.store.writer_lock``: a second core of the partition is refused). Two
seams change:

- **in**: a batch of ``CommandBatch`` messages fetched from ``fixgw.cmd.<part>`` is applied in stream order, each
  as the monolith applies one received FIX message — under the bus lock, in one unit of work (the journal's
  transaction): the commands go to ``OMS_EXECUTE``, the received message's audit row is recorded, and so is the
  stream sequence now applied (``journal_state`` ``core-<part>``). A message at or below the applied sequence is a
  redelivery: it is dropped and counted. After a crash the consumer is re-created at the sequence after the one
  committed, so a command is applied once however often JetStream delivers it.
- **out**: the reports the journal commits (their JSON rows in ``messages`` are the outbox) are relayed after the
  commit, one stream message per client and commit, to ``fixgw.report.<CompID>`` with their row ids (Nats-Msg-Id
  ``rpt:<first id>-<last id>``), and only once JetStream has acked them does ``delivered_through`` move past them.
  A restart relays again what was committed after it, with PossResend: JetStream drops a message it already holds,
  and the edge drops any report whose row id it has delivered (ids only grow: one writer).
"""

from __future__ import annotations

import logging
import time

import msgspec

from app.config import GatewayConfig
from app.gateway import Gateway
from domain.channels import OMS_EXECUTE, OmsCommand
from domain.commands import SubmitOrder
from domain.ids import client_comp_id
from domain.latency import hops, now_ns
from domain.reports import ClientReport
from fixgw.session.settings import SessionsFile
from oms.store import repository
from oms.store.database import connect
from oms.store.writer_lock import WriterLock
from transport.envelope import decode_commands, encode_reports
from transport.nats import ConsumerSpec, Delivery, NatsLink
from transport.subjects import CMD, PARTITION, STREAMS, command_subject, core_consumer, report_subject

log = logging.getLogger("fixgw.services.core")


class CoreService:
    """One partition's single writer of the book: the gateway's engines between two JetStream seams."""

    def __init__(self, config: GatewayConfig, sessions: SessionsFile, partition: str = PARTITION) -> None:
        """Connect to ``[nats] url``, declare the streams, build the gateway on the venue sessions of ``sessions``
        (its client acceptor sessions are the edge's)."""
        self.partition = partition
        self._lock_db = connect(config.database_url())
        self._writer_lock = WriterLock(self._lock_db, core_consumer(partition))  # the partition's single writer
        self.link = NatsLink(config.nats.url, f"core-{partition}")
        self.link.ensure_streams(STREAMS)
        self.gateway = Gateway(config, sessions.only("initiator"), outbox=self._relay)
        self.consumer = ConsumerSpec(
            stream=CMD.name, subject=command_subject(partition), durable=core_consumer(partition)
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

    def stop(self) -> None:
        """Stop taking commands, stop the gateway (which commits and relays what is queued), then disconnect."""
        self.link.stop_consuming()
        self.gateway.stop()
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
        }

    def _apply(self, batch: list[Delivery]) -> None:
        """On the link's worker thread: apply each command batch as one received message, in stream order."""
        gateway, name = self.gateway, self.consumer.durable
        dropped = 0
        with gateway.journal.committing():  # the fetched batch commits together, on this thread if idle
            for delivery in batch:
                if delivery.stream_seq <= self.applied:
                    dropped += 1
                    continue
                try:
                    commands = decode_commands(delivery.data)
                except msgspec.DecodeError as exc:  # nothing to apply; the sequence still moves past it
                    self.refused += 1
                    log.error(
                        "core %s: stream sequence %d is not a command batch (%s); skipped",
                        name,
                        delivery.stream_seq,
                        exc,
                    )
                    commands = None
                with gateway.bus.entered():
                    if commands is not None:
                        if (inbound := commands.inbound) is not None and inbound.msg_type == "D":
                            # the edge's decode and publish, JetStream, and this fetch: both clocks are this host's
                            hops.record("edge to core", time.time_ns() - inbound.received_ns)
                        for command in commands.commands:
                            self._execute(command)
                        if (inbound := commands.inbound) is not None:
                            gateway.journal.record_inbound(*msgspec.structs.astuple(inbound))
                    gateway.journal.set_state(name, delivery.stream_seq)
                self.applied = delivery.stream_seq
            gateway.journal.after_commit(batch[-1].ack)  # AckPolicy.ALL: every message of the batch
        if dropped:
            self.redeliveries_dropped += dropped
            log.info(
                "core %s: dropped %d redelivered command(s) already applied (%d in all)",
                name,
                dropped,
                self.redeliveries_dropped,
            )

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
        """On the journal's writer thread, after the commit: hand the reports to JetStream and wait for its acks."""
        by_client: dict[str, list[tuple[int, ClientReport]]] = {}
        for report, row_id in zip(reports, ids, strict=True):  # a dict keeps the first-seen order of clients
            by_client.setdefault(client_comp_id(report.session), []).append((row_id, report))
        started = now_ns()
        self.link.publish_all(
            [
                (report_subject(client), encode_reports(rows), f"rpt:{rows[0][0]}-{rows[-1][0]}")
                for client, rows in by_client.items()
            ]
        )
        hops.record("relay", now_ns() - started)
