"""Order lifecycle over real sessions, by FIX 4.4 Appendix D group: cancel (B), replace (C), unsolicited
cancel and done for day (E), status (G), mass cancel; ExecutionReports, OrderCancelRejects and the SQL book."""

from __future__ import annotations

import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest

from app.fixclient import Fields
from domain.enums import Side
from fixgw.codec.outbound import format_utc_timestamp
from oms.store import repository
from tests.conftest import ROOT
from tests.integration.conftest import System

pytestmark = pytest.mark.integration


def now() -> str:
    return format_utc_timestamp(time.time_ns())


def cancel(system: System, cl_ord_id: str, orig: str, symbol: str = "MSFT", side: str = "1") -> None:
    system.client.send_fields("F", [(41, orig), (11, cl_ord_id), (55, symbol), (54, side), (60, now())])


def replace(
    system: System, cl_ord_id: str, orig: str, qty: str, price: str, symbol: str = "MSFT", side: str = "1"
) -> None:
    system.client.send_fields(
        "G", [(41, orig), (11, cl_ord_id), (55, symbol), (54, side), (38, qty), (40, "2"), (44, price), (60, now())]
    )


def report(system: System, cl_ord_id: str, exec_type: str) -> Fields:
    return system.client.wait_for(lambda m: m.get(35) == "8" and m.get(11) == cl_ord_id and m.get(150) == exec_type)


def cancel_reject(system: System, cl_ord_id: str) -> Fields:
    return system.client.wait_for(lambda m: m.get(35) == "9" and m.get(11) == cl_ord_id)


def resting(system: System, cl_ord_id: str, qty: int = 10, price: str = "99.50", symbol: str = "MSFT") -> Fields:
    system.client.send_order(cl_ord_id, symbol, Side.BUY, Decimal(qty), Decimal(price))
    return report(system, cl_ord_id, "0")


def row(system: System, order_id: str) -> dict[str, object]:
    [found] = [r for r in repository.load_orders(system.gateway.db) if r["order_id"] == order_id]
    return found


# -- B: cancel -----------------------------------------------------------------------------------------


def test_cancel_when_order_rests_then_pending_cancel_then_canceled_with_chain(system: System) -> None:
    ack = resting(system, "B1")

    cancel(system, "B1-C", "B1")
    pending = report(system, "B1-C", "6")
    done = report(system, "B1-C", "4")

    assert (pending[39], pending[41], pending[37]) == ("6", "B1", ack[37])
    assert (done[39], done[41], done[151], done[14]) == ("4", "B1", "0", "0")
    book = row(system, ack[37])
    assert (book["status"], book["cl_ord_id"], book["orig_cl_ord_id"], book["leaves_qty"]) == (
        "4",
        "B1-C",
        "B1",
        Decimal(0),
    )


@pytest.mark.parametrize(
    ("setup", "orig", "new", "reason", "status", "order_id"),
    [
        ("none", "NOPE", "B2-C", "1", "8", "NONE"),  # unknown order (B.1.f): OrderID NONE, 39=8
        ("filled", "B3", "B3-C", "0", "2", "order"),  # too late to cancel: already filled
        ("resting", "B4", "B4", "6", "0", "order"),  # duplicate ClOrdID: the request reuses one
    ],
)
def test_cancel_when_it_cannot_be_done_then_order_cancel_reject(
    system: System, setup: str, orig: str, new: str, reason: str, status: str, order_id: str
) -> None:
    placed = None
    if setup == "filled":
        system.client.send_order(orig, "MSFT", Side.BUY, Decimal(5), Decimal("100.05"))
        placed = system.client.wait_for(lambda m: m.get(11) == orig and m.get(39) == "2")
    elif setup == "resting":
        placed = resting(system, orig)

    cancel(system, new, orig)
    reject = cancel_reject(system, new)

    assert (reject[102], reject[434], reject[39], reject[41]) == (reason, "1", status, orig)
    assert reject[37] == (placed[37] if placed else "NONE")
    assert reject[58]


# -- C: replace ----------------------------------------------------------------------------------------


def test_replace_when_quantity_increases_then_pending_replace_then_replaced(system: System) -> None:
    ack = resting(system, "C1", qty=10)

    replace(system, "C1-R", "C1", "25", "99.50")
    pending = report(system, "C1-R", "E")
    done = report(system, "C1-R", "5")

    assert (pending[39], pending[38], pending[41]) == ("E", "10", "C1")  # not replaced until 150=5 (C.1.b)
    assert (done[39], done[38], done[151], done[41], done[37]) == ("0", "25", "25", "C1", ack[37])
    book = row(system, ack[37])
    assert (book["order_qty"], book["cl_ord_id"], book["orig_cl_ord_id"], book["status"]) == (
        Decimal(25),
        "C1-R",
        "C1",
        "0",
    )


def test_replace_when_new_price_crosses_then_replaced_and_filled_under_new_cl_ord_id(system: System) -> None:
    resting(system, "C2", qty=10, price="99.50")

    replace(system, "C2-R", "C2", "10", "100.05")
    filled = system.client.wait_for(lambda m: m.get(11) == "C2-R" and m.get(39) == "2")

    assert (filled[150], filled[31], filled[44]) == ("F", "100.01", "100.05")


