"""Risk controls on a running gateway: kill switch from the CLI, cancel-on-disconnect, controls across restarts."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from app.config import ClientConfig
from app.gateway import Gateway
from app.risk_admin import kill
from domain.enums import OrdStatus, Side, TimeInForce
from domain.ids import OrderId
from oms.store import repository
from tests.conftest import ROOT
from tests.integration.conftest import System, make_config, start_system, stop_system

pytestmark = pytest.mark.integration


def fixgw(settings: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", "from app.cli import main; main()", *args, "--settings", str(settings)]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=ROOT, check=False)


def settings_for(system: System, tmp_path: Path) -> Path:
    path = tmp_path / "cli.toml"
    path.write_text(f'[admin]\ntoken_file = "{system.work / "admin.token"}"\n')
    return path


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    """Wait for a condition that no message announces to this process (it happens between gateway and venue)."""
    deadline = time.monotonic() + timeout
    ready = threading.Event()
    while not condition():
        if time.monotonic() > deadline:
            return False
        ready.wait(0.01)
    return True


def resting(system: System, cl_ord_id: str) -> str:
    system.client.send_order(cl_ord_id, "MSFT", Side.BUY, Decimal(10), Decimal("99.50"))
    return system.client.wait_for(lambda m: m.get(11) == cl_ord_id and m.get(150) == "0")[37]


def kill_flow(system: System, tmp_path: Path, scope: list[str], reason: str, prefix: str) -> dict[str, Any]:
    """Rest an order, kill switch on for ``scope``, send one, off, send another: what each step answered."""
    settings = settings_for(system, tmp_path)
    order_id = resting(system, f"{prefix}1")
    on = fixgw(settings, "kill", "on", *scope, "--reason", reason)
    canceled = system.client.wait_for(lambda m: m.get(11) == f"{prefix}1" and m.get(150) == "4")
    system.client.send_order(f"{prefix}2", "MSFT", Side.BUY, Decimal(1), Decimal("99.50"))
    denied = system.client.wait_for(lambda m: m.get(11) == f"{prefix}2" and m.get(150) == "8")
    off = fixgw(settings, "kill", "off", *scope, "--reason", "fixed")
    system.client.send_order(f"{prefix}3", "MSFT", Side.BUY, Decimal(1), Decimal("99.50"))
    accepted = system.client.wait_for(lambda m: m.get(11) == f"{prefix}3" and m.get(150) in ("0", "8"))
    assert on.returncode == 0 and off.returncode == 0, on.stderr + off.stderr
    assert canceled[37] == order_id
    assert accepted[150] == "0"
    return {"denied": denied, "audit": repository.load_risk_audit(system.gateway.db)}


def test_kill_switch_when_on_then_working_orders_canceled_new_ones_denied_and_off_restores(
    system: System, tmp_path: Path
) -> None:
    seen = kill_flow(system, tmp_path, ["--account", "ACCT1"], "runaway algo", "K")

    assert "kill switch" in seen["denied"][58] and "runaway algo" in seen["denied"][58]
    assert [(a["kind"], a["value"], a["reason"]) for a in seen["audit"]] == [
        ("kill", "on", "runaway algo"),
        ("kill", "off", "fixed"),
    ]


def test_kill_switch_when_session_scope_then_that_sessions_orders_canceled_and_new_ones_denied(
    system: System, tmp_path: Path
) -> None:
    seen = kill_flow(system, tmp_path, ["--session", "CLIENT1"], "session runaway", "KS")

    denied = seen["denied"]
    assert denied[103] == "0" and denied[58].startswith("kill switch on (session CLIENT1) by ")
    assert denied[58].endswith(": session runaway")
    assert [(a["kind"], a["scope"], a["key"], a["value"]) for a in seen["audit"]] == [
        ("kill", "session", "CLIENT1", "on"),
        ("kill", "session", "CLIENT1", "off"),
    ]


def test_risk_set_when_limit_lowered_live_then_next_order_denied_by_it(system: System, tmp_path: Path) -> None:
    settings = settings_for(system, tmp_path)

    result = fixgw(settings, "risk", "set", "max_order_qty", "5", "--account", "ACCT1", "--reason", "test")
    system.client.send_order("L1", "MSFT", Side.BUY, Decimal(6), Decimal("99.50"))
    denied = system.client.wait_for(lambda m: m.get(11) == "L1" and m.get(150) == "8")
    bad = fixgw(settings, "risk", "set", "max_order_qty", "0", "--reason", "test")

    assert result.returncode == 0, result.stderr
    assert "limit 5" in denied[58]
    assert bad.returncode == 2 and "greater than 0" in bad.stderr


def test_controls_when_gateway_restarts_then_kill_switch_still_on(tmp_path: Path) -> None:
    system = start_system(tmp_path, make_config(tmp_path))
    try:
        assert fixgw(settings_for(system, tmp_path), "kill", "on", "--reason", "incident").returncode == 0
        assert system.gateway.journal.flush()
    finally:
        stop_system(system)

    restarted = Gateway(make_config(tmp_path), system.gateway_sessions)
    try:
        kill = restarted.controls.kill_switch("ACCT1", "CLIENT1")
        assert kill is not None and kill.reason == "incident"
    finally:
        restarted.stop()


def test_cancel_on_disconnect_when_client_drops_then_its_working_day_orders_canceled_gtc_kept(
    tmp_path: Path,
) -> None:
    config = make_config(tmp_path)
    clients = {"CLIENT1": ClientConfig(accounts=["ACCT1"], cancel_on_disconnect=True)}
    system = start_system(tmp_path, config.model_copy(update={"clients": clients}))
    try:
        order_id = resting(system, "COD-1")
        system.client.send_order(
            "COD-GTC", "MSFT", Side.BUY, Decimal(10), Decimal("99.40"), tif=TimeInForce.GOOD_TILL_CANCEL
        )
        gtc_id = system.client.wait_for(lambda m: m.get(11) == "COD-GTC" and m.get(150) == "0")[37]
        system.client.stop()
        order = system.gateway.oms.book.by_id[order_id]  # type: ignore[index]

        assert wait_until(lambda: order.status is OrdStatus.CANCELED)
        assert system.gateway.journal.flush()
        rows = {r["order_id"]: r for r in repository.load_orders(system.gateway.db)}
        assert (rows[order_id]["status"], rows[gtc_id]["status"]) == ("4", "0")
        book = system.venue.simulator.engine.book("MSFT")
        resting_ids = {o.cl_ord_id for level in book.bids.levels.values() for o in level}
        assert order_id not in resting_ids and gtc_id in resting_ids
    finally:
        system.gateway.stop()
        system.venue.stop()


class HeldVenue:
    """Holds the venue simulator's handling of each message until released: an order stays unacked (39=A)."""

    def __init__(self, system: System, monkeypatch: pytest.MonkeyPatch) -> None:
        self.released = threading.Event()
        simulator = system.venue.simulator
        execute = simulator.execute

        def held(command: object) -> None:
            self.released.wait(10)
            execute(command)  # type: ignore[arg-type]

        monkeypatch.setattr(simulator, "execute", held)


