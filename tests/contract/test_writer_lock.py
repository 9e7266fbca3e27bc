"""One writer per partition: a second holder of the same partition's lock is refused until the first lets go."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from domain.errors import ConfigError
from oms.store.database import open_database
from oms.store.writer_lock import WriterLock
from tests.contract.conftest import postgres_schema_url

pytestmark = pytest.mark.postgres


@pytest.fixture
def engine() -> Iterator[Engine]:
    for url in postgres_schema_url():
        db = open_database(url)
        yield db
        db.dispose()


def test_writer_lock_when_partition_held_then_second_refused_until_released(engine: Engine) -> None:
    # Arrange
    first = WriterLock(engine, "core-test-0")

    # Act / Assert
    with pytest.raises(ConfigError, match="another process writes core-test-0"):
        WriterLock(engine, "core-test-0", wait_s=0.5)
    other = WriterLock(engine, "core-test-1")  # another partition is another lock
    first.release()
    again = WriterLock(engine, "core-test-0")
    again.release()
    other.release()
