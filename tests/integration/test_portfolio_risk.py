"""Portfolio risk over real sessions: the gateway marks ACCT1's position to the mid its market data session brings
from the venue simulator; orders that would take the gross, the net or the VaR past its limit are refused with a
Text naming the limit, the value now and the value the order would reach; a risk-reducing order goes while the
account is over the VaR limit; and a move of the venue's book that takes the VaR past its limit halts the account
and cancels its working orders."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from app.config import ClientConfig
from app.risk_admin import portfolio, set_limit
from domain.enums import Side
from matching.house import HouseLadder
from oms.store import repository
from risk.var import VarSettings
from tests.integration.conftest import System, make_config, start_system, stop_system
from tests.integration.test_cli import fixgw
from tests.integration.test_lifecycle import report
from tests.integration.test_risk_controls import settings_for, wait_until

pytestmark = pytest.mark.integration
D = Decimal
VAR = VarSettings(interval_ms=100, min_samples=1_000_000, fallback_vol=0.02)
"""A sample every 100 ms; no symbol reaches min_samples in a test, so every one is at 2 % a day (VaR = z x 0.02 x
|net| with the fallback correlation of 1)."""


@pytest.fixture
def portfolio_system(tmp_path: Path) -> Iterator[System]:
    config = make_config(tmp_path)
    risk = config.risk.model_copy(update={"on_breach": ("halt", "cancel_working"), "var": VAR})
    running = start_system(tmp_path, config.model_copy(update={"risk": risk}))
    yield running
    stop_system(running)


def limit(system: System, name: str, value: str | None) -> None:
    body = {"scope": "account", "key": "ACCT1", "name": name, "value": value, "who": "ops", "reason": "test"}
    assert set_limit(system.gateway, body)[0] == 200


def denied(system: System, cl_ord_id: str, side: Side, qty: int, price: str) -> str:
    system.client.send_order(cl_ord_id, "MSFT", side, D(qty), D(price))
    rejected = report(system, cl_ord_id, "8")
    assert rejected[103] == "3"
    return str(rejected[58])


def msft_mark(system: System) -> Decimal | None:
    market = system.gateway.risk.portfolio.markets.get("MSFT")
    return market.mark if market is not None and market.from_mid else None


def var_text(value: Decimal) -> str:
    return f"{float(value) * 0.02 * VAR.z:.2f}"


def test_portfolio_limits_over_real_sessions_deny_let_risk_reducing_orders_go_and_act_on_a_mark_move(
    portfolio_system: System,
) -> None:
    system = portfolio_system
    assert wait_until(lambda: msft_mark(system) == D("100.00")), msft_mark(system)  # the seeded book's mid
    system.client.send_order("PB1", "MSFT", Side.BUY, D(1000), D("100.05"))  # takes 100.01 and 100.02
    report(system, "PB1", "F")
    assert wait_until(lambda: msft_mark(system) == D("100.01")), msft_mark(system)  # 99.99 / 100.03
    value = 1000 * D("100.01")

    limit(system, "max_gross_exposure", "150000")
    gross = denied(system, "PG1", Side.BUY, 600, "100.05")
    limit(system, "max_gross_exposure", None)
    limit(system, "max_net_exposure", "120000")
    net = denied(system, "PN1", Side.BUY, 300, "100.05")
    limit(system, "max_net_exposure", None)
    limit(system, "max_var", "5000")
    var = denied(system, "PV1", Side.BUY, 100, "100.05")

    assert gross == (
        "max gross exposure exceeded: gross exposure 100010.00 now, 160016.00 with this BUY 600 MSFT "
        "> limit 150000 (account ACCT1)"
    )
    assert net == (
        "max net exposure exceeded: net exposure 100010.00 now, 130013.00 with this BUY 300 MSFT "
        "beyond ±120000 (account ACCT1)"
    )
    assert var == (
        f"max VaR exceeded: 1-day VaR {var_text(value)} now, {var_text(value * D('1.1'))} with this BUY 100 MSFT "
        "> limit 5000 (account ACCT1)"
    )

    limit(system, "max_var", "4000")  # the account is now over its VaR limit (4653.16)
    assert "max VaR exceeded" in denied(system, "PV2", Side.BUY, 1, "100.05")
    system.client.send_order("PV3", "MSFT", Side.SELL, D(100), D("109.00"))  # lowers the VaR: goes, and rests
    working = report(system, "PV3", "0")
    answer = portfolio(system.gateway, {"account": "ACCT1"})[1]
    assert (answer["gross"], answer["var"]) == (value, float(var_text(value)))
    assert [(s["symbol"], s["qty"], s["mark_source"]) for s in answer["symbols"]] == [("MSFT", D(1000), "mid")]

    limit(system, "max_var", "4800")  # within again, until the market moves
    simulator = system.venue.simulator
    with simulator.locked():  # the venue's book moves up 5 %: its house ladder around 105.00
        HouseLadder(simulator.engine.book("MSFT"), D("0.01"), 5, D(500)).move_to(D("105.00"))
        simulator.publish_market_data()
    canceled = report(system, "PV3", "4")

    state, control = system.gateway.risk.controls.state("ACCT1")
    assert (state.value, msft_mark(system)) == ("halted", D("105.00"))
    assert control is not None and control.reason == f"post-trade breach: 1-day VaR {var_text(D(105_000))} > 4800"
    assert canceled[37] == working[37]
    assert system.gateway.journal.flush()
    audit = [(a["kind"], a["value"].split(":")[0], a["who"]) for a in repository.load_risk_audit(system.gateway.db)]
    assert audit[-2:] == [("state", "halted", "risk"), ("action", "cancel_working", "risk")]


def test_cli_when_a_position_is_held_then_risk_show_and_risk_portfolio_print_the_portfolio(
    portfolio_system: System, tmp_path: Path
) -> None:
    system = portfolio_system
    assert wait_until(lambda: msft_mark(system) == D("100.00")), msft_mark(system)
    system.client.send_order("PC1", "MSFT", Side.BUY, D(500), D("100.05"))  # takes 100.01: 99.99 / 100.02
    report(system, "PC1", "F")
    assert wait_until(lambda: msft_mark(system) == D("100.005")), msft_mark(system)
    limit(system, "max_gross_exposure", "100000")
    settings = settings_for(system, tmp_path)

    shown = fixgw("risk", "show", "--settings", str(settings))
    by_symbol = fixgw("risk", "portfolio", "--account", "ACCT1", "--json", "--settings", str(settings))
    firm = fixgw("risk", "portfolio", "--settings", str(settings))
    unknown = fixgw("risk", "portfolio", "--account", "NOBODY", "--settings", str(settings))

    assert shown.returncode == 0, shown.stderr
    assert "Portfolio (1-day VaR at 99%, z = 2.3263" in shown.stdout
    assert "50002.500 / 100000 (50.0%)" in shown.stdout  # gross / its limit (use)
    assert by_symbol.returncode == 0, by_symbol.stderr
    answer = json.loads(by_symbol.stdout)
    [row] = answer["symbols"]
    assert (row["symbol"], row["qty"], row["mark"], row["mark_source"]) == ("MSFT", "500", "100.005", "mid")
    assert row["component_var"] == row["standalone_var"] == answer["var"] == float(var_text(D("50002.5")))
    assert firm.returncode == 0 and "Portfolio of firm: gross 50002.500" in firm.stdout, firm.stderr
    assert (unknown.returncode, unknown.stderr) == (
        2,
        "fixgw: error: no portfolio for account NOBODY: it has no order or fill yet\n",
    )


@pytest.fixture
def two_accounts(tmp_path: Path) -> Iterator[System]:
    """CLIENT1 trades ACCT1 and ACCT2."""
    config = make_config(tmp_path)
    risk = config.risk.model_copy(update={"var": VAR})
    clients = {"CLIENT1": ClientConfig(accounts=["ACCT1", "ACCT2"])}
    running = start_system(tmp_path, config.model_copy(update={"risk": risk, "clients": clients}))
    yield running
    stop_system(running)


def test_firm_limit_when_another_account_holds_the_exposure_then_an_order_adding_to_it_is_denied(
    two_accounts: System, tmp_path: Path
) -> None:
    system = two_accounts
    assert wait_until(lambda: msft_mark(system) == D("100.00")), msft_mark(system)
    system.client.send_order("PF1", "MSFT", Side.BUY, D(1000), D("100.05"), account="ACCT2")
    report(system, "PF1", "F")
    assert wait_until(lambda: msft_mark(system) == D("100.01")), msft_mark(system)
    settings = settings_for(system, tmp_path)

    changed = fixgw("risk", "set", "max_gross_exposure", "150000", "--firm", "--settings", str(settings))
    text = denied(system, "PF2", Side.BUY, 600, "100.05")  # ACCT1's own book is empty
    system.client.send_order("PF3", "MSFT", Side.SELL, D(100), D("109.00"), account="ACCT1")
    shown = fixgw("risk", "show", "--json", "--settings", str(settings))

    assert changed.returncode == 0 and changed.stdout == "firm max_gross_exposure = 150000\n", changed.stderr
    assert text == (
        "max firm gross exposure exceeded: gross exposure 100010.00 now, 160016.00 with this BUY 600 MSFT "
        "> limit 150000 (firm-wide, every account)"
    )
    report(system, "PF3", "0")  # a sell lowers the firm's gross: it goes
    firm = json.loads(shown.stdout)["portfolio"]["firm"]
    assert (firm["gross"], firm["max_gross_exposure"], firm["use_pct"]["gross"]) == ("100010.00", "150000", 66.7)
