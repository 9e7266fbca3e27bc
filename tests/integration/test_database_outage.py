"""The book of record's database goes away under load, then comes back (issue 12): while it is gone the gateway
says so (/health 503) and refuses new orders with a reason rather than queue them without end; nothing accepted is
lost; when it is back, the gateway resumes by itself.

Two outages: on SQLite another process holds the file's write lock; on PostgreSQL the gateway's database refuses
connections and its connections are terminated (what a database restart does to it). The shared PostgreSQL server
stays up: the test works in a database of its own.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from app.admin import AdminClient
from domain.enums import Side
from oms.store import repository
from tests.contract.conftest import POSTGRES, sqlite_locked
from tests.integration.conftest import System, make_config, start_system, stop_system

pytestmark = pytest.mark.integration
Outage = Callable[[], AbstractContextManager[None]]


@contextmanager
def postgres_database() -> Iterator[tuple[str, Outage]]:
    """A database of the test's own on the shared server, and an outage of it."""
    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    name = f"fixgw_outage_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        admin.dispose()
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI and is not reachable at {POSTGRES}: {exc.orig}")
        pytest.skip(f"no PostgreSQL server at {POSTGRES}")

    @contextmanager
    def down() -> Iterator[None]:
        with admin.connect() as conn:  # as during a restart: no new connection, the open ones cut
            conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
            conn.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"))
        try:
            yield
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))

    try:
        yield POSTGRES.rsplit("/", 1)[0] + f"/{name}", down
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def outage_system(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[System, Outage]]:
    if request.param == "sqlite":
        system = start_system(tmp_path, make_config(tmp_path))
        yield system, lambda: sqlite_locked(tmp_path / "book.db")
        stop_system(system)
        return
    with postgres_database() as (url, down):
        system = start_system(tmp_path, make_config(tmp_path, url))
        yield system, down
        stop_system(system)


def health(system: System) -> tuple[int, dict[str, object]]:
    return AdminClient(system.gateway.config.admin_token_path()).call("GET", "/health")


def wait_until(condition: Callable[[], bool], timeout: float) -> bool:
    """Poll ``condition`` (another process's or thread's state) until it holds or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while not condition():
        if time.monotonic() > deadline:
            return False
        pause.wait(0.05)
    return True


def test_database_outage_when_under_load_then_unhealthy_refusing_then_resumes_and_nothing_lost(
    outage_system: tuple[System, Outage],
) -> None:
    system, outage = outage_system
    client = system.client
    for n in range(10):  # working orders that rest on the venue's book
        client.send_order(f"BEFORE-{n}", "IBM", Side.BUY, Decimal(1), Decimal("99.00"))
    for n in range(10):
        client.wait_for(lambda m, c=f"BEFORE-{n}": m.get(11) == c and m.get(150) == "0")
    assert health(system)[0] == 200

    refused: list[str] = []
    with outage():
        client.send_order("DURING-0", "IBM", Side.BUY, Decimal(1), Decimal("99.00"))  # before anyone noticed
        assert wait_until(lambda: health(system)[0] == 503, 30), "the gateway never said the book was unavailable"
        _, body = health(system)
        assert body["status"] == "degraded" and body["journal"]["state"] == "failing"  # type: ignore[index]
        client.send_fields("F", [(41, "BEFORE-0"), (11, "CXL-0"), (55, "IBM"), (54, "1"), (60, "20261202-00:00:00")])
        for n in range(1, 6):  # under load: they are refused at once, with the reason, not queued
            client.send_order(f"DURING-{n}", "IBM", Side.BUY, Decimal(1), Decimal("99.00"))
            reject = client.wait_for(lambda m, c=f"DURING-{n}": m.get(35) == "j" and m.get(379) == c, timeout=5)
            assert reject[380] == "4" and "book of record unavailable" in reject[58]
            refused.append(f"DURING-{n}")
        assert client.reports_for("DURING-0") == []  # accepted, but not reported before it is committed

    assert wait_until(lambda: health(system)[0] == 200, 60), health(system)
    client.wait_for(lambda m: m.get(11) == "DURING-0" and m.get(150) == "0", timeout=30)
    client.wait_for(lambda m: m.get(11) == "CXL-0" and m.get(150) == "4", timeout=30)  # queued, then done
    client.send_order("AFTER-0", "IBM", Side.BUY, Decimal(1), Decimal("99.00"))
    client.wait_for(lambda m: m.get(11) == "AFTER-0" and m.get(150) == "0", timeout=5)

    assert system.gateway.journal.flush()
    booked = {r["cl_ord_id"]: r for r in repository.load_orders(system.gateway.db)}
    # BEFORE-0 is booked under its cancel's ClOrdID now (41 keeps the original): once, canceled.
    assert set(booked) == {f"BEFORE-{n}" for n in range(1, 10)} | {"CXL-0", "DURING-0", "AFTER-0"}
    assert (booked["CXL-0"]["orig_cl_ord_id"], booked["CXL-0"]["status"]) == ("BEFORE-0", "4")
    assert not set(refused) & set(booked)
    assert system.gateway.journal.health()["quarantined"] == 0
