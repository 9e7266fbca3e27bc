"""The order path over real FIX sessions: ExecutionReport fields and rows in the SQL book."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from app.fixclient import Fields
from domain.enums import Side
from oms.store import repository
from tests.integration.conftest import System

pytestmark = pytest.mark.integration
TIMESTAMP = re.compile(r"^\d{8}-\d{2}:\d{2}:\d{2}\.\d{3}$")


def final_report(system: System, cl_ord_id: str, status: str) -> Fields:
    return system.client.wait_for(lambda m: m.get(35) == "8" and m.get(11) == cl_ord_id and m.get(39) == status)


def order_row(system: System, cl_ord_id: str) -> dict[str, object]:
    rows = [r for r in repository.load_orders(system.gateway.db) if r["cl_ord_id"] == cl_ord_id]
    assert len(rows) == 1
    return rows[0]


def assert_common(report: Fields, cl_ord_id: str, symbol: str, side: str, qty: str) -> None:
    assert report[11] == cl_ord_id
    assert report[55] == symbol
    assert report[54] == side
    assert report[38] == qty
    assert report[1] == "ACCT1"
    assert TIMESTAMP.match(report[60]), report[60]
    assert report[37].startswith("O")


def test_order_path_when_order_crosses_resting_asks_then_new_then_filled_and_booked(system: System) -> None:
    system.client.send_order("FILL-1", "MSFT", Side.BUY, Decimal(100), Decimal("100.05"))

    filled = final_report(system, "FILL-1", "2")
    reports = system.client.reports_for("FILL-1")

    assert [(r[150], r[39]) for r in reports] == [("0", "0"), ("F", "2")]
    new = reports[0]
    assert_common(new, "FILL-1", "MSFT", "1", "100")
    assert (new[14], new[151], new[6]) == ("0", "100", "0")
    assert_common(filled, "FILL-1", "MSFT", "1", "100")
    assert (filled[32], filled[31], filled[14], filled[151], filled[6]) == ("100", "100.01", "100", "0", "100.01")
    assert filled[37] == new[37]
    assert new[17] != filled[17]
    row = order_row(system, "FILL-1")
    assert row["order_id"] == filled[37]
    assert (row["status"], row["cum_qty"], row["leaves_qty"], row["avg_px"]) == (
        "2",
        Decimal(100),
        Decimal(0),
        Decimal("100.01"),
    )
    assert row["venue"] == "VENUE"
    executions = repository.load_executions(system.gateway.db, row["order_id"])  # type: ignore[arg-type]
    assert [(e["exec_id"], e["last_qty"], e["last_px"]) for e in executions] == [
        (filled[17], Decimal(100), Decimal("100.01"))
    ]


def test_order_path_when_liquidity_is_short_then_partially_filled_and_rests(system: System) -> None:
    system.client.send_order("PART-1", "AAPL", Side.BUY, Decimal(800), Decimal("100.01"))

    partial = final_report(system, "PART-1", "1")

    assert (partial[150], partial[32], partial[31]) == ("F", "500", "100.01")
    assert (partial[14], partial[151], partial[6]) == ("500", "300", "100.01")
    row = order_row(system, "PART-1")
    assert (row["status"], row["cum_qty"], row["leaves_qty"]) == ("1", Decimal(500), Decimal(300))


def test_order_path_when_order_sweeps_levels_then_avg_px_is_fill_weighted(system: System) -> None:
    system.client.send_order("SWEEP-1", "IBM", Side.BUY, Decimal(1200), Decimal("100.03"))

    final_report(system, "SWEEP-1", "2")
    fills = [r for r in system.client.reports_for("SWEEP-1") if r[150] == "F"]

    assert [(f[32], f[31], f[39]) for f in fills] == [
        ("500", "100.01", "1"),
        ("500", "100.02", "1"),
        ("200", "100.03", "2"),
    ]
    assert fills[-1][6] == "100.0175"  # (500*100.01 + 500*100.02 + 200*100.03) / 1200
    assert order_row(system, "SWEEP-1")["avg_px"] == Decimal("100.0175")


def test_order_path_when_market_sell_then_fills_at_best_bid(system: System) -> None:
    system.client.send_order("MKT-1", "IBM", Side.SELL, Decimal(200))

    filled = final_report(system, "MKT-1", "2")

    assert (filled[31], filled[6], filled[40]) == ("99.99", "99.99", "1")
    assert 44 not in filled


def test_order_path_when_over_max_quantity_then_denied_at_once_and_booked_rejected(system: System) -> None:
    system.client.send_order("DENY-1", "MSFT", Side.BUY, Decimal(6000), Decimal("100"))

    denied = final_report(system, "DENY-1", "8")

    assert system.client.reports_for("DENY-1") == [denied]
    assert (denied[150], denied[103]) == ("8", "3")
    assert "max order quantity" in denied[58] and "6000" in denied[58] and "5000" in denied[58]
    assert (denied[14], denied[151]) == ("0", "0")
    row = order_row(system, "DENY-1")
    assert (row["status"], row["ord_rej_reason"], row["venue"]) == ("8", "3", None)
    assert row["text"] == denied[58]
    assert not [o for o in system.venue.simulator.engine.book("MSFT").bids.levels.values() for x in o if x.owner]


def test_order_path_when_over_max_notional_then_denied_naming_values(system: System) -> None:
    system.client.send_order("DENY-2", "IBM", Side.BUY, Decimal(4000), Decimal("300"))

    denied = final_report(system, "DENY-2", "8")

    assert denied[103] == "3"
    assert "max notional" in denied[58] and "1200000" in denied[58] and "1000000" in denied[58]


def test_order_path_when_duplicate_cl_ord_id_then_rejected_103_6_and_first_order_stands(system: System) -> None:
    system.client.send_order("DUP-1", "MSFT", Side.BUY, Decimal(10), Decimal("99"))
    final_report(system, "DUP-1", "0")

    system.client.send_order("DUP-1", "MSFT", Side.BUY, Decimal(20), Decimal("99"))
    duplicate = final_report(system, "DUP-1", "8")

    assert (duplicate[103], duplicate[37]) == ("6", "NONE")
    row = order_row(system, "DUP-1")
    assert (row["status"], row["order_qty"]) == ("0", Decimal(10))


def test_audit_trail_when_order_filled_then_every_message_in_and_out_recorded(system: System) -> None:
    system.client.send_order("AUD-1", "MSFT", Side.BUY, Decimal(10), Decimal("100.05"))
    filled = final_report(system, "AUD-1", "2")

    messages = repository.order_messages(system.gateway.db, order_row(system, "AUD-1"))

    trail = [(m["direction"], m["msg_type"], m["session"].endswith("CLIENT1")) for m in messages]
    assert trail[0] == ("in", "D", True)  # the client's order, as received
    assert ("out", "D", False) in trail  # our order to the venue
    assert trail.count(("in", "8", False)) == 2  # the venue's ack and fill
    assert trail.count(("out", "8", True)) == 2  # our ack and fill to the client
    nos = messages[0]
    assert nos["seq"] > 0 and "35=D" in nos["body"] and "11=AUD-1" in nos["body"]
    assert repository.last_inbound_seq(system.gateway.db, nos["session"], 0) >= nos["seq"]
    assert filled[37] == messages[-1]["order_id"]
