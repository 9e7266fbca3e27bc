"""The dashboard as an operator uses it, in a real headless Chromium (Debian's): venue simulator and gateway running,
the demo's orders sent by a FIX client, ``fixgw dashboard`` as a process of its own, the page logged into with the
admin token. Each test saves a screenshot of what it saw under its own temporary directory."""

from __future__ import annotations

import json
import tomllib
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from app.bench.runner import Process
from app.demo import STEPS
from domain.enums import Side
from tests.conftest import CHROMIUM, ROOT
from tests.integration.conftest import System, free_port, make_config, start_system, stop_system
from tests.integration.test_cli import FIXGW, fixgw
from tests.integration.test_risk_controls import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.browser]
D = Decimal


@dataclass
class Deployment:
    system: System
    settings: Path
    url: str
    browser: Any  # playwright.sync_api.Browser (imported only where a browser runs)
    dashboard: Process

    def token(self) -> str:
        return self.system.gateway.config.admin_token_path().read_text().split()[1]


@dataclass
class Watched:
    """A logged-in page and every error it reported (console errors, uncaught exceptions, failed requests)."""

    page: Any
    errors: list[str] = field(default_factory=list)


def _settings(work: Path) -> Path:
    """The settings ``make_config`` gives the gateway, as a file for the CLI and the dashboard."""
    data = tomllib.loads((ROOT / "fixgw.toml").read_text())
    data["database"] = {"url": f"sqlite:///{work / 'book.db'}"}
    data["admin"] = {"listen": "127.0.0.1:0", "token_file": str(work / "admin.token")}
    path = work / "fixgw.toml"
    path.write_text(tomli_w.dumps(data))
    return path


def _run_demo_orders(system: System) -> None:
    for step in STEPS:
        price = D(step.price) if step.price else None
        system.client.send_order(step.cl_ord_id, step.symbol, step.side, D(step.qty), price)
        system.client.wait_for(lambda m, s=step: m.get(11) == s.cl_ord_id and m.get(39) == s.expect.value)


def _serving(url: str, dashboard: Process) -> bool:
    dashboard.check_alive()
    try:
        with urllib.request.urlopen(f"{url}/login", timeout=2) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    from playwright.sync_api import sync_playwright

    work = tmp_path_factory.mktemp("dashboard")
    system = start_system(work, make_config(work))
    settings = _settings(work)
    port = free_port()
    dashboard = Process("dashboard", [*FIXGW, "dashboard", "--listen", f"127.0.0.1:{port}", "-s", str(settings)], work)
    playwright = sync_playwright().start()
    try:
        _run_demo_orders(system)
        url = f"http://127.0.0.1:{port}"
        assert wait_until(lambda: _serving(url, dashboard), timeout=60), "the dashboard never served its login page"
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM))
        yield Deployment(system, settings, url, browser, dashboard)
        browser.close()
    finally:
        playwright.stop()
        dashboard.stop()
        stop_system(system)


@pytest.fixture
def watched(deployment: Deployment, tmp_path: Path) -> Iterator[Watched]:
    """A fresh browser context, logged in; its screenshot is saved after the test, whatever the outcome."""
    context = deployment.browser.new_context(viewport={"width": 1400, "height": 1800})
    page = context.new_page()
    seen = Watched(page)
    page.on("console", lambda m: seen.errors.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: seen.errors.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: seen.errors.append(f"request failed: {r.url} {r.failure}"))
    page.goto(f"{deployment.url}/")
    assert page.url.endswith("/login")
    page.fill("#token", deployment.token())
    page.click("button[type=submit]")
    page.wait_for_selector("#connection.up")
    yield seen
    page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
    context.close()


def _text(page: Any, selector: str) -> str:
    element = page.query_selector(selector)
    return "" if element is None else str(element.text_content()).strip()


def _confirm(page: Any, reason: str) -> None:
    page.wait_for_selector("#confirm[open]")
    page.fill("#confirm-reason", reason)
    page.click("#confirm-ok")


def test_page_when_demo_ran_then_orders_positions_denials_and_venue_shown(
    deployment: Deployment, watched: Watched
) -> None:
    page = watched.page

    for step in STEPS:
        row = f'#orders tr[data-cl-ord-id="{step.cl_ord_id}"]'
        page.wait_for_selector(f"{row} [data-field=status]:text-is('{step.expect.name}')")
    positions = json.loads(fixgw("positions", "--json", "-s", str(deployment.settings)).stdout)
    assert positions, "fixgw positions shows nothing"
    for p in positions:
        row = f'#positions tr[data-key="{p["account"]} {p["symbol"]}"]'
        for name in ("qty", "avg_cost", "realized_pnl", "unrealized_pnl"):
            cell = f"{row} [data-field={name}]"
            assert wait_until(lambda c=cell, n=name, p=p: _text(page, c) and D(_text(page, c)) == D(p[n])), (
                f"{p['symbol']} {name}: page {_text(page, cell)!r}, fixgw positions {p[name]!r}"
            )
    total = sum(D(p["realized_pnl"]) + D(p["unrealized_pnl"]) for p in positions)
    assert D(_text(page, '#account-pnl tr[data-key="ACCT1"] [data-field=total_pnl]')) == total
    denials = {"max_order_qty": "1", "max_notional": "1", "unknown_symbol": "1"}
    for check, count in denials.items():
        page.wait_for_selector(f'#denials tr[data-key="{check}"] [data-field=count]:text-is("{count}")')
    assert page.locator("#denials tbody tr").count() == len(denials)
    assert _text(page, '#venues tr[data-key="VENUE"] [data-field=state]') == "logged on"
    assert _text(page, '#sessions tr[data-key="FIX.4.4:FIXGW->VENUE"] [data-field=state]') == "logged on"
    page.wait_for_selector("#hops tbody tr")
    assert watched.errors == []


