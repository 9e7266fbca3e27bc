"""``fixgw positions`` as people read it: a flat P&L is 0, never -0."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from domain.clock import TestClock
from oms.store.database import open_database
from oms.store.journal import Journal
from tests.integration.test_cli import fixgw

pytestmark = pytest.mark.integration


def _position(symbol: str, qty: str, avg_cost: str) -> dict[str, Any]:
    zero = Decimal(0)
    return {
        "account": "ACCT1",
        "symbol": symbol,
        "qty": Decimal(qty),
        "avg_cost": Decimal(avg_cost),
        "realized_pnl": zero,
        "fees": zero,
        "mark": None,
        "bought_qty": max(Decimal(qty), zero),
        "sold_qty": max(-Decimal(qty), zero),
        "updated_ns": 1,
    }


def _fill(exec_id: str, symbol: str, price: str) -> dict[str, Any]:
    return {
        "exec_id": exec_id,
        "order_id": "O1",
        "venue": "V",
        "venue_exec_id": exec_id,
        "account": "ACCT1",
        "symbol": symbol,
        "side": "2",
        "last_qty": Decimal(10),
        "last_px": Decimal(price),
        "ts_ns": 2,
    }


def test_positions_when_short_marked_at_cost_or_loss_rounds_away_then_0_not_minus_0(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'book.db'}"
    engine = open_database(url)
    journal = Journal(engine, deliver=lambda _: None, clock=TestClock())
    journal.start()
    journal.append(position=_position("MSFT", "-10", "100.00"), execution=_fill("E1", "MSFT", "100.00"))
    journal.append(position=_position("IBM", "10", "100.000001"), execution=_fill("E2", "IBM", "100.000000"))
    assert journal.flush()
    journal.stop()
    engine.dispose()
    settings = tmp_path / "fixgw.toml"  # no gateway there: marked to the last fill
    settings.write_text(f'[admin]\ntoken_file = "{tmp_path / "none.token"}"\n')

    table = fixgw("positions", "--db", url, "-s", str(settings))
    as_json = fixgw("positions", "--db", url, "-s", str(settings), "--json")

    assert table.returncode == 0 and as_json.returncode == 0, table.stderr + as_json.stderr
    rows = {r["symbol"]: r for r in json.loads(as_json.stdout)}
    assert rows["MSFT"]["unrealized_pnl"] == "0.00"  # -10 x (100.00 - 100.00) is -0.00 in Decimal
    assert rows["IBM"]["unrealized_pnl"] == "-0.000010"  # a true loss keeps its sign, exactly, in JSON
    assert "-0" not in as_json.stdout.replace("-0.000010", "")
    lines = {s: next(line for line in table.stdout.splitlines() if f" {s} " in line) for s in ("MSFT", "IBM")}
    assert all("-0 " not in line and "-0.0" not in line for line in lines.values()), table.stdout
    assert " -10 " in lines["MSFT"]  # the quantity keeps its sign