def test_replace_when_quantity_below_cum_then_replaced_and_filled(system: System) -> None:
    # C.3.b: reducing OrderQty to <= CumQty reports 150=5 39=2 with OrderQty = CumQty.
    system.client.send_order("C3", "AAPL", Side.BUY, Decimal(800), Decimal("100.01"))
    system.client.wait_for(lambda m: m.get(11) == "C3" and m.get(39) == "1")

    replace(system, "C3-R", "C3", "400", "100.01", symbol="AAPL")
    done = report(system, "C3-R", "5")

    assert (done[39], done[38], done[14], done[151]) == ("2", "500", "500", "0")


@pytest.mark.parametrize(
    ("qty", "side", "text"),
    [("6000", "1", "max order quantity"), ("10", "2", "cannot be replaced")],
)
def test_replace_when_refused_by_gateway_then_cancel_reject_434_2_and_order_unchanged(
    system: System, qty: str, side: str, text: str
) -> None:
    ack = resting(system, f"C4-{side}")

    replace(system, f"C4-{side}-R", f"C4-{side}", qty, "99.50", side=side)
    reject = cancel_reject(system, f"C4-{side}-R")

    assert (reject[434], reject[102], reject[39], reject[37]) == ("2", "2", "0", ack[37])
    assert text in reject[58]
    assert row(system, ack[37])["order_qty"] == Decimal(10)


# -- E: unsolicited cancel, done for day -------------------------------------------------------------------


def test_unsolicited_cancel_when_venue_cancels_then_client_told_canceled(system: System) -> None:
    ack = resting(system, "E1")

    assert system.venue.simulator.cancel_unsolicited(ack[37], "halted by the exchange")
    done = report(system, "E1", "4")

    assert (done[39], done[151]) == ("4", "0")
    assert 41 not in done
    assert "halted" in done[58]


def test_done_for_day_when_venue_closes_day_orders_then_39_3(system: System) -> None:
    ack = resting(system, "E2")

    assert system.venue.simulator.end_of_day() >= 1
    done = report(system, "E2", "3")

    assert (done[39], done[151]) == ("3", "0")
    assert row(system, ack[37])["status"] == "3"


# -- G: status ---------------------------------------------------------------------------------------


def test_status_when_order_known_then_150_i_with_current_state(system: System) -> None:
    system.client.send_order("G1", "AAPL", Side.BUY, Decimal(800), Decimal("100.01"))
    system.client.wait_for(lambda m: m.get(11) == "G1" and m.get(39) == "1")

    system.client.send_fields("H", [(11, "G1"), (55, "AAPL"), (54, "1")])
    status = report(system, "G1", "I")

    assert (status[39], status[14], status[151], status[6]) == ("1", "500", "300", "100.01")


def test_status_when_order_unknown_then_150_i_rejected(system: System) -> None:
    system.client.send_fields("H", [(11, "NOPE"), (55, "MSFT"), (54, "1")])
    status = report(system, "NOPE", "I")

    assert (status[39], status[37]) == ("8", "NONE")


# -- mass cancel ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("request_type", "symbol", "canceled"), [("7", None, {"MC-1", "MC-2"}), ("1", "IBM", {"MC-2"})]
)
def test_mass_cancel_when_scope_then_each_order_canceled_and_report(
    system: System, request_type: str, symbol: str | None, canceled: set[str]
) -> None:
    resting(system, "MC-1", symbol="MSFT")
    resting(system, "MC-2", symbol="IBM")

    fields = [(11, "MASS"), (530, request_type), (60, now())] + ([(55, symbol)] if symbol else [])
    system.client.send_fields("q", fields)
    answer = system.client.wait_for(lambda m: m.get(35) == "r")
    for cl_ord_id in canceled:
        report(system, cl_ord_id, "4")

    assert (answer[531], answer[533], answer[11]) == (request_type, str(len(canceled)), "MASS")
    still_working = {"MC-1", "MC-2"} - canceled
    statuses = {r["cl_ord_id"]: r["status"] for r in repository.load_orders(system.gateway.db)}
    assert {c for c in canceled if statuses[c] == "4"} == canceled
    assert all(statuses[c] == "0" for c in still_working)


def test_mass_cancel_when_type_unsupported_then_rejected_531_0(system: System) -> None:
    system.client.send_fields("q", [(11, "MASS-X"), (530, "6"), (60, now())])

    answer = system.client.wait_for(lambda m: m.get(35) == "r")

    assert (answer[531], answer[532]) == ("0", "0")


# -- operator cancel through the admin API ---------------------------------------------------------------


def test_operator_cancel_when_fixgw_cancel_then_client_gets_unsolicited_cancel(system: System, tmp_path: Path) -> None:
    ack = resting(system, "OP-1")
    settings = tmp_path / "fixgw.toml"
    settings.write_text(f'[admin]\ntoken_file = "{tmp_path / "admin.token"}"\n')

    command = [sys.executable, "-c", "from app.cli import main; main()", "cancel", ack[37], "--settings", str(settings)]

    result = subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=ROOT)
    done = report(system, "OP-1", "4")

    assert result.returncode == 0, result.stderr
    assert (done[39], done[37]) == ("4", ack[37])
    assert 41 not in done
    again = subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert again.returncode == 2
    assert "CANCELED" in again.stderr and "Traceback" not in again.stderr