def test_page_when_demo_ran_then_the_tca_panel_agrees_with_fixgw_tca(deployment: Deployment, watched: Watched) -> None:
    page = watched.page

    report = json.loads(fixgw("tca", "--json", "-s", str(deployment.settings)).stdout)

    assert report["venues"], "fixgw tca scored nothing"
    for venue in report["venues"]:  # what does not move with time (markouts fill in as the mid series grows)
        for name in ("orders", "reject_rate", "fill_ratio", "slippage_bps", "is_bps"):
            cell = f'#tca tr[data-key="{venue["venue"]}"] [data-field={name}]'
            page.wait_for_selector(f'{cell}:text-is("{venue[name] if venue[name] is not None else ""}")')
    assert watched.errors == []


def test_page_when_a_new_order_arrives_then_it_shows_within_one_second(
    deployment: Deployment, watched: Watched
) -> None:
    page = watched.page
    page.wait_for_selector('#orders tr[data-cl-ord-id="DEMO-1"]')

    deployment.system.client.send_order("LIVE-1", "MSFT", Side.BUY, D(10), D("99.50"))

    page.wait_for_selector('#orders tr[data-cl-ord-id="LIVE-1"]', timeout=1000)
    page.wait_for_selector('#orders tr[data-cl-ord-id="LIVE-1"] [data-field=status]:text-is("NEW")')
    assert page.locator("#orders tbody tr").first.get_attribute("data-cl-ord-id") == "LIVE-1"  # newest first
    assert watched.errors == []


def test_cancel_when_confirmed_with_a_reason_then_the_order_is_canceled(
    deployment: Deployment, watched: Watched
) -> None:
    page = watched.page
    deployment.system.client.send_order("LIVE-2", "MSFT", Side.BUY, D(10), D("99.40"))
    button = '#orders tr[data-cl-ord-id="LIVE-2"] button.cancel'
    page.wait_for_selector(button)

    page.click(button)
    page.wait_for_selector("#confirm[open]")
    page.click("#confirm button[value=cancel]")  # thought better of it: nothing is sent
    page.click(button)
    _confirm(page, "stale quote")

    page.wait_for_selector('#orders tr[data-cl-ord-id="LIVE-2"] [data-field=status]:text-is("CANCELED")')
    report = deployment.system.client.wait_for(lambda m: m.get(11) == "LIVE-2" and m.get(39) == "4")
    assert report.get(150) == "4"
    assert watched.errors == []


def test_kill_switch_when_turned_on_from_the_page_then_fixgw_risk_show_has_it(
    deployment: Deployment, watched: Watched
) -> None:
    page = watched.page

    page.click("#kill-on")
    _confirm(page, "browser test: runaway algo")
    page.wait_for_selector("#control-result.ok")

    shown = json.loads(fixgw("risk", "show", "--json", "-s", str(deployment.settings)).stdout)
    [kill] = [c for c in shown["controls"] if c["kind"] == "kill"]
    assert (kill["scope"], kill["value"], kill["reason"]) == ("global", "on", "browser test: runaway algo")
    assert kill["who"].startswith("dashboard:")
    assert shown["audit"][-1]["who"] == kill["who"]  # audited as the CLI's changes are
    page.wait_for_selector('#controls tr[data-key="kill global "] [data-field=value]:text-is("on")')

    page.click("#kill-off")
    _confirm(page, "browser test: done")
    page.wait_for_selector("#controls tr.empty")
    after = json.loads(fixgw("risk", "show", "--json", "-s", str(deployment.settings)).stdout)
    assert [c for c in after["controls"] if c["kind"] == "kill"] == []
    assert watched.errors == []


def test_page_when_not_logged_in_then_nothing_shown_and_controls_refused(
    deployment: Deployment, tmp_path: Path
) -> None:
    context = deployment.browser.new_context()
    page = context.new_page()

    page.goto(f"{deployment.url}/")
    page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
    body = page.content()
    state = context.request.get(f"{deployment.url}/api/state")
    stream = context.request.get(f"{deployment.url}/api/stream")
    kill = context.request.post(
        f"{deployment.url}/api/kill", data={"scope": "global", "on": True, "reason": "no login"}
    )
    page.fill("#token", "not-the-token")
    page.click("button[type=submit]")

    assert page.url.endswith("/login") and "DEMO-1" not in body and "ACCT1" not in body
    assert (state.status, stream.status, kill.status) == (401, 401, 401)
    assert "DEMO" not in state.text()
    assert page.is_visible("#login-error")
    shown = json.loads(fixgw("risk", "show", "--json", "-s", str(deployment.settings)).stdout)
    assert [c for c in shown["controls"] if c["kind"] == "kill"] == []
    context.close()


def test_dashboard_when_settings_missing_then_one_line_error(tmp_path: Path) -> None:
    result = fixgw("dashboard", "-s", str(tmp_path / "nope.toml"))

    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().startswith("fixgw: error: cannot read settings file")


def test_dashboard_when_port_taken_then_one_line_error(deployment: Deployment) -> None:
    taken = deployment.url.rpartition(":")[2]

    result = fixgw("dashboard", "--listen", f"127.0.0.1:{taken}", "-s", str(deployment.settings))

    assert result.returncode == 2 and "cannot listen on" in result.stderr and "Traceback" not in result.stderr
