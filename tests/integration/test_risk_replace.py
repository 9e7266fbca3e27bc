"""A replace (35=G) that risk refuses, over real sessions: OrderCancelReject 434=2, and the order unchanged in the
book and at the venue. One case per check that can refuse a replace: the throttles (message and order rate, on a
held clock so that the window cannot pass), position, trading states, price band, credit, kill switch."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from app.risk_admin import set_limit, set_state
from domain.clock import TestClock
from domain.enums import Side
from risk.controls import Control
from tests.integration.conftest import System, make_config, start_system, stop_system
from tests.integration.test_lifecycle import cancel_reject, replace, report, resting, row
from tests.integration.test_risk_controls import wait_until

pytestmark = pytest.mark.integration


def limit(name: str, value: str | None, scope: str = "account", key: str = "ACCT1") -> Callable[[System], None]:
    def apply(system: System) -> None:
        body = {"scope": scope, "key": key, "name": name, "value": value, "who": "test", "reason": "replace test"}
        assert set_limit(system.gateway, body)[0] == 200

    return apply


def state(value: str, scope: str = "account") -> Callable[[System], None]:
    def apply(system: System) -> None:
        body = {"scope": scope, "key": "ACCT1", "state": value, "who": "test", "reason": "replace test"}
        assert set_state(system.gateway, body)[0] == 200

    return apply


def kill_switch(system: System) -> None:
    """The switch on without the cancel it sends: as after a restart (which restores it and cancels nothing again)
    or when the venue refused that cancel, the order still works."""
    control = Control(kind="kill", scope="account", key="ACCT1", value="on", who="test", reason="replace test", ts_ns=1)
    with system.gateway.bus.lock:
        system.gateway.controls.set(control)


def venue_mid(system: System) -> None:
    """Wait for the gateway's books to have MSFT's mid: the shipped band_reference ("mid_else_last") centres on it."""
    assert wait_until(lambda: system.gateway.quotes.mid("MSFT")[0] is not None), "no MSFT mid from the venue"


def message_throttle(system: System) -> None:
    limit("max_messages_per_second", "1", "session", "CLIENT1")(system)
    system.client.send_fields("H", [(11, "R-STATUS"), (55, "MSFT"), (54, "1")])  # the one message of the second
    report(system, "R-STATUS", "I")


def order_throttle(system: System) -> None:
    limit("max_orders_per_second", "1", "session", "CLIENT1")(system)
    system.client.send_order("R-OTHER", "IBM", Side.BUY, Decimal(1), Decimal("99.50"))  # the one order of the second
    report(system, "R-OTHER", "0")


CASES: dict[str, tuple[Callable[[System], None], str, str, str, str]] = {
    # case: (set up, new OrderQty, new Price, CxlRejReason (102), Text names)
    "message throttle": (
        message_throttle,
        "12",
        "99.50",
        "99",
        "message rate limit: 1 messages per second for session CLIENT1",
    ),
    "session order throttle": (
        order_throttle,
        "12",
        "99.50",
        "2",
        "order rate limit: 1 orders per second for session CLIENT1",
    ),
    "position": (limit("max_long_qty", "15"), "25", "99.50", "2", "max long position exceeded"),
    "reduce only": (state("reduce_only"), "12", "99.50", "2", "is reduce-only"),
    "halted": (state("halted", scope="global"), "12", "99.50", "2", "trading halted"),
    "price band": (
        venue_mid,
        "10",
        "120",
        "2",
        "price band: 120 outside the 10% band around mid 100.00 (90.00-110.00) for MSFT",  # 99.99 / 100.01 seeded
    ),
    "credit": (limit("credit_limit", "2000"), "25", "99.50", "2", "credit limit exceeded"),
    "kill switch": (kill_switch, "12", "99.50", "2", "kill switch on (account ACCT1) by test: replace test"),
}


@pytest.fixture
def held(tmp_path: Path) -> Iterator[System]:
    """A system whose gateway clock stands still: a one-second throttle window never passes by itself."""
    running = start_system(tmp_path, make_config(tmp_path), TestClock())
    yield running
    stop_system(running)


@pytest.mark.parametrize("case", list(CASES))
def test_replace_when_refused_by_risk_then_35_9_434_2_and_the_order_unchanged(held: System, case: str) -> None:
    setup, qty, price, reason, text = CASES[case]
    ack = resting(held, "R1")
    setup(held)

    replace(held, "R1-R", "R1", qty, price)
    reject = cancel_reject(held, "R1-R")

    assert (reject[434], reject[102], reject[39], reject[37], reject[41]) == ("2", reason, "0", ack[37], "R1")
    assert text in reject[58]
    assert not [m for m in held.client.reports_for("R1-R") if m.get(150) == "E"]  # never sent as pending
    assert held.gateway.journal.flush()
    book = row(held, ack[37])
    assert (book["order_qty"], book["price"], book["status"], book["cl_ord_id"], book["pending"]) == (
        Decimal(10),
        Decimal("99.50"),
        "0",
        "R1",
        None,
    )
    assert venue_order(held, ack[37]) == (Decimal(10), Decimal("99.50"))


def test_replace_when_refused_then_the_order_can_still_be_replaced_once_allowed(held: System) -> None:
    ack = resting(held, "R2")
    limit("max_long_qty", "15")(held)
    replace(held, "R2-R", "R2", "25", "99.50")
    cancel_reject(held, "R2-R")

    limit("max_long_qty", None)(held)
    replace(held, "R2-S", "R2", "25", "99.50")  # OrigClOrdID is still R2: the refused request never took over
    done = report(held, "R2-S", "5")

    assert (done[38], done[41], done[37]) == ("25", "R2", ack[37])


def venue_order(system: System, order_id: str) -> tuple[Any, Any]:
    """OrderQty and price of the order as it rests on the venue simulator's book."""
    book = system.venue.simulator.engine.book("MSFT")
    [found] = [o for level in book.bids.levels.values() for o in level if o.cl_ord_id == order_id]
    return found.leaves_qty, found.price


def test_replace_when_order_partly_filled_then_only_its_new_leaves_count_against_the_position_limit(
    system: System,
) -> None:
    system.client.send_order("R3", "MSFT", Side.BUY, Decimal(800), Decimal("100.01"))
    partial = system.client.wait_for(lambda m: m.get(11) == "R3" and m.get(39) == "1")  # 500 filled, 300 rest
    limit("max_long_qty", "800")(system)  # long 500 + 300 working: at the limit, not over it

    replace(system, "R3-R", "R3", "800", "100.00")  # a price-only amend: still 800 long once it all fills
    done = report(system, "R3-R", "5")

    assert (partial[14], partial[151]) == ("500", "300")
    assert (done[38], done[14], done[151], done[44], done[37]) == ("800", "500", "300", "100", partial[37])
