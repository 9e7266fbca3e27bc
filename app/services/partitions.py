"""The core's partitions: which partition an account's commands go to, and where each partition keeps its book.

Theory of operation. The book is partitioned by account, each partition with exactly one writer (its core, holding
the partition's advisory lock: ``oms.store.writer_lock``). A partition is a whole book of its own — a PostgreSQL
schema or database, named by ``[database] url`` with ``{partition}`` in it — because the journal numbers its rows,
OrderIDs and markers itself: two writers never share a table. An account's partition is ``[deployment] accounts``
where it names one, else a stable hash of the account (CRC-32, the same in every process and every run), so an
edge and a core agree on it without asking each other.
"""

from __future__ import annotations

import zlib

from app.config import GatewayConfig
from domain.errors import ConfigError

PLACEHOLDER = "{partition}"


class Partitioner:
    """Account -> partition name (``"0"`` .. ``"K-1"``)."""

    def __init__(self, count: int, accounts: dict[str, int] | None = None) -> None:
        """``count`` partitions; ``accounts`` pins some accounts to a partition."""
        self.count = count
        self.names = tuple(str(p) for p in range(count))
        self._pinned = {account: str(p) for account, p in (accounts or {}).items()}

    @classmethod
    def of(cls, config: GatewayConfig) -> Partitioner:
        """The partitions of ``[deployment]``."""
        return cls(config.deployment.partitions, config.deployment.accounts)

    def __call__(self, account: str) -> str:
        """The partition of ``account``."""
        if self.count == 1:
            return "0"
        pinned = self._pinned.get(account)
        return pinned if pinned is not None else str(zlib.crc32(account.encode()) % self.count)


def book_url(config: GatewayConfig, partition: str) -> str:
    """The database URL of ``partition``'s book: ``[database] url`` with ``{partition}`` replaced."""
    url = config.database_url()
    count = config.deployment.partitions
    if not 0 <= int(partition) < count:
        raise ConfigError(f"partition {partition} does not exist: [deployment] partitions = {count}")
    if count > 1 and PLACEHOLDER not in url:
        raise ConfigError(
            f"[deployment] partitions = {count} needs a book per partition: put {PLACEHOLDER} in [database] url"
            ' (e.g. a schema: "...?options=-csearch_path%3Dfixgw_p{partition}")'
        )
    return url.replace(PLACEHOLDER, partition)


def partition_config(config: GatewayConfig, partition: str) -> GatewayConfig:
    """``config`` with ``[database] url`` pointing at ``partition``'s book (what the core of ``partition`` runs on)."""
    database = config.database.model_copy(update={"url": book_url(config, partition)})
    return config.model_copy(update={"database": database})
