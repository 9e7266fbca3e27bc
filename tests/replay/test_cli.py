"""fixgw replay as a user runs it: summary and anomalies, JSON, exit codes, writing a replayed book."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

FIXGW = [sys.executable, "-c", "from app.cli import main; main()"]
OWN = Path(__file__).resolve().parent / "fixtures" / "own"
CHAINS = str(OWN / "broker-chains.log")


def fixgw(*args: str) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"COLUMNS": "200"}
    return subprocess.run([*FIXGW, *args], capture_output=True, text=True, timeout=120, cwd=ROOT, env=env, check=False)


def test_replay_cli_when_a_log_has_anomalies_then_they_are_listed_and_the_exit_code_is_0() -> None:
    result = fixgw("replay", CHAINS)

    assert result.returncode == 0, result.stderr
    out = result.stdout
    for expected in (
        "Messages by type (21 in all)",
        "8 ExecutionReport",
        "Orders by final state",
        "FILLED",
        "Positions",
        "cum_qty_decreased",
        "broker-chains.log:16 cum_qty_decreased",
        "went from 500 to 0",
        "unknown_order_fill",
    ):
        assert expected in out, expected


def test_replay_cli_when_json_is_asked_then_stdout_is_one_json_document() -> None:
    result = fixgw("replay", "--json", CHAINS, str(OWN / "wrapped-in-out.log"))

    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["verification"] is None
    summary = document["summary"]
    assert (summary["messages"], summary["orders"], len(summary["files"])) == (27, 4, 2)
    assert summary["orders_by_state"]["FILLED"] == 1
    assert {a["kind"] for a in summary["anomalies"]} >= {"cum_qty_decreased", "sequence_gap"}


def test_replay_cli_when_a_file_cannot_be_read_then_one_line_error_and_exit_2(tmp_path: Path) -> None:
    result = fixgw("replay", CHAINS, str(tmp_path / "nope.log"))

    assert result.returncode == 2
    assert result.stderr.strip() == f"fixgw: error: cannot read {tmp_path / 'nope.log'}: no such file"


def test_replay_cli_when_verify_has_no_database_then_exit_2() -> None:
    result = fixgw("replay", "--verify", CHAINS)

    assert (result.returncode, result.stderr.strip()) == (
        2,
        "fixgw: error: --verify needs --db, the book of record to check",
    )


def test_replay_cli_when_a_database_is_given_then_the_rebuilt_book_is_written_there_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'replayed.db'}"

    first = fixgw("replay", "--db", url, CHAINS)
    again = fixgw("replay", "--db", url, CHAINS)

    assert first.returncode == 0, first.stderr
    assert f"book written to {url}: 4 orders, 4 executions" in first.stdout
    assert again.returncode == 2
    assert "already holds 4 orders; replay writes into a fresh book" in again.stderr
    import sqlite3

    with sqlite3.connect(tmp_path / "replayed.db") as db:
        rows = db.execute("SELECT cl_ord_id, status, cum_qty, venue_order_id FROM orders ORDER BY seq").fetchall()
    assert rows[0] == ("A.4", "2", "800", "B-A")


def test_replay_cli_when_the_database_refuses_the_book_then_one_line_error_and_exit_2(tmp_path: Path) -> None:
    import sqlite3

    from oms.store.database import open_database

    open_database(f"sqlite:///{tmp_path / 'refusing.db'}").dispose()
    with sqlite3.connect(tmp_path / "refusing.db") as db:
        db.execute("CREATE TRIGGER refuse BEFORE INSERT ON executions BEGIN SELECT RAISE(ABORT, 'no fills here'); END")

    result = fixgw("replay", "--db", f"sqlite:///{tmp_path / 'refusing.db'}", CHAINS)

    assert result.returncode == 2
    assert "fixgw: error: the database refused the replayed book:" in result.stderr
    assert "no fills here" in result.stderr and "Traceback" not in result.stderr


def test_replay_cli_when_strict_then_messages_with_a_bad_checksum_are_left_out() -> None:
    viewer = str(
        Path(__file__).resolve().parent / "fixtures" / "third_party" / "quickfix-logviewer" / "testDelimiter.log"
    )

    result = fixgw("replay", "--integrity", "strict", "--json", viewer)

    assert json.loads(result.stdout)["summary"]["skipped_messages"] == 1


def test_replay_cli_when_the_database_file_is_not_sqlite_then_one_line_error_and_exit_2(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_text("not a database\n")
    url = f"sqlite:///{junk}"

    results = [fixgw("replay", "--db", url, CHAINS), fixgw("replay", "--verify", "--db", url, CHAINS)]

    for result in results:
        assert result.returncode == 2
        assert result.stderr == f"fixgw: error: cannot read the database {url}: file is not a database\n"
    assert junk.read_text() == "not a database\n"


def test_replay_cli_when_the_database_url_is_no_url_then_one_line_error_and_exit_2() -> None:
    results = [fixgw("replay", "--db", "book.db", CHAINS), fixgw("replay", "--verify", "--db", "nosuch://x", CHAINS)]

    for result in results:
        assert result.returncode == 2
        assert result.stderr.startswith("fixgw: error: not a database URL fixgw can use (")
        assert result.stderr.count("\n") == 1


def previous_revision() -> str:
    from alembic.script import ScriptDirectory

    from oms.store.database import MIGRATIONS, head_revision

    down = ScriptDirectory(str(MIGRATIONS)).get_revision(head_revision()).down_revision
    assert isinstance(down, str)
    return down


def test_replay_cli_when_verify_is_given_a_database_that_is_no_fixgw_book_then_exit_2_and_it_is_untouched(
    tmp_path: Path,
) -> None:
    import sqlite3

    empty = tmp_path / "empty.db"
    empty.touch()
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE notes (text TEXT)")
    before = other.read_bytes()

    results = [fixgw("replay", "--verify", "--db", f"sqlite:///{path}", CHAINS) for path in (empty, other)]

    for result, path in zip(results, (empty, other), strict=True):
        assert result.returncode == 2
        assert result.stderr == (
            f"fixgw: error: sqlite:///{path} is not a fixgw book (no fixgw schema); nothing was changed\n"
        )
    assert empty.read_bytes() == b""
    assert other.read_bytes() == before


def test_replay_cli_when_verify_is_given_an_older_book_then_exit_2_and_it_is_not_migrated(tmp_path: Path) -> None:
    from oms.store.database import connect, head_revision, upgrade

    book = tmp_path / "old.db"
    engine = connect(f"sqlite:///{book}")
    upgrade(engine, previous_revision())
    engine.dispose()
    before = book.read_bytes()

    result = fixgw("replay", "--verify", "--db", f"sqlite:///{book}", CHAINS)

    assert result.returncode == 2
    assert f"is at schema revision {previous_revision()}, this fixgw reads {head_revision()}" in result.stderr
    assert "fixgw db upgrade" in result.stderr and result.stderr.count("\n") == 1
    assert book.read_bytes() == before


def test_replay_cli_when_short_marked_at_its_cost_then_unrealized_0_not_minus_0() -> None:
    demo = str(ROOT / "tests" / "replay" / "fixtures" / "scenarios" / "demo.log")  # ends short 200 IBM at 99.99

    table = fixgw("replay", demo)
    as_json = fixgw("replay", "--json", demo)

    assert table.returncode == 0 and as_json.returncode == 0, table.stderr + as_json.stderr
    ibm = next(line for line in table.stdout.splitlines() if " IBM " in line)
    assert " -200 " in ibm and " -0 " not in ibm and ibm.split("│")[7].strip() == "0"  # the unrealized P&L column
    short = next(p for p in json.loads(as_json.stdout)["summary"]["positions"] if p["symbol"] == "IBM")
    assert (short["qty"], short["unrealized_pnl"]) == ("-200", "0.00")
