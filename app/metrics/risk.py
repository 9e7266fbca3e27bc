"""Positions, P&L, marks, working quantities, limit use and the controls in force: read from the risk engine's
exposure and controls at scrape time (what ``GET /risk`` shows).

Accounts and symbols are labels only when configured (fixgw.toml's clients, risk limits, routing and instruments):
an account an order merely named never becomes a series. P&L is in the instrument's currency, marked as the risk
engine marks it (the last fill, else the instrument's reference price): what the loss limit reads. The limit use
ratios are what the checks compare: credit used over ``credit_limit``, the day's loss over ``max_daily_loss``, and
per symbol the projected long (position + working buys) over ``max_long_qty`` and short over ``max_short_qty``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from decimal import Decimal

from prometheus_client.metrics_core import GaugeMetricFamily, Metric

from risk.controls import Controls, TradingState
from risk.exposure import Exposure
from risk.limits import EffectiveLimits, RiskLimits

_ZERO = Decimal(0)


class RiskMetrics:
    """``fixgw_position*``, ``fixgw_*_pnl``, ``fixgw_mark_price``, ``fixgw_risk_*``, ``fixgw_kill_switch*``,
    ``fixgw_trading_state*``."""

    def __init__(
        self,
        exposure: Exposure,
        controls: Controls,
        limits: Callable[[], RiskLimits],
        accounts: Collection[str],
        symbols: Collection[str],
        clients: Collection[str],
    ) -> None:
        """``limits``: the limits in force now (operators change them live)."""
        self._exposure = exposure
        self._controls = controls
        self._limits = limits
        self._accounts = sorted(accounts)
        self._account_set = frozenset(accounts)
        self._symbols = frozenset(symbols)
        self._clients = sorted(clients)
        self._resolved: tuple[RiskLimits | None, dict[tuple[str, str], EffectiveLimits]] = (None, {})

    def collect(self) -> Iterator[Metric]:
        """Every family."""
        yield from self._positions()
        yield from self._working()
        yield from self._accounts_used()
        yield from self._controls_in_force()

    def _known(self, account: str, symbol: str) -> bool:
        return account in self._account_set and symbol in self._symbols

    def _effective(self, account: str, symbol: str = "") -> EffectiveLimits:
        # Resolved once per (account, symbol) until the limits change: RiskLimits.effective is pydantic-side Python.
        limits = self._limits()
        seen, resolved = self._resolved
        if seen is not limits:
            resolved = {}
            self._resolved = (limits, resolved)
        found = resolved.get((account, symbol))
        if found is None:
            found = resolved[account, symbol] = limits.effective(account, symbol)
        return found

    def _positions(self) -> Iterator[Metric]:
        labels = ["account", "symbol"]
        qty = GaugeMetricFamily("fixgw_position", "Signed position (long positive).", labels=labels)
        realized = GaugeMetricFamily("fixgw_realized_pnl", "Realized P&L since the book began.", labels=labels)
        unrealized = GaugeMetricFamily(
            "fixgw_unrealized_pnl", "Unrealized P&L: position x (mark - average cost).", labels=labels
        )
        for (account, symbol), position in list(self._exposure.positions.positions.items()):
            if self._known(account, symbol):
                key = [account, symbol]
                qty.add_metric(key, float(position.qty))
                realized.add_metric(key, float(position.realized_pnl))
                unrealized.add_metric(key, float(position.unrealized_pnl))
        marks = GaugeMetricFamily(
            "fixgw_mark_price",
            "What positions are marked at: the last fill, else the instrument's reference price.",
            labels=["symbol"],
        )
        for symbol, price in list(self._exposure.marks.items()):
            if symbol in self._symbols:
                marks.add_metric([symbol], float(price))
        yield from (qty, realized, unrealized, marks)

    def _working(self) -> Iterator[Metric]:
        working = GaugeMetricFamily(
            "fixgw_working_qty", "Quantity of working orders, by side.", labels=["account", "symbol", "side"]
        )
        use = GaugeMetricFamily(
            "fixgw_risk_position_limit_use_ratio",
            "Projected position (with working orders on its side) over its limit, as the position check reads it.",
            labels=["account", "symbol", "limit"],
        )
        for (account, symbol), cell in self._exposure.cells().items():
            if not self._known(account, symbol):
                continue
            position, buys, sells = cell.qty, cell.working_buy, cell.working_sell
            working.add_metric([account, symbol, "buy"], float(buys))
            working.add_metric([account, symbol, "sell"], float(sells))
            limits = self._effective(account, symbol)
            for name, limit, projected in (
                ("max_long_qty", limits.max_long_qty, position + buys),
                ("max_short_qty", limits.max_short_qty, sells - position),
            ):
                if limit is not None:
                    use.add_metric([account, symbol, name], float(max(projected, _ZERO) / limit))
        yield from (working, use)

    def _accounts_used(self) -> Iterator[Metric]:
        exposure = self._exposure
        day_pnl = GaugeMetricFamily(
            "fixgw_day_pnl",
            "P&L the loss limit reads: realized since the trading day began, plus unrealized.",
            labels=["account"],
        )
        credit = GaugeMetricFamily(
            "fixgw_credit_used", "Open-order notional plus position notional at the mark.", labels=["account"]
        )
        use = GaugeMetricFamily(
            "fixgw_risk_limit_use_ratio",
            "Use of an account limit: credit used over credit_limit, the day's loss over max_daily_loss.",
            labels=["account", "limit"],
        )
        for account in self._accounts:
            pnl, used = exposure.day_pnl(account), exposure.account_notional(account)
            day_pnl.add_metric([account], float(pnl))
            credit.add_metric([account], float(used))
            limits = self._effective(account)
            if limits.credit_limit is not None:
                use.add_metric([account, "credit_limit"], float(used / limits.credit_limit))
            if limits.max_daily_loss is not None:
                use.add_metric([account, "max_daily_loss"], float(max(-pnl, _ZERO) / limits.max_daily_loss))
        yield from (day_pnl, credit, use)

    def _controls_in_force(self) -> Iterator[Metric]:
        kills = {(c.scope, c.key) for c in self._controls.all() if c.kind == "kill"}
        yield GaugeMetricFamily(
            "fixgw_kill_switch_global", "1 while the global kill switch is on.", value=float(("global", "") in kills)
        )
        for scope, label, keys in (("account", "account", self._accounts), ("session", "client", self._clients)):
            family = GaugeMetricFamily(
                f"fixgw_kill_switch_{scope}", f"1 while the kill switch of the {label} is on.", labels=[label]
            )
            for key in keys:
                family.add_metric([key], float((scope, key) in kills))
            yield family
        states = {c.key: c.value for c in self._controls.all() if c.kind == "state"}
        everyone = GaugeMetricFamily(
            "fixgw_trading_state_global", "1 for the gateway-wide trading state in force.", labels=["state"]
        )
        for state in TradingState:
            everyone.add_metric([state.value], float(states.get("", TradingState.ACTIVE.value) == state.value))
        yield everyone
        family = GaugeMetricFamily(
            "fixgw_trading_state",
            "1 for the trading state that applies to the account (the stricter of its own and the global one).",
            labels=["account", "state"],
        )
        for account in self._accounts:
            in_force, _ = self._controls.state(account)
            for state in TradingState:
                family.add_metric([account, state.value], float(in_force is state))
        yield family
