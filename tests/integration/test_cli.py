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
    for expected in ("DEMO-1", "FILLED", "PARTIALLY_FILLED", "REJECTED", "max order quantity", "demo passed"):
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
