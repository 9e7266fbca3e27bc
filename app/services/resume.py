"""Where each of the edge's client sessions resumes at start: just after the last message whose effect is durable.

Theory of operation. With one core partition the book applies a session's messages in the order received, so the
last MsgSeqNum it committed is the resume point. With several, a session's messages go to different partitions,
each applying its own in order but at its own pace: partition 1 may have committed MsgSeqNum 12 while partition 0
has not yet applied 11, still waiting in its stream. So the resume point of a session is

- just before the first of its messages some partition has not applied yet (they are in JetStream, after that
  partition's committed stream sequence: read from the stream, ``NatsLink.scan``), when there is one;
- else the last MsgSeqNum any partition committed (PostgreSQL: each partition's book).

The client resends from there (PossDup); what is already in the stream is dropped by JetStream (the same
Nats-Msg-Id), and what a partition applied is dropped by its book. The committed positions are read from the books,
never from JetStream's consumer state.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping

import msgspec

from app.config import GatewayConfig
from app.services.partitions import Partitioner, book_url
from domain.ids import SessionKey
from fixgw.errors import ConfigError
from oms.store import repository
from oms.store.database import BookDb, connect, current_revision, head_revision
from transport.envelope import decode_commands
from transport.nats import NatsLink
from transport.subjects import CMD, command_subject, core_consumer

log = logging.getLogger("fixgw.services.edge")


def open_book(url: str, timeout: float = 60.0) -> BookDb:
    """The book, read-only, once the core has created and migrated it (the edge never writes it)."""
    head, deadline = head_revision(), time.monotonic() + timeout
    while True:
        at = None
        try:
            book = connect(url, read_only=True)
        except ConfigError:  # e.g. a SQLite file the core has not created yet
            if time.monotonic() > deadline:
                raise
        else:
            if (at := current_revision(book)) == head:
                return book
            book.dispose()
        if time.monotonic() > deadline:
            raise ConfigError(f"the book of record is at migration {at}, not {head}: start fixgw serve core first")
        time.sleep(0.1)


def resume_points(
    link: NatsLink, config: GatewayConfig, partitions: Partitioner, since: Mapping[SessionKey, int]
) -> dict[SessionKey, int]:
    """Per session (``since``: its message store's creation time), the MsgSeqNum to resume after."""
    committed: dict[SessionKey, int] = {}
    unapplied: dict[SessionKey, int] = {}
    for partition in partitions.names:
        book = open_book(book_url(config, partition))
        try:
            for session, at in since.items():
                if (seq := repository.last_inbound_seq(book, session, at)) is not None:
                    committed[session] = max(committed.get(session, 0), seq)
            applied = repository.journal_value(book, core_consumer(partition))
        finally:
            book.dispose()
        if partitions.count == 1:
            continue  # one partition applies in the order received: what it committed is the resume point
        for stream_seq, data in link.scan(CMD.name, command_subject(partition), applied + 1):
            try:
                inbound = decode_commands(data).inbound
            except msgspec.DecodeError:
                log.error("command at stream sequence %d of partition %s is not one", stream_seq, partition)
                continue
            if inbound is None:
                continue
            session = SessionKey(inbound.session)
            if session in since and inbound.received_ns >= since[session]:
                unapplied[session] = min(unapplied.get(session, inbound.seq), inbound.seq)
    return committed | {session: seq - 1 for session, seq in unapplied.items()}
