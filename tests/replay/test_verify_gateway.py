"""fixgw replay --verify on a real run: the gateway's own FIX logs against its SQLite book, then a tampered book."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest

from app.demo import STEPS
from app.fixclient import Fields
from fixgw.codec.outbound import format_utc_timestamp
from oms.store import repository
from replay.replayer import Replayer
from replay.verify import verify_book
from tests.conftest import ROOT
from tests.integration.conftest import System, make_config, start_system, stop_system

pytestmark = pytest.mark.integration
FIXGW = [sys.executable, "-c", "from app.cli import main; main()"]


def fixgw(*args: str) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"COLUMNS": "200"}
    return subprocess.run([*FIXGW, *args], capture_output=True, text=True, timeout=120, cwd=ROOT, env=env, check=False)


def until(system: System, cl_ord_id: str, tag: int, value: str) -> Fields:
    return system.client.wait_for(lambda m: m.get(35) == "8" and m.get(11) == cl_ord_id and m.get(tag) == value)


def trade(tmp_path: Path) -> None:
    """The demo's orders, then the rest of the partly filled one cancelled; the system is stopped after."""
    system = start_system(tmp_path, make_config(tmp_path))
    try:
        for step in STEPS:
            price = Decimal(step.price) if step.price else None
            system.client.send_order(step.cl_ord_id, step.symbol, step.side, Decimal(step.qty), price)
            until(system, step.cl_ord_id, 39, step.expect.value)
        now = format_utc_timestamp(time.time_ns())
        system.client.send_fields("F", [(41, "DEMO-2"), (11, "DEMO-2-X"), (55, "AAPL"), (54, "1"), (60, now)])
        until(system, "DEMO-2-X", 150, "4")
        assert system.gateway.journal.flush()
    finally:
        stop_system(system)


@pytest.fixture(scope="module")
def traded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("traded")
    trade(work)
    return work


def logs(work: Path) -> list[Path]:
    return sorted((work / "gateway" / "log").glob("FIX.4.4-FIXGW-*.messages.current.log"))


def copy_of_book(work: Path, tmp_path: Path) -> Path:
    target = tmp_path / "book.db"
    with sqlite3.connect(work / "book.db") as source, sqlite3.connect(target) as copy:
        source.backup(copy)
    return target


def test_verify_when_the_gateway_traded_then_its_logs_and_its_book_agree(traded: Path) -> None:
    from oms.store.database import open_database

    replayer = Replayer()
    for path in logs(traded):
        replayer.replay(path)
    engine = open_database(f"sqlite:///{traded / 'book.db'}")
    try:
        result = verify_book(repository.load_orders(engine), repository.load_executions(engine), replayer.book)
    finally:
        engine.dispose()

    assert [p.name for p in logs(traded)] == [
        "FIX.4.4-FIXGW-CLIENT1.messages.current.log",
        "FIX.4.4-FIXGW-VENUE.messages.current.log",
    ]
    assert result.agrees, result.differences
    assert (result.orders_checked, result.executions_checked) == (6, 3)


def test_verify_cli_when_book_and_logs_agree_then_exit_0(traded: Path) -> None:
    result = fixgw("replay", "--verify", "--db", f"sqlite:///{traded / 'book.db'}", *map(str, logs(traded)))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "book and logs agree: 6 orders, 3 executions checked" in result.stdout


def test_verify_cli_when_the_book_was_tampered_with_then_exit_1_and_a_diff_naming_orders_and_fields(
    traded: Path, tmp_path: Path
) -> None:
    book = copy_of_book(traded, tmp_path)
    with sqlite3.connect(book) as db:
        db.execute("UPDATE orders SET cum_qty = '450' WHERE cl_ord_id LIKE 'DEMO-2%'")
        db.execute("DELETE FROM executions WHERE order_id = (SELECT order_id FROM orders WHERE cl_ord_id = 'DEMO-1')")
        db.execute("UPDATE orders SET status = '2' WHERE cl_ord_id = 'DEMO-4'")

    result = fixgw("replay", "--verify", "--db", f"sqlite:///{book}", *map(str, logs(traded)))

    assert result.returncode == 1, result.stdout + result.stderr
    out = " ".join(result.stdout.split())
    assert "O2 DEMO-2-X │ cum_qty │ 450 │ 500" in out
    assert "O1 DEMO-1 │ execution O1-1-2 │ missing │ 100 @ 100.01" in out
    assert "O1 DEMO-1 │ venue executions │ none │" in out
    assert "O4 DEMO-4 │ status │ 2 │ 8" in out
    assert "book and logs disagree" in out


def test_verify_cli_when_the_book_has_an_order_no_log_shows_then_it_is_a_difference(
    traded: Path, tmp_path: Path
) -> None:
    book = copy_of_book(traded, tmp_path)
    with sqlite3.connect(book) as db:
        columns = [row[1] for row in db.execute("PRAGMA table_info(orders)")]
        row = dict(zip(columns, db.execute("SELECT * FROM orders WHERE order_id = 'O1'").fetchone(), strict=True))
        row |= {"order_id": "O99", "seq": 99, "cl_ord_id": "GHOST"}
        db.execute(f"INSERT INTO orders ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", list(row.values()))

    result = fixgw("replay", "--verify", "--json", "--db", f"sqlite:///{book}", *map(str, logs(traded)))

    assert result.returncode == 1
    import json

    differences = json.loads(result.stdout)["verification"]["differences"]
    assert {"order": "O99 GHOST", "field": "order", "book": "FILLED", "logs": "missing"} in differences


def test_verify_cli_when_the_book_is_empty_then_every_client_order_is_missing_and_exit_1(
    traded: Path, tmp_path: Path
) -> None:
    from oms.store.database import open_database

    book = tmp_path / "empty.db"
    open_database(f"sqlite:///{book}").dispose()
    before = book.read_bytes()

    result = fixgw("replay", "--verify", "--json", "--db", f"sqlite:///{book}", *map(str, logs(traded)))

    assert result.returncode == 1, result.stdout + result.stderr
    import json

    verification = json.loads(result.stdout)["verification"]
    assert verification["sessions"] == ["FIX.4.4:FIXGW->CLIENT1"]  # the venue session's orders are not the book's
    differences = verification["differences"]
    assert {(d["field"], d["book"]) for d in differences} == {("order", "missing")}
    assert sorted(d["order"].split()[1] for d in differences) == sorted(step.cl_ord_id for step in STEPS)
    assert len(differences) == 6
    assert book.read_bytes() == before  # read, never written
