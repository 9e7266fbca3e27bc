"""TCA end to end over real sessions (issue 18): orders from a FIX client, filled at the venue simulator (VENUE, over
FIX) and at the internal venue (POOL), leave in the book what TCA measures against — the sender's DecisionPx (5900),
the quote at each fill, the mid series — and ``fixgw tca --json`` scores them from the book."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from app.config import MarketDataConfig, VenueConfig
from app.demo import eventually
from domain.enums import Side
from domain.ids import Symbol
from oms.store import repository
from oms.store import tca as store
from tests.integration.conftest import System, start_system, stop_system
from tests.integration.test_cli import fixgw
from tests.integration.test_internal_venue import pool_config, report

pytestmark = pytest.mark.integration

VENUE_SESSION, VENUE_MD_SESSION = "FIX.4.4:FIXGW->VENUE", "FIX.4.4:FIXGW->VENUEMD"
EVERY_MS = 50
"""The mid series' sample period here (the shipped 250 ms, shortened so the test waits less)."""


@pytest.fixture
def system(tmp_path: Path) -> Iterator[System]:
    config = pool_config(tmp_path)
    venues = config.venues | {"VENUE": VenueConfig(session=VENUE_SESSION, md_session=VENUE_MD_SESSION)}
    marketdata = MarketDataConfig(mids_every_ms=EVERY_MS, mids_heartbeat_ms=200)
    running = start_system(tmp_path, config.model_copy(update={"venues": venues, "marketdata": marketdata}))
    quotes = running.gateway.quotes
    assert eventually(lambda: all(quotes.mid(Symbol(s))[0] == Decimal(100) for s in ("MSFT", "IBM")))
    now = time.time_ns()  # the series must have begun before the orders: it never claims a mid before its first row
    assert eventually(lambda: all(_covered(running, s, now) for s in ("MSFT", "IBM")))
    yield running
    stop_system(running)


def _order(
    system: System, cl_ord_id: str, symbol: str, side: Side, qty: int, price: str, *extra: tuple[int, str]
) -> None:
    fields = [(11, cl_ord_id), (55, symbol), (54, side.value), (38, str(qty)), (40, "2"), (44, price)]
    system.client.send_fields("D", [*fields, (60, time.strftime("%Y%m%d-%H:%M:%S", time.gmtime())), *extra])


def _covered(system: System, symbol: str, until_ns: int) -> bool:
    _, last = store.mid_series(system.gateway.db, symbol, until_ns, until_ns)
    return last is not None and last[0] >= until_ns


def test_tca_when_orders_fill_over_real_sessions_then_the_book_holds_the_capture_and_fixgw_tca_scores_it(
    system: System,
) -> None:
    started = time.time_ns()
    _order(system, "TA", "MSFT", Side.BUY, 300, "100.02", (5900, "99.99"))  # the sender's decision price
    report(system.client, "TA", t39="2")
    _order(system, "TB", "MSFT", Side.SELL, 200, "99.98")
    report(system.client, "TB", t39="2")
    _order(system, "TC", "IBM", Side.BUY, 100, "100.02")
    report(system.client, "TC", t39="2")
    _order(system, "TD", "MSFT", Side.BUY, 100, "99.90")
    report(system.client, "TD", t39="0")
    system.client.send_fields("F", [(41, "TD"), (11, "TD-X"), (55, "MSFT"), (54, "1"), (60, "20261203-00:00:00")])
    report(system.client, "TD-X", t39="4")
    assert system.gateway.journal.flush()
    db = system.gateway.db
    fills = repository.load_executions(db)
    last_change = max(e["ts_ns"] for e in fills) + 1_000_000_000
    last_change = max([last_change, *(r["updated_ns"] for r in repository.load_orders(db))])
    # The 1 s markouts are scored once the mid series covers the second after the last fill (heartbeats).
    assert eventually(lambda: all(_covered(system, s, last_change) for s in ("MSFT", "IBM")))

    result = fixgw("tca", "--db", system.gateway.config.database_url(), "--json")

    assert result.returncode == 0, result.stderr
    tca = json.loads(result.stdout)
    orders = {o["cl_ord_id"]: o for o in tca["orders"]}
    # Captured at the time: the decision price, the quote at each fill.
    assert (orders["TA"]["decision_px"], orders["TA"]["decision_from"]) == ("99.99", "sender")
    assert (orders["TB"]["decision_px"], orders["TB"]["decision_from"]) == ("100", "arrival")
    assert {(f["bid"], f["ask"]) for o in orders.values() for f in o["fills"]} == {("99.99", "100.01")}
    # Scored from it (the books stay at mid 100.00: the seeded touch is never used up).
    assert _figures(orders["TA"]) == ("1.0000", "6.0000", "2.0002", "-0.9999", "1.0000")
    assert _figures(orders["TB"]) == ("1.0000", "2.0000", "1.0000", "-1.0001", "1.0000")
    assert _figures(orders["TC"]) == ("1.0000", "1.0000", "1.0000", "-0.9999", "1.0000")
    assert _figures(orders["TD-X"]) == (None, "0.0000", "0.0000", None, "0.0000"), orders["TD-X"]
    for o in orders.values():  # 5 s: covered by now or not yet; 60 s: not yet, never guessed
        assert o["markout_bps"]["5s"] in (None, o["markout_bps"]["1s"])
        assert o["markout_bps"]["60s"] is None
    assert orders["TD-X"]["end_px"] == "100"  # the order's ClOrdID is its cancel's now
    venues = {v["venue"]: v for v in tca["venues"]}
    assert (venues["VENUE"]["orders"], venues["VENUE"]["fill_ratio"], venues["VENUE"]["reject_rate"]) == (
        3,
        "0.8333",
        "0.0000",
    )
    assert venues["VENUE"]["ack_latency_ms"]["count"] == 3  # 35=D sent to the first 35=8 back, from the audit trail
    assert venues["POOL"]["ack_latency_ms"] is None  # the internal venue answers inside the gateway
    shown = fixgw("order", "TA", "--db", system.gateway.config.database_url())
    assert "Decision price (DecisionPx 5900, the sender's): 99.99" in shown.stdout, shown.stdout
    # The series is coalesced: at most one row per symbol per sample period (and per heartbeat when quiet).
    points, _ = store.mid_series(db, "MSFT", started, time.time_ns())
    elapsed_ms = (time.time_ns() - started) / 1e6
    assert 0 < len(points) <= elapsed_ms / EVERY_MS + 2
    assert [ts for ts, _ in points] == sorted({ts for ts, _ in points})


def _figures(order: dict[str, Any]) -> tuple[Any, ...]:
    return (
        order["slippage_bps"],
        order["is_cash"],
        order["is_bps"],
        order["markout_bps"]["1s"],
        order["fill_ratio"],
    )
