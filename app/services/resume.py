"""Where each of the edge's client sessions resumes at start: just after the last message whose effect is durable.

Theory of operation. The edge publishes a session's messages one at a time, in the order received, each taken by
JetStream (its PubAck, the write synced) before the next is read. So every message up to the last one any core
partition has committed is in JetStream: committed in its partition's book, or waiting in its partition's stream
(a partition whose core is down or behind applies it when it comes back). The resume point is therefore the
highest MsgSeqNum committed in any partition's book (PostgreSQL, never JetStream's consumer state). The client
resends everything after it (PossDup): what the stream already holds is dropped by JetStream (the same
Nats-Msg-Id), what it never got goes through and is applied once. This rests on JetStream keeping what it
acknowledged, as the README's "Does the command stream need its fsync?" argues.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Iterator, Mapping

from app.config import GatewayConfig
from app.services.partitions import Partitioner, book_url
from domain.ids import SessionKey
from fixgw.errors import ConfigError
from oms.store import repository
from oms.store.database import BookDb, connect, current_revision, head_revision


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
    config: GatewayConfig, partitions: Partitioner, since: Mapping[SessionKey, int]
) -> dict[SessionKey, int]:
    """Per session (``since``: its message store's creation time), the MsgSeqNum to resume after."""
    committed: dict[SessionKey, int] = {}
    for _, book in _books(config, partitions):
        for session, at in since.items():
            if (seq := repository.last_inbound_seq(book, session, at)) is not None:
                committed[session] = max(committed.get(session, 0), seq)
    return committed


def routed_orders(
    config: GatewayConfig, partitions: Partitioner, sessions: Collection[str]
) -> dict[tuple[str, str], str]:
    """(session, ClOrdID) -> partition of every live order of ``sessions`` in the books: where the edge sent it
    before it restarted, so that a cancel naming it still goes there (``CommandRouter.learn``)."""
    return {
        order: partition
        for partition, book in _books(config, partitions)
        for order in repository.live_orders(book, sessions)
    }


def _books(config: GatewayConfig, partitions: Partitioner) -> Iterator[tuple[str, BookDb]]:
    """Each partition's book in turn, read-only, disposed of once the caller moves on."""
    for partition in partitions.names:
        book = open_book(book_url(config, partition))
        try:
            yield partition, book
        finally:
            book.dispose()
