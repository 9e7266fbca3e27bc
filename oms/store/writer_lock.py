"""One writer per partition of the book: a PostgreSQL advisory lock held for the life of the process that writes.

Theory of operation. The services deployment's core is the single writer of its partition's book (MISSION 12).
Nothing in JetStream can promise that: a second core for the same partition would re-create the consumer and write
the same orders. So a core takes ``pg_try_advisory_lock`` on a connection of its own before anything else and holds
it until it exits; a second one is refused at start. A core killed with SIGKILL loses its connection, and with it
the lock, as soon as the server sees the socket close (at once on one machine; within the TCP keepalive across
one), so its successor, on this machine or another, can take over: that is how a partition moves. SQLite has one
writer per file by construction: no lock is taken there.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Engine, text

from domain.errors import ConfigError

_TRY_LOCK = text(
    "SELECT pg_try_advisory_lock(hashtext(current_database() || '.' || current_schema()), hashtext(:name))"
)


class WriterLock:
    """The advisory lock of one partition, held on its own connection until ``release``."""

    def __init__(self, engine: Engine, name: str, wait_s: float = 10.0) -> None:
        """Take the lock ``name``, waiting up to ``wait_s`` (a predecessor killed a moment ago may still hold it
        while the server notices), or raise ``ConfigError`` saying another process holds it."""
        self.name = name
        self._connection: Any = None
        if engine.dialect.name != "postgresql":
            return
        connection = engine.connect()
        deadline = time.monotonic() + wait_s
        # Keyed by the book (database and schema: several books may share a server) and the partition's name.
        while not connection.execute(_TRY_LOCK, {"name": f"fixgw:{name}"}).scalar_one():
            connection.commit()
            if time.monotonic() > deadline:
                connection.close()
                raise ConfigError(f"another process writes {name} of this book of record (its advisory lock is held)")
            time.sleep(0.2)
        connection.commit()
        self._connection = connection

    def release(self) -> None:
        """Give the lock back (closing its connection does)."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None
