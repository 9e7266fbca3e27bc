"""The journal on every database when a commit fails (issue 12): a unit the database refuses is set aside and
everything else commits; a database that cannot take writes for a while is waited for, and nothing is lost."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from domain.audit import audit_bytes, audit_text
from domain.clock import TestClock
from domain.commands import Unrecorded
from domain.enums import ExecType, OrdStatus, Side
from domain.ids import ClOrdId, ExecId, OrderId, SessionKey, Symbol
from domain.reports import ClientReport, ExecutionReport
from oms.store import quarantine, repository
from oms.store.database import open_database
from oms.store.journal import Journal
from tests.contract.test_book_store import order_row

SESSION = "FIX.4.4:FIXGW->CLIENT1"
RAW = "8=FIX.4.4\x019=70\x0135=D\x0134=7\x0111=BAD-\udcff\udcfe\x0155=MSFT\x0138=10\x0110=000\x01"
"""A NewOrderSingle as the binding hands it over: the bytes 0xFF 0xFE, which are not UTF-8, as surrogates."""


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    db = open_database(database_url)
    yield db
    db.dispose()


def report(order_id: str) -> ExecutionReport:
    return ExecutionReport(
        session=SessionKey(SESSION),
        order_id=OrderId(order_id),
        cl_ord_id=ClOrdId(f"C{order_id}"),
        exec_id=ExecId(f"{order_id}-1-1"),
        exec_type=ExecType.NEW,
        ord_status=OrdStatus.NEW,
        account=None,
        symbol=Symbol("MSFT"),
        side=Side.BUY,
        ord_type=None,
        price=None,
        order_qty=Decimal(100),
        cum_qty=Decimal(0),
        leaves_qty=Decimal(100),
        avg_px=Decimal(0),
        transact_time_ns=1,
    )


def inbound(seq: int, raw: str) -> dict[str, Any]:
    return {
        "ts_ns": 1,
        "direction": "in",
        "session": SESSION,
        "msg_type": "D",
        "seq": seq,
        "order_id": None,
        "cl_ord_id": "BAD-\\xff\\xfe",
        "body": audit_text(raw),
    }


POISONS: dict[str, tuple[set[str], Callable[[dict[str, Any]], dict[str, Any]]]] = {
    # kind: (the databases that refuse it, how the order row is spoiled)
    "text that is not UTF-8": ({"sqlite", "postgresql"}, lambda row: row | {"symbol": "MS\udcffFT"}),
    "NUL in text": ({"postgresql"}, lambda row: row | {"text": "nul \x00 here"}),
    "number over NUMERIC(38,12)": ({"postgresql"}, lambda row: row | {"order_qty": Decimal("1" * 30)}),
    "string over its column": ({"postgresql"}, lambda row: row | {"cl_ord_id": "C" * 300}),
}


@pytest.mark.parametrize(
    ("database_url", "kind"),
    [(db, kind) for kind, (dbs, _) in POISONS.items() for db in sorted(dbs)],
    indirect=["database_url"],
)  # SQLite takes the rest (NUL, any number as text, any length): nothing to quarantine there
def test_journal_when_the_database_refuses_one_unit_then_the_rest_commits_and_it_is_quarantined(
    engine: Engine, kind: str
) -> None:
    _, spoil = POISONS[kind]
    delivered: list[ClientReport] = []
    told: list[Unrecorded] = []
    journal = Journal(engine, deliver=delivered.extend, clock=TestClock(), on_quarantine=told.append)
    for n in range(1, 21):  # twenty messages' changes; the eighth is the one the database refuses
        with journal.atomic():
            if n == 8:
                journal.append(order=spoil(order_row("O99")), report=report("O99"))
                journal.record_inbound(SESSION, 7, "D", "BAD-\\xff\\xfe", audit_text(RAW), 1)
            else:
                journal.append(order=order_row(f"O{n}"), report=report(f"O{n}"))

    journal.start()
    assert journal.flush()
    journal.stop()

    assert [r["order_id"] for r in repository.load_orders(engine)] == [f"O{n}" for n in range(1, 21) if n != 8]
    assert [r.order_id for r in delivered] == [f"O{n}" for n in range(1, 21) if n != 8]  # in order, less the one
    [row] = quarantine.load(engine)
    assert (row["session"], row["seq"], row["msg_type"], row["order_ids"]) == (SESSION, 7, "D", '["O99"]')
    assert row["raw"] == RAW.encode("utf-8", "surrogateescape")  # the message, byte for byte
    assert "O99" in row["detail"] and row["error"]
    [unrecorded] = told
    assert (unrecorded.quarantine_id, unrecorded.order_ids, unrecorded.msg_type) == (row["id"], ("O99",), "D")
    health = journal.health()
    assert (health["quarantined"], health["state"], health["queue_depth"]) == (1, "ok", 0)


def test_journal_when_a_refused_unit_stands_alone_then_only_it_is_set_aside(engine: Engine) -> None:
    journal = Journal(engine, deliver=lambda _: None, clock=TestClock())
    journal.start()

    journal.append(order=order_row("O1") | {"symbol": "\udcff"})
    journal.append(order=order_row("O2"))
    assert journal.flush()
    journal.stop()

    assert [r["order_id"] for r in repository.load_orders(engine)] == ["O2"]
    assert [(r["order_ids"], r["raw"], r["session"]) for r in quarantine.load(engine)] == [('["O1"]', None, None)]


def test_audit_text_when_message_has_any_bytes_then_they_come_back_exactly() -> None:
    every_byte = "".join(chr(b) if b < 0x80 else chr(0xDC00 + b) for b in range(256) if b != 1)
    raw = f"8=FIX.4.4\x0158={every_byte}|\\x41\x01"

    text = audit_text(raw)

    assert text.isascii() and text.isprintable()
    assert audit_bytes(text) == raw.encode("utf-8", "surrogateescape")
    assert audit_text("8=FIX.4.4\x0135=D\x0111=A\x01") == "8=FIX.4.4|35=D|11=A|"  # ordinary messages read as before


def test_journal_when_sqlite_file_locked_then_failing_and_refusing_then_recovers_and_nothing_lost(
    tmp_path: Path,
) -> None:
    engine = open_database(f"sqlite:///{tmp_path / 'book.db'}")
    delivered: list[ClientReport] = []
    journal = Journal(engine, deliver=delivered.extend, clock=TestClock())
    journal.start()
    journal.append(order=order_row("O1"), report=report("O1"))
    assert journal.flush()
    locker = sqlite3.connect(tmp_path / "book.db", isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")  # another process holds the write lock: every commit fails "locked"
    try:
        for n in range(2, 6):
            journal.append(order=order_row(f"O{n}"), report=report(f"O{n}"))
        assert wait_until(lambda: journal.health()["state"] == "failing", 30), journal.health()
        assert "locked" in str(journal.health()["last_error"])
        assert journal.accepting() is not None and "new orders are refused" in str(journal.accepting())
        assert [r.order_id for r in delivered] == ["O1"]  # nothing reported before it is committed
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    assert journal.flush(30)
    journal.stop()

    assert (journal.health()["state"], journal.accepting()) == ("ok", None)
    assert [r["order_id"] for r in repository.load_orders(engine)] == ["O1", "O2", "O3", "O4", "O5"]
    assert [r.order_id for r in delivered] == ["O1", "O2", "O3", "O4", "O5"]
    assert quarantine.load(engine) == []
    engine.dispose()


def wait_until(condition: Callable[[], bool], timeout: float) -> bool:
    """Poll ``condition`` (state another thread changes) until it holds or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    event = threading.Event()
    while not condition():
        if time.monotonic() > deadline:
            return False
        event.wait(0.02)
    return True
