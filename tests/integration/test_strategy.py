"""The market maker over real sessions (issue 17): venue simulator, gateway and a FIX client on loopback; the
strategy MM1 quotes through the whole order path as the internal client session STRATEGY:MM1."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from app.config import GatewayConfig, SimulatorConfig
from domain.channels import OMS_EXECUTE
from domain.commands import SubmitOrder
from domain.enums import OrdStatus, OrdType, Side
from domain.ids import Account, ClOrdId, SessionKey, Symbol
from oms.store import repository
from strategy.config import MarketMakerConfig
from tests.integration.conftest import System, make_config, start_system, stop_system
from tests.integration.test_risk_controls import fixgw, settings_for, wait_until

pytestmark = pytest.mark.integration
D = Decimal
SESSION = "STRATEGY:MM1"
WORKING = {OrdStatus.NEW.value, OrdStatus.PARTIALLY_FILLED.value, OrdStatus.PENDING_NEW.value}


def strategy_config(work: Path, **overrides: Any) -> GatewayConfig:
    """The shipped settings, a thin seeded book (3 levels of 100 a side) and MM1 quoting MSFT, started with the
    gateway."""
    config = make_config(work)
    fields: dict[str, Any] = {
        "kind": "market_maker",
        "account": "MM1",
        "symbol": "MSFT",
        "size": "100",
        "half_spread_ticks": 2,
        "skew_ticks_per_lot": "1",
        "max_inventory": "300",
        "enabled": True,
    }
    symbols = {symbol: D("100.00") for symbol in ("MSFT", "AAPL", "IBM")}
    simulator = SimulatorConfig(tick=D("0.01"), depth=3, level_qty=D(100), symbols=symbols)
    return config.model_copy(
        update={"strategies": {"MM1": MarketMakerConfig(**(fields | overrides))}, "simulator": simulator}
    )


@pytest.fixture
def system(tmp_path: Path) -> Iterator[System]:
    running = start_system(tmp_path, strategy_config(tmp_path))
    yield running
    stop_system(running)


def status(system: System) -> dict[str, Any]:
    return system.gateway.strategies.status("MM1")


def quoting(system: System) -> bool:
    quotes = status(system).get("quotes") or {}
    return all(q is not None and q["status"] == "working" for q in quotes.values()) and len(quotes) == 2


def mm_orders(system: System) -> list[dict[str, Any]]:
    assert system.gateway.journal.flush()
    return [o for o in repository.load_orders(system.gateway.db) if o["session"] == SESSION]


def test_market_maker_quotes_both_sides_through_risk_into_the_book_under_its_session_and_account(
    system: System,
) -> None:
    assert wait_until(lambda: quoting(system)), status(system)
    working = [o for o in mm_orders(system) if o["status"] in WORKING]
    assert sorted((Side(o["side"]).name, o["price"]) for o in working) == [("BUY", D("99.98")), ("SELL", D("100.02"))]
    assert {(o["account"], o["venue"]) for o in working} == {("MM1", "VENUE")}  # routed: risk let them through
    # the venue has them: the gateway's consolidated book shows them at their levels
    bids, asks = system.gateway.market.books.depth("MSFT", 0)
    assert (D("99.98"), D(200)) in bids and (D("100.02"), D(200)) in asks


def test_market_maker_when_filled_then_skews_and_its_positions_and_pnl_agree_with_its_fills(system: System) -> None:
    assert wait_until(lambda: quoting(system)), status(system)
    # a client sells through the house's 99.99 and 99.98 into the maker's bid at 99.98
    system.client.send_order("HIT-BID", "MSFT", Side.SELL, D(300), D("99.98"))
    system.client.wait_for(lambda m: m.get(11) == "HIT-BID" and m.get(39) == "2")
    assert wait_until(lambda: status(system)["inventory"] == "100" and quoting(system)), status(system)
    # q = +100: r = mid 99.99 - 1 tick; quotes 99.96 / 100.00 (the offer improves the market)
    shown = status(system)
    assert (shown["quotes"]["buy"]["price"], shown["quotes"]["sell"]["price"]) == ("99.96", "100.00")
    # a client buys the maker's offer
    system.client.send_order("LIFT-ASK", "MSFT", Side.BUY, D(100), D("100.00"))
    system.client.wait_for(lambda m: m.get(11) == "LIFT-ASK" and m.get(39) == "2")
    assert wait_until(lambda: status(system)["inventory"] == "0"), status(system)
    fills = [e for o in mm_orders(system) for e in repository.load_executions(system.gateway.db, o["order_id"])]
    bought = sum(e["last_qty"] for e in fills if e["side"] == Side.BUY.value)
    sold = sum(e["last_qty"] for e in fills if e["side"] == Side.SELL.value)
    cash = sum(e["last_qty"] * e["last_px"] * (1 if e["side"] == Side.SELL.value else -1) for e in fills)
    position = next(p for p in repository.load_positions(system.gateway.db) if p["account"] == "MM1")
    shown = status(system)
    assert (bought, sold) == (D(100), D(100)) and position["qty"] == 0
    assert D(shown["realized_pnl"]) == position["realized_pnl"] == cash == D("2.00")  # sold 100.00, bought 99.98


def test_market_maker_when_kill_switch_on_then_quotes_canceled_within_1s_at_most_3_denied_and_off_resumes(
    system: System, tmp_path: Path
) -> None:
    killed = kill_and_resume(system, tmp_path)

    assert killed["canceled_in"] < 1.0 and len(killed["denied"]) <= 3, killed
    assert status(system)["idle"] is None and status(system)["runner"] == "running"


def kill_and_resume(system: System, tmp_path: Path) -> dict[str, Any]:
    """``fixgw kill on --account MM1`` while it quotes: how long until none of its orders works, what it sent
    while killed (and which of those were refused); then ``kill off`` and wait for it to quote again."""
    settings = settings_for(system, tmp_path)
    assert wait_until(lambda: quoting(system)), status(system)
    before = {o["order_id"] for o in mm_orders(system)}
    on = fixgw(settings, "kill", "on", "--account", "MM1", "--reason", "strategy test")
    killed = time.monotonic()
    assert on.returncode == 0, on.stderr
    assert wait_until(lambda: not any(o["status"] in WORKING for o in mm_orders(system)), timeout=1.0)
    canceled_in = time.monotonic() - killed
    assert wait_until(lambda: status(system)["state"] == "idle"), status(system)
    assert wait_until(lambda: all(q is None for q in status(system)["quotes"].values())), status(system)
    threading.Event().wait(0.5)  # the market may move while it is idle: still nothing is sent
    during = {o["order_id"]: o for o in mm_orders(system) if o["order_id"] not in before}
    off = fixgw(settings, "kill", "off", "--account", "MM1", "--reason", "done")
    assert off.returncode == 0, off.stderr
    assert wait_until(lambda: quoting(system)), status(system)
    denied = [o for o in during.values() if o["status"] == OrdStatus.REJECTED.value]
    return {"canceled_in": canceled_in, "denied": denied, "during": set(during)}


def test_strategy_cli_list_show_stop_start(system: System, tmp_path: Path) -> None:
    settings = settings_for(system, tmp_path)
    assert wait_until(lambda: quoting(system)), status(system)

    listed = fixgw(settings, "strategy", "list")
    shown = fixgw(settings, "strategy", "show", "MM1", "--json")
    stopped = fixgw(settings, "strategy", "stop", "MM1")
    no_quotes = not any(o["status"] in WORKING for o in mm_orders(system))
    again = fixgw(settings, "strategy", "stop", "MM1")
    started = fixgw(settings, "strategy", "start", "MM1")
    unknown = fixgw(settings, "strategy", "show", "NOPE")

    assert listed.returncode == 0 and "MM1" in listed.stdout and "running" in listed.stdout, listed.stderr
    assert shown.returncode == 0 and '"state": "quoting"' in shown.stdout and '"conflated"' in shown.stdout
    assert stopped.returncode == 0 and "stopped" in stopped.stdout, stopped.stderr
    assert no_quotes
    assert again.returncode == 2 and "is not running" in again.stderr
    assert started.returncode == 0, started.stderr
    assert wait_until(lambda: quoting(system)), status(system)
    assert unknown.returncode == 2 and "no strategy 'NOPE'" in unknown.stderr


def test_market_maker_when_started_then_what_an_earlier_run_left_working_is_canceled(tmp_path: Path) -> None:
    system = start_system(tmp_path, strategy_config(tmp_path, enabled=False))
    try:
        leftover = SubmitOrder(
            session=SessionKey(SESSION),
            cl_ord_id=ClOrdId("MM1-earlier-1"),
            account=Account("MM1"),
            symbol=Symbol("MSFT"),
            side=Side.BUY,
            ord_type=OrdType.LIMIT,
            order_qty=D(100),
            price=D("99.90"),
            ts_received_ns=system.gateway.clock.now_ns(),
        )
        system.gateway.bus.post(OMS_EXECUTE, leftover)  # as a run that crashed would have left it
        assert wait_until(lambda: [o["status"] for o in mm_orders(system)] == [OrdStatus.NEW.value])
        assert status(system)["runner"] == "stopped"  # enabled = false: not started with the gateway

        system.gateway.strategies.start("MM1")

        assert wait_until(lambda: quoting(system)), status(system)
        assert wait_until(lambda: _by_cl_ord_id(system)["MM1-earlier-1"] == OrdStatus.CANCELED.value)
        assert status(system)["fills"] == 0
    finally:
        stop_system(system)


def _by_cl_ord_id(system: System) -> dict[str, str]:
    return {o["cl_ord_id"]: o["status"] for o in mm_orders(system)}