def test_kill_switch_when_order_not_acked_yet_then_canceled_once_the_venue_acks(
    system: System, monkeypatch: pytest.MonkeyPatch
) -> None:
    venue = HeldVenue(system, monkeypatch)
    system.client.send_order("KF1", "MSFT", Side.BUY, Decimal(10), Decimal("99.50"))
    book = system.gateway.oms.book
    assert wait_until(lambda: any(o.cl_ord_id == "KF1" and o.venue for o in book.by_id.values()))
    [order] = [o for o in book.by_id.values() if o.cl_ord_id == "KF1"]
    assert order.status is OrdStatus.PENDING_NEW  # at the venue, not acked

    status, _ = kill(system.gateway, {"scope": "session", "key": "CLIENT1", "who": "ops", "reason": "in flight"})
    venue.released.set()
    acked = system.client.wait_for(lambda m: m.get(11) == "KF1" and m.get(150) == "0")
    canceled = system.client.wait_for(lambda m: m.get(11) == "KF1" and m.get(150) == "4")

    assert status == 200
    assert acked[37] == canceled[37] == order.order_id
    assert wait_until(lambda: order.status is OrdStatus.CANCELED)
    venue_book = system.venue.simulator.engine.book("MSFT")
    assert not any(o.cl_ord_id == OrderId(order.order_id) for level in venue_book.bids.levels.values() for o in level)
