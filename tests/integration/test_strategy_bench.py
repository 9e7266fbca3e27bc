"""``fixgw bench --system strategy | strategy-internal`` and ``fixgw demo --strategy`` end to end: the venue
simulator's flow moves the book, the market maker answers, every hop of its tick-to-trade is measured (the figures are
not judged here), and the demo's check of the maker against the book of record passes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.integration.conftest import free_port

pytestmark = pytest.mark.integration
_CLI = [sys.executable, "-c", "from app.cli import main; main()"]
_HOPS = ["decode", "book apply", "decide", "risk", "route", "commit"]


def test_bench_strategy_measures_tick_to_trade_hop_by_hop(tmp_path: Path) -> None:
    args = ["bench", "--system", "strategy", "--system", "strategy-internal", "--seconds", "3", "--json"]
    done = subprocess.run(
        [*_CLI, *args, "--work-dir", str(tmp_path / "work")], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout)
    assert report["systems"] == []  # no order-path system was asked for
    results = {r["system"]: r for r in report["tick_to_trade"]}
    assert list(results) == ["strategy", "strategy-internal"]
    for name, result in results.items():
        samples = result["tick_to_trade_us"]["count"]
        assert samples > 0 and result["strategy"]["sent"].get("replace", 0) > 0, (name, result)
        assert result["tick_to_trade_us"]["p50"] > 0 and result["strategy"]["denials"] == {}, (name, result)
        for hop in _HOPS:
            assert result["hops"][hop]["count"] == samples, (name, hop)
    assert results["strategy"]["hops"]["send"]["count"] == results["strategy"]["tick_to_trade_us"]["count"]
    assert "send" not in results["strategy-internal"]["hops"]  # in process: it ends at the commit


def test_demo_strategy_runs_the_market_maker_and_checks_it_against_the_book(tmp_path: Path) -> None:
    ports = ["--client-port", str(free_port()), "--venue-port", str(free_port())]
    done = subprocess.run(
        [*_CLI, "demo", "--strategy", "--seconds", "4", "--work-dir", str(tmp_path / "demo"), *ports],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=os.environ | {"COLUMNS": "200"},
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    for expected in ("MM1 on MSFT, each second", "tick-to-trade", "= the book's position = the fold of its fills"):
        assert expected in done.stdout
    assert "demo passed" in done.stdout
