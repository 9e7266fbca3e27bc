"""``fixgw bench --system strategy | strategy-internal`` end to end: the venue simulator's flow moves the book, the
market maker answers, and every hop of its tick-to-trade is measured; the figures are not judged here."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

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
