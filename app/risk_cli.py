"""CLI for pre-trade risk on the running gateway: fixgw risk show|set|state|portfolio, fixgw kill on|off."""

from __future__ import annotations

import getpass
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from app.admin import AdminClient
from app.config import REPO_ROOT, load_config
from fixgw.errors import ConfigError

console = Console(width=None if sys.stdout.isatty() else 180)
risk_cli = typer.Typer(help="Pre-trade risk on the running gateway: limits, trading states.", no_args_is_help=True)
SettingsOption = Annotated[Path, typer.Option("--settings", "-s", help="fixgw settings (TOML).")]
ReasonOption = Annotated[str, typer.Option("--reason", "-r", help="Why: kept in the audit trail.")]
DEFAULT_SETTINGS = REPO_ROOT / "fixgw.toml"


def _call(settings: Path, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    status, answer = AdminClient(load_config(settings).admin_token_path()).call(method, path, body)
    if status != 200:
        raise ConfigError(answer.get("error", f"the gateway answered HTTP {status}"))
    return answer


@risk_cli.command("show")
def show(settings: SettingsOption = DEFAULT_SETTINGS, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Show limits, trading states and kill switches in force, exposure, and recent changes."""
    answer = _call(settings, "GET", "/risk")
    if as_json:
        typer.echo(json.dumps(answer, indent=2, default=str))
        return
    console.print_json(json.dumps({"limits": answer["limits"]}))
    controls = Table(title="Controls in force")
    for name in ("kind", "scope", "key", "value", "who", "reason"):
        controls.add_column(name)
    for c in answer["controls"]:
        controls.add_row(c["kind"], c["scope"], c["key"], c["value"], c["who"], c["reason"])
    console.print(controls)
    exposure = Table(title="Exposure")
    for name in ("account", "symbol", "position", "working_buy", "working_sell", "realized_pnl", "unrealized_pnl"):
        exposure.add_column(name)
    for e in answer["exposure"]:
        exposure.add_row(
            *(
                str(e[k])
                for k in (
                    "account",
                    "symbol",
                    "position",
                    "working_buy",
                    "working_sell",
                    "realized_pnl",
                    "unrealized_pnl",
                )
            )
        )
    console.print(exposure)
    accounts = Table(title=f"Accounts (trading day since {answer['trading_day_start']})")
    for name in ("account", "realized_today", "pnl_for_loss_limit", "credit_used"):
        accounts.add_column(name)
    for a in answer["accounts"]:
        accounts.add_row(*(str(a[k]) for k in ("account", "realized_today", "pnl_for_loss_limit", "credit_used")))
    console.print(accounts)
    console.print(portfolio_table(answer["portfolio"]))


def _use(value: object, limit: object, pct: float | None) -> str:
    return str(value) if limit is None else f"{value} / {limit} ({pct}%)"


def portfolio_table(books: dict[str, Any]) -> Table:
    """Each account's portfolio and the firm's: exposure, VaR, and how much of each limit they use."""
    var = books["var"]
    table = Table(title=f"Portfolio (1-day VaR at {var['confidence']:.0%}, z = {var['z']}; value / limit (use))")
    for name in ("account", "gross", "net", "long", "short", "VaR"):
        table.add_column(name, justify="left" if name == "account" else "right")
    for a in books["accounts"]:
        use = a["use_pct"]
        table.add_row(
            a["account"],
            _use(a["gross"], a["max_gross_exposure"], use["gross"]),
            _use(a["net"], a["max_net_exposure"], use["net"]),
            str(a["long"]),
            str(a["short"]),
            _use(a["var"], a["max_var"], use["var"]),
        )
    firm, use = books["firm"], books["firm"]["use_pct"]
    table.add_row(
        "firm",
        _use(firm["gross"], firm["max_gross_exposure"], use["gross"]),
        _use(firm["net"], firm["max_net_exposure"], use["net"]),
        str(firm["long"]),
        str(firm["short"]),
        _use(firm["var"], firm["max_var"], use["var"]),
        style="bold",
    )
    return table


@risk_cli.command("portfolio")
def portfolio(
    account: Annotated[str | None, typer.Option(help="This account's portfolio (default: the firm's).")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    settings: SettingsOption = DEFAULT_SETTINGS,
) -> None:
    """Show a portfolio by symbol: position, mark (mid or last), value, daily volatility, stand-alone and component
    VaR (the components add up to the VaR)."""
    answer = _call(settings, "GET", "/risk/portfolio", {"account": account})
    if as_json:
        typer.echo(json.dumps(answer, indent=2, default=str))
        return
    columns = ("symbol", "qty", "mark", "mark_source", "value", "daily_vol", "samples", "standalone_var")
    table = Table(
        title=f"Portfolio of {answer['account']}: gross {answer['gross']}, net {answer['net']}, "
        f"1-day VaR {answer['var']} at {answer['settings']['confidence']:.0%}"
    )
    for name in (*columns, "component_var"):
        table.add_column(name, justify="left" if name in ("symbol", "mark_source") else "right")
    for row in answer["symbols"]:
        table.add_row(*(str(row[k]) for k in (*columns, "component_var")))
    console.print(table)


@risk_cli.command("set")
def set_limit(
    limit: Annotated[str, typer.Argument(help="Limit name, e.g. max_order_qty, price_band_pct, credit_limit.")],
    value: Annotated[str, typer.Argument(help="New value, or 'none' to remove the limit at this scope.")],
    account: Annotated[str | None, typer.Option(help="Set it for this account.")] = None,
    symbol: Annotated[str | None, typer.Option(help="Set it for this symbol.")] = None,
    session: Annotated[
        str | None,
        typer.Option(
            help="A session throttle (max_messages_per_second, max_orders_per_second) for this client "
            "CompID, or '*' for every session."
        ),
    ] = None,
    firm: Annotated[
        bool,
        typer.Option("--firm", help="A firm-wide portfolio limit (max_gross_exposure, max_net_exposure, max_var)."),
    ] = False,
    reason: ReasonOption = "",
    settings: SettingsOption = DEFAULT_SETTINGS,
) -> None:
    """Change a limit on the running gateway at once (the settings file applies again after a restart)."""
    if sum(x is not None for x in (account, symbol, session)) + firm > 1:
        raise ConfigError("give one of --account, --symbol, --session or --firm")
    scope, key = (
        ("account", account)
        if account
        else ("symbol", symbol)
        if symbol
        else ("session", session)
        if session
        else ("firm", None)
        if firm
        else ("default", None)
    )
    body = {
        "scope": scope,
        "key": key,
        "name": limit,
        "value": None if value.lower() == "none" else value,
        "who": getpass.getuser(),
        "reason": reason,
    }
    console.print(_call(settings, "POST", "/risk/limits", body)["result"])


@risk_cli.command("state")
def state(
    new_state: Annotated[str, typer.Argument(metavar="STATE", help="active, reduce_only or halted.")],
    account: Annotated[str | None, typer.Option(help="Only this account (default: the whole gateway).")] = None,
    reason: ReasonOption = "",
    settings: SettingsOption = DEFAULT_SETTINGS,
) -> None:
    """Set the trading state of an account or of the whole gateway."""
    body = {
        "scope": "account" if account else "global",
        "key": account,
        "state": new_state,
        "who": getpass.getuser(),
        "reason": reason,
    }
    console.print(_call(settings, "POST", "/risk/state", body)["result"])


def kill(
    switch: Annotated[str, typer.Argument(metavar="on|off", help="Turn the kill switch on or off.")],
    account: Annotated[str | None, typer.Option(help="Only this account.")] = None,
    session: Annotated[str | None, typer.Option(help="Only this client session (its CompID).")] = None,
    reason: ReasonOption = "",
    settings: SettingsOption = DEFAULT_SETTINGS,
) -> None:
    """Kill switch: refuse new orders and replaces and cancel every working order in scope (until off)."""
    if switch not in ("on", "off"):
        raise ConfigError("say `fixgw kill on` or `fixgw kill off`")
    if account and session:
        raise ConfigError("give --account or --session, not both")
    scope, key = ("account", account) if account else ("session", session) if session else ("global", None)
    body = {"scope": scope, "key": key, "on": switch == "on", "who": getpass.getuser(), "reason": reason}
    console.print(_call(settings, "POST", "/kill", body)["result"])
