"""``fixgw tca`` on every database: the fixture of issue 18 written into a real book (SQLite file, PostgreSQL) and
every figure of the issue read back from ``fixgw tca --json`` to 1e-4 bps; filters, errors and the plot."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from domain.tca_records import FillRecord, OrderRecord
from oms.store.database import open_database
from oms.store.schema import executions, messages, mids, orders
from tests.conftest import ROOT
from tests.tca_fixture import EXPECTED_ORDERS, EXPECTED_VENUES, FILLS, MIDS, ORDERS, SYMBOL, at

FIXGW = [sys.executable, "-c", "from app.cli import main; main()"]
VENUE_SESSION = "FIX.4.4:FIXGW->VENUE"


def fixgw(*args: str) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"COLUMNS": "200"}
    return subprocess.run([*FIXGW, *args], capture_output=True, text=True, timeout=120, cwd=ROOT, env=env, check=False)


def _order_row(o: OrderRecord) -> dict[str, Any]:
    filled = sum((f.qty for f in FILLS if f.order_id == o.order_id), Decimal(0))
    return {
        "order_id": o.order_id,
        "seq": int(o.order_id[1:]),
        "session": "FIX.4.4:FIXGW->CLIENT1",
        "cl_ord_id": o.cl_ord_id,
        "orig_cl_ord_id": None,
        "account": o.account,
        "symbol": o.symbol,
        "side": o.side.value,
        "ord_type": "1",
        "time_in_force": "0",
        "price": None,
        "order_qty": o.order_qty,
        "cum_qty": filled,
        "leaves_qty": Decimal(0),
        "avg_px": Decimal("100.016667") if o.cl_ord_id == "A" else Decimal("100.04"),  # the book's rounded AvgPx
        "status": o.status.value,
        "venue": o.venue,
        "venue_cl_ord_id": o.order_id,
        "venue_order_id": None,
        "ord_rej_reason": None,
        "text": None,
        "requests_sent": 0,
        "pending": None,
        "created_ns": o.created_ns,
        "updated_ns": o.updated_ns,
        "arrival_bid": o.arrival_bid,
        "arrival_ask": o.arrival_ask,
        "decision_px": o.decision_px,
        "route_reason": None,
    }


def _execution_row(f: FillRecord) -> dict[str, Any]:
    return {
        "exec_id": f.exec_id,
        "order_id": f.order_id,
        "venue": f.venue,
        "venue_exec_id": f"V-{f.exec_id}",
        "account": "ACCT1",
        "symbol": f.symbol,
        "side": f.side.value,
        "last_qty": f.qty,
        "last_px": f.px,
        "commission": Decimal(0),
        "ts_ns": f.ts_ns,
        "bid": f.bid,
        "ask": f.ask,
    }


def _message(direction: str, msg_type: str, order_id: str | None, ts_ns: int, seq: int) -> dict[str, Any]:
    return {
        "ts_ns": ts_ns,
        "direction": direction,
        "session": VENUE_SESSION,
        "msg_type": msg_type,
        "seq": seq,
        "order_id": order_id if direction == "out" else None,
        "cl_ord_id": order_id,
        "body": "8=FIX.4.4|...",
        "sent_from": None,
    }


def write_fixture(engine: Engine) -> None:
    """The fixture as the gateway would have left it in the book: orders, executions, the mid series, and the
    audit trail of A's and B's trips to VENUE (sent, acknowledged 3 ms and 5 ms later)."""
    a, b = ORDERS[0].order_id, ORDERS[1].order_id
    trail = [
        _message("out", "D", a, at("0"), 1),
        _message("in", "8", a, at("0.003"), 1),
        _message("in", "8", a, at("0.004"), 2),  # the fill: only the first answer counts
        _message("out", "D", b, at("9"), 2),
        _message("in", "8", b, at("9.005"), 3),
    ]
    with engine.begin() as conn:
        conn.execute(orders.insert(), [_order_row(o) for o in ORDERS])
        conn.execute(executions.insert(), [_execution_row(f) for f in FILLS])
        conn.execute(mids.insert(), [{"symbol": SYMBOL, "ts_ns": ts, "mid": mid} for ts, mid in MIDS])
        conn.execute(messages.insert(), trail)


@pytest.fixture
def book(database_url: str) -> str:
    engine = open_database(database_url)
    write_fixture(engine)
    engine.dispose()
    return database_url


def test_tca_json_when_fixture_in_the_book_then_every_figure_of_the_issue(book: str) -> None:
    result = fixgw("tca", "--db", book, "--json")

    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    by_order = {o["cl_ord_id"]: o for o in report["orders"]}
    for cl_ord_id, (slip, is_cash, is_bps, markouts, fill_ratio) in EXPECTED_ORDERS.items():
        o = by_order[cl_ord_id]
        shown = (o["slippage_bps"], o["is_cash"], o["is_bps"], tuple(o["markout_bps"].values()), o["fill_ratio"])
        assert shown == (slip, is_cash, is_bps, markouts, fill_ratio), cl_ord_id
    by_venue = {v["venue"]: v for v in report["venues"]}
    for venue, (reject_rate, fill_ratio, slip, markouts) in EXPECTED_VENUES.items():
        v = by_venue[venue]
        assert (v["reject_rate"], v["fill_ratio"], v["slippage_bps"], tuple(v["markout_bps"].values())) == (
            reject_rate,
            fill_ratio,
            slip,
            markouts,
        ), venue
    assert by_venue["VENUE"]["ack_latency_ms"] == {
        "count": 2,
        "mean": "4.000",
        "p50": "3.000",
        "p99": "5.000",
        "max": "5.000",
    }
    assert by_venue["POOL"]["ack_latency_ms"] is None  # no round trip recorded
    assert (by_order["B"]["end_px"], by_order["C"]["decision_from"], by_order["A"]["avg_px"]) == (
        "100",
        "arrival",
        "100.01666667",
    )


def test_tca_when_filtered_by_venue_and_since_then_only_those_orders(book: str) -> None:
    since = "2026-05-28T20:26:45Z"  # T0 is 20:26:40 UTC: B (booked at 9 s) onwards

    result = fixgw("tca", "--db", book, "--json", "--venue", "VENUE", "--since", since)

    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert [o["cl_ord_id"] for o in report["orders"]] == ["B"]
    assert [(v["venue"], v["orders"], v["fill_ratio"]) for v in report["venues"]] == [("VENUE", 1, "0.5000")]


def test_tca_table_when_fixture_then_scorecard_and_orders_shown(book: str, tmp_path: Path) -> None:
    plot = tmp_path / "markouts.png"

    result = fixgw("tca", "--db", book, "--plot", str(plot))

    assert result.returncode == 0, result.stderr
    for expected in ("TCA scorecard per venue", "VENUE", "POOL", "1.4999", "0.3749", "2.6669", "positive is a cost"):
        assert expected in result.stdout, expected
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--venue", "NOPE"), "unknown venue 'NOPE'; venues in the settings or the book: POOL, VENUE"),
        (("--symbol", "MSTF"), "unknown symbol 'MSTF'; symbols in the settings or the book: MSFT"),
        (("--since", "yesterday"), "--since 'yesterday': give a UTC time"),
        (("--plot", "curves.svg"), "--plot 'curves.svg': give a .png file name"),
    ],
)
def test_tca_when_bad_input_then_one_line_error_and_exit_2(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    url = f"sqlite:///{tmp_path / 'book.db'}"
    engine = open_database(url)
    write_fixture(engine)
    engine.dispose()

    result = fixgw("tca", "--db", url, *args)

    assert result.returncode == 2
    assert result.stderr.startswith(f"fixgw: error: {message}"), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
