"""Admin API routes for pre-trade risk: limits, trading states, kill switches."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from domain.channels import OMS_EXECUTE
from domain.commands import CancelWorking
from domain.enums import Side
from oms.store import repository
from risk.controls import Control, TradingState

if TYPE_CHECKING:
    from app.gateway import Gateway

Answer = tuple[int, dict[str, Any]]


def risk_routes(gateway: Gateway) -> dict[tuple[str, str], Any]:
    """The routes, bound to a gateway."""
    return {
        ("GET", "/risk"): lambda _: show(gateway),
        ("GET", "/risk/portfolio"): lambda body: portfolio(gateway, body or {}),
        ("POST", "/risk/limits"): lambda body: set_limit(gateway, body),
        ("POST", "/risk/state"): lambda body: set_state(gateway, body),
        ("POST", "/kill"): lambda body: kill(gateway, body),
    }


def show(gateway: Gateway) -> Answer:
    """Limits, controls in force, exposure per account and symbol, recent changes."""
    with gateway.bus.lock:
        exposure = gateway.risk.exposure
        exposure.roll_to(gateway.clock.now_ns())  # the day may have rolled since the last order
        positions = [
            {
                "account": p.account,
                "symbol": p.symbol,
                "position": p.qty,
                "avg_cost": p.avg_cost,
                "realized_pnl": p.realized_pnl,
                "unrealized_pnl": p.unrealized_pnl,
                "working_buy": exposure.working(p.account, p.symbol, Side.BUY),
                "working_sell": exposure.working(p.account, p.symbol, Side.SELL),
            }
            for p in exposure.positions.positions.values()
        ]
        accounts = [
            {
                "account": a,
                "realized_today": exposure.totals(a).day_realized,
                "pnl_for_loss_limit": exposure.day_pnl(a),
                "credit_used": exposure.account_notional(a),
            }
            for a in sorted({p.account for p in exposure.positions.positions.values()})
        ]
        books = portfolio_summary(gateway)
        controls = [_control_json(c) for c in gateway.controls.all()]
        limits = gateway.risk.limits.model_dump(mode="json")
        day_start = datetime.fromtimestamp(exposure.day_start_ns / 1e9, UTC).isoformat(timespec="seconds")
    return 200, {
        "limits": limits,
        "controls": controls,
        "exposure": positions,
        "accounts": accounts,
        "portfolio": books,
        "trading_day_start": day_start,
        "audit": repository.load_risk_audit(gateway.db, 20),
    }


def portfolio_summary(gateway: Gateway) -> dict[str, Any]:
    """Each account's portfolio figures and how much of each portfolio limit they use, and the firm's (the caller
    holds the bus lock)."""
    risk = gateway.risk
    books = risk.portfolio
    accounts = [
        {"account": account, **_with_use(books.figures(book), risk.limits.effective(account, ""))}
        for account, book in sorted(books.books.items())
    ]
    settings = risk.limits.var
    return {
        "accounts": accounts,
        "firm": _with_use(books.figures(books.firm), risk.limits.firm),
        "var": {"confidence": settings.confidence, "z": round(books.z, 4), "horizon": "1 day"},
    }


def _with_use(figures: dict[str, Any], limits: Any) -> dict[str, Any]:
    """``figures`` with each portfolio limit that applies and the percentage of it in use (None: no limit)."""
    use = {}
    for name, key, value in (
        ("max_gross_exposure", "gross", figures["gross"]),
        ("max_net_exposure", "net", abs(figures["net"])),
        ("max_var", "var", Decimal(str(figures["var"]))),
    ):
        limit = getattr(limits, name)
        figures[name] = limit
        use[key] = None if limit is None else round(float(value / limit) * 100, 1)
    return figures | {"use_pct": use}


def portfolio(gateway: Gateway, body: dict[str, Any]) -> Answer:
    """One account's portfolio (the firm's without ``account``) by symbol: position, mark, value, volatility,
    stand-alone and component VaR."""
    account = body.get("account")
    with gateway.bus.lock:
        books = gateway.risk.portfolio
        book = books.firm if account is None else books.books.get(account)
        if book is None:
            return 404, {"error": f"no portfolio for account {account}: it has no order or fill yet"}
        symbols = books.breakdown(book)
        figures = books.figures(book)
        settings = gateway.risk.limits.var.model_dump()
    return 200, {"account": account or "firm", **figures, "symbols": symbols, "settings": settings}


def set_limit(gateway: Gateway, body: dict[str, Any]) -> Answer:
    """Change one limit live: {scope: default|account|symbol|session, key, name, value (null removes), who, reason}.

    A session's key is its client CompID, or ``*`` for every session.
    """
    scope, key, name = body.get("scope", "default"), body.get("key"), body.get("name", "")
    if scope not in ("default", "account", "symbol", "session", "firm") or (
        scope not in ("default", "firm") and not key
    ):
        return 400, {
            "error": "scope must be default, firm, account (with key), symbol (with key) or session (with key)"
        }
    try:
        value = None if body.get("value") is None else Decimal(str(body["value"]))
        with gateway.bus.lock:
            gateway.risk.set_limits(gateway.risk.limits.with_limit(scope, key, name, value))
    except (ValueError, InvalidOperation, ValidationError) as exc:
        return 400, {"error": _first_line(exc)}
    row = {
        "ts_ns": gateway.clock.now_ns(),
        "kind": "limit",
        "scope": scope,
        "key": key or "",
        "value": f"{name}={value}",
        "who": body.get("who", "?"),
        "reason": body.get("reason", ""),
    }
    gateway.journal.after_commit(lambda: repository.save_audit(gateway.db, row))
    return 200, {"result": f"{scope} {key or ''} {name} = {value}".replace("  ", " ")}


def set_state(gateway: Gateway, body: dict[str, Any]) -> Answer:
    """Set the trading state: {scope: global|account, key, state: active|reduce_only|halted, who, reason}."""
    scope = body.get("scope", "global")
    try:
        state = TradingState(body.get("state", ""))
    except ValueError:
        return 400, {"error": f"state must be one of {', '.join(s.value for s in TradingState)}"}
    if scope not in ("global", "account") or (scope == "account" and not body.get("key")):
        return 400, {"error": "scope must be global or account (with key)"}
    control = _control(gateway, "state", scope, body, state.value)
    with gateway.bus.lock:
        gateway.controls.set(control)
    return 200, {"result": f"{scope} {control.key} is {state.value}".replace("  ", " ")}


def kill(gateway: Gateway, body: dict[str, Any]) -> Answer:
    """Kill switch: {scope: global|account|session, key, on: bool, who, reason}; on cancels working orders."""
    scope, on = body.get("scope", "global"), bool(body.get("on", True))
    if scope not in ("global", "account", "session") or (scope != "global" and not body.get("key")):
        return 400, {"error": "scope must be global, account (with key) or session (client CompID as key)"}
    control = _control(gateway, "kill", scope, body, "on" if on else "off")
    with gateway.bus.entered():  # one unit of work: the control and every cancel it makes
        gateway.controls.set(control)
        if on:
            reason = f"kill switch ({scope} {control.key}) by {control.who}: {control.reason}"
            command = CancelWorking(
                account=control.key if scope == "account" else None,
                client=control.key if scope == "session" else None,
                everything=scope == "global",
                reason=reason,
            )
            gateway.bus.send(OMS_EXECUTE, command)
    verb = "on: new orders are refused and working orders are being canceled" if on else "off"
    return 200, {"result": f"kill switch {scope} {control.key} {verb}".replace("  ", " ")}


def _control(gateway: Gateway, kind: str, scope: str, body: dict[str, Any], value: str) -> Control:
    return Control(
        kind=kind,
        scope=scope,
        key=body.get("key") or "" if scope != "global" else "",
        value=value,
        who=body.get("who", "?"),
        reason=body.get("reason", ""),
        ts_ns=gateway.clock.now_ns(),
    )


def _control_json(control: Control) -> dict[str, Any]:
    return {
        "kind": control.kind,
        "scope": control.scope,
        "key": control.key,
        "value": control.value,
        "who": control.who,
        "reason": control.reason,
        "ts_ns": control.ts_ns,
    }


def _first_line(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        return f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
