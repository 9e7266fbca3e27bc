"""The CLI end to end: the demo as a user runs it, the book from SQL, one-line errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.integration.conftest import free_port

pytestmark = pytest.mark.integration
FIXGW = [sys.executable, "-c", "from app.cli import main; main()"]


def fixgw(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"COLUMNS": "200"}
    return subprocess.run([*FIXGW, *args], capture_output=True, text=True, timeout=120, cwd=cwd, env=env, check=False)


def test_demo_when_run_then_exits_0_and_prints_every_order_state(tmp_path: Path) -> None:
    ports = ["--client-port", str(free_port()), "--venue-port", str(free_port())]
    result = fixgw("demo", "--work-dir", str(tmp_path / "demo"), *ports)

    assert result.returncode == 0, result.stdout + result.stderr
    expected_lines = ("DEMO-1", "FILLED", "PARTIALLY_FILLED", "REJECTED", "max order quantity", "demo passed")
    for expected in (*expected_lines, "DEMO-MD subscribed to MSFT", "MSFT (consolidated)", "mid 100.00"):
        assert expected in result.stdout
    assert (tmp_path / "demo" / "fixgw.db").is_file()

    orders = fixgw("orders", "--db", f"sqlite:///{tmp_path / 'demo' / 'fixgw.db'}")

    assert orders.returncode == 0, orders.stderr
    assert orders.stdout.count("DEMO-") == 6
    assert "Unknown symbol 'XYZ'" in orders.stdout


def test_run_when_settings_invalid_then_one_line_error_and_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "fixgw.toml"
    bad.write_text('[risk.default]\nmax_order_qty = "-1"\n')

    result = fixgw("run", "--settings", str(bad))

    assert result.returncode == 2
    assert result.stderr.strip().startswith("fixgw: error:")
    assert "risk.default.max_order_qty" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_run_when_session_file_missing_then_one_line_error(tmp_path: Path) -> None:
    result = fixgw("run", "--config", str(tmp_path / "nope.cfg"))

    assert result.returncode == 2
    assert "cannot read session file" in result.stderr and "Traceback" not in result.stderr


def test_quarantine_when_units_set_aside_then_listed_and_one_shown_with_its_message(tmp_path: Path) -> None:
    from domain.audit import audit_text
    from domain.clock import TestClock
    from oms.store.database import open_database
    from oms.store.journal import Journal
    from tests.contract.test_book_store import order_row

    url = f"sqlite:///{tmp_path / 'book.db'}"
    engine = open_database(url)
    journal = Journal(engine, deliver=lambda _: None, clock=TestClock())
    with journal.atomic():  # a message whose order row the database refuses (text that is not UTF-8)
        journal.append(order=order_row("O7") | {"symbol": "\udcff"})
        journal.record_inbound("FIX.4.4:FIXGW->CLIENT1", 12, "D", "C7", audit_text("35=D\x0111=C7\x0155=\udcff\x01"), 1)
    journal.start()
    assert journal.flush()
    journal.stop()
    engine.dispose()

    listed = fixgw("quarantine", "--db", url)
    shown = fixgw("quarantine", "--db", url, "--show", "1")
    missing = fixgw("quarantine", "--db", url, "--show", "9")

    assert listed.returncode == 0, listed.stderr
    assert "Q1" in listed.stdout and "FIX.4.4:FIXGW->CLIENT1" in listed.stdout and '["O7"]' in listed.stdout
    assert shown.returncode == 0, shown.stderr
    assert "35=D|11=C7|55=\\xff|" in shown.stdout and "UnicodeEncodeError" in shown.stdout
    assert (missing.returncode, missing.stderr.strip()) == (2, "fixgw: error: no quarantined unit Q9")


def test_order_when_booked_with_arrival_prices_then_shown_and_in_json(tmp_path: Path) -> None:
    import json
    from decimal import Decimal

    from domain.clock import TestClock
    from oms.store.database import open_database
    from oms.store.journal import Journal
    from tests.contract.test_book_store import order_row

    url = f"sqlite:///{tmp_path / 'book.db'}"
    engine = open_database(url)
    journal = Journal(engine, deliver=lambda _: None, clock=TestClock())
    journal.start()
    journal.append(order=order_row("O1") | {"arrival_bid": Decimal("100.00"), "arrival_ask": Decimal("100.015")})
    journal.append(order=order_row("O2") | {"arrival_bid": None, "arrival_ask": None})
    assert journal.flush()
    journal.stop()
    engine.dispose()

    shown, as_json, without = (
        fixgw("order", "O1", "--db", url),
        fixgw("order", "O1", "--db", url, "--json"),
        fixgw("order", "O2", "--db", url),
    )

    assert shown.returncode == 0, shown.stderr
    assert "Arrival (consolidated book when booked): bid 100, ask 100.015" in shown.stdout
    order = json.loads(as_json.stdout)["order"]
    assert (order["arrival_bid"], order["arrival_ask"]) == ("100.00", "100.015")
    assert "Arrival (consolidated book when booked): no market data" in without.stdout
