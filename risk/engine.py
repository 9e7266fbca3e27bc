"""The risk engine: runs the whole check catalogue on each order in memory, then passes it on or denies it.

It follows exposure from the OMS's ``events.order`` topic and acts after fills: a position or loss limit found
breached switches the account to its configured trading state and cancels its working orders.
"""

from __future__ import annotations

from collections import deque
from decimal import Decimal

from domain.bus import MessageBus
from domain.clock import Clock
from domain.commands import CancelWorking, ReplaceOrder, SubmitOrder
from domain.enums import OrdRejReason, OrdType
from domain.events import OrderDenied, OrderUpdated, ReplaceApproved, ReplaceDenied
from domain.ids import client_comp_id
from risk.checks import (
    Denial,
    OrderTerms,
    check_credit,
    check_daily_loss,
    check_known_symbol,
    check_max_notional,
    check_max_order_qty,
    check_position_limit,
    check_price,
    check_price_band,
    check_quantity,
    check_restricted,
    check_trading_state,
)
from risk.controls import Control, Controls, TradingState
from risk.entitlements import Entitlements, check_account_entitled
from risk.exposure import Exposure
from risk.limits import Instrument, LimitSet, RiskLimits

_SECOND_NS = 1_000_000_000


class RiskEngine:
    """Endpoint ``risk.execute``: pass orders to ``ems.execute`` or deny them to ``oms.process``."""

    def __init__(
        self, bus: MessageBus, clock: Clock, limits: RiskLimits, instruments: dict[str, Instrument],
        entitlements: Entitlements | None = None, controls: Controls | None = None,
    ) -> None:  # fmt: skip
        """``entitlements``: the accounts each client may trade; None checks no entitlement (tests, tools)."""
        self._bus = bus
        self._clock = clock
        self._entitlements = entitlements
        self._reference_prices: dict[str, Decimal] = {s: i.reference_price for s, i in instruments.items()}
        self.exposure = Exposure(self._reference_prices)
        self.controls = controls or Controls()
        self.limits = limits
        self._effective: dict[tuple[str, str], LimitSet] = {}
        self._recent: dict[str, deque[int]] = {}
        self._last_seen: dict[tuple[object, ...], int] = {}
        bus.register("risk.execute", self.execute)
        bus.subscribe("events.order", self.process)

    def set_limits(self, limits: RiskLimits) -> None:
        """Apply new limits at once (operators change them live)."""
        self.limits = limits
        self._effective.clear()

    # -- orders ----------------------------------------------------------------------------------

    def execute(self, command: SubmitOrder | ReplaceOrder) -> None:
        """Check ``command``; forward a new order to the EMS or deny it; answer a replace to the OMS."""
        denial = self.check(command)
        if isinstance(command, ReplaceOrder):
            verdict = (
                ReplaceApproved(command=command) if denial is None else ReplaceDenied(command=command, text=denial.text)
            )
            self._bus.send("oms.process", verdict)
        elif denial is None:
            self._bus.send("ems.execute", command)
        else:
            denied = OrderDenied(
                order_id=command.order_id, reason=denial.reason, text=denial.text, ts_ns=self._clock.now_ns()
            )
            self._bus.send("oms.process", denied)

    def check(self, order: OrderTerms) -> Denial | None:
        """Return the first failed check's denial, or None when the order may go (and count it)."""
        denial = self._static_checks(order)
        if denial is None:
            denial = self._exposure_checks(order) or self._flow_checks(order)
        return denial

    def _static_checks(self, order: OrderTerms) -> Denial | None:
        if self._entitlements is not None and (denial := check_account_entitled(order, self._entitlements)):
            return denial
        kill = self.controls.kill_switch(order.account, client_comp_id(order.session))
        if kill is not None:
            return Denial(OrdRejReason.BROKER_OPTION,
                          f"kill switch on ({kill.scope} {kill.key or ''}) by {kill.who}: {kill.reason}")  # fmt: skip
        reference = self._reference_prices.get(order.symbol)
        return check_quantity(order) or check_price(order) or check_known_symbol(order, reference)

    def _exposure_checks(self, order: OrderTerms) -> Denial | None:
        limits = self._limits_for(order.account, order.symbol)
        mark = self.exposure.marks[order.symbol]
        price = order.price if order.ord_type is OrdType.LIMIT and order.price is not None else mark
        position = self.exposure.position(order.account, order.symbol)
        working = self.exposure.working(order.account, order.symbol, order.side)
        if isinstance(order, ReplaceOrder):  # the order's own working quantity is being replaced
            working -= self.exposure.leaves_of(order.order_id)
        state, control = self.controls.state(order.account)
        why = f"{control.reason} (by {control.who})" if control else ""
        return (
            check_restricted(order, limits)
            or check_trading_state(order, state, why, position, working)
            or check_max_order_qty(order, limits)
            or check_max_notional(order, limits, mark)
            or check_price_band(order, limits, mark)
            or check_position_limit(order, limits, position, working)
            or check_credit(order, limits, self.exposure.account_notional(order.account), price)
            or check_daily_loss(order, limits, self.exposure.account_pnl(order.account))
        )

    def _flow_checks(self, order: OrderTerms) -> Denial | None:
        """Rate throttle and duplicate detection: stateful, so they run last and count only what passes."""
        limits = self._limits_for(order.account, order.symbol)
        now = self._clock.now_ns()
        if limits.max_orders_per_second is not None:
            recent = self._recent.setdefault(order.account, deque())
            while recent and now - recent[0] >= _SECOND_NS:
                recent.popleft()
            if len(recent) >= limits.max_orders_per_second:
                return Denial(OrdRejReason.OTHER, f"order rate limit: {limits.max_orders_per_second} orders per "
                              f"second for account {order.account}; retry shortly")  # fmt: skip
            recent.append(now)
        if limits.duplicate_window_ms is not None:
            key = (order.account, order.symbol, order.side, order.order_qty, order.price)
            last = self._last_seen.get(key)
            self._last_seen[key] = now
            if last is not None and now - last < limits.duplicate_window_ms * 1_000_000:
                return Denial(OrdRejReason.DUPLICATE_ORDER, f"duplicate order: same account, symbol, side, quantity "
                              f"and price as one {(now - last) // 1_000_000} ms ago")  # fmt: skip
        return None

    def _limits_for(self, account: str, symbol: str) -> LimitSet:
        key = (account, symbol)
        limits = self._effective.get(key)
        if limits is None:
            limits = self._effective[key] = self.limits.effective(account, symbol)
        return limits

    # -- exposure and post-trade -------------------------------------------------------------------

    def process(self, update: OrderUpdated) -> None:
        """Follow an order change; after a fill, act on any position or loss limit now breached."""
        self.exposure.on_order(update)
        if update.last_qty is not None:
            self._after_fill(update)

    def _after_fill(self, update: OrderUpdated) -> None:
        limits = self._limits_for(update.account, update.symbol)
        position = self.exposure.position(update.account, update.symbol)
        pnl = self.exposure.account_pnl(update.account)
        breach = None
        if limits.max_long_qty is not None and position > limits.max_long_qty:
            breach = f"long position {position} > {limits.max_long_qty} in {update.symbol}"
        elif limits.max_short_qty is not None and -position > limits.max_short_qty:
            breach = f"short position {-position} > {limits.max_short_qty} in {update.symbol}"
        elif limits.max_daily_loss is not None and -pnl >= limits.max_daily_loss:
            breach = f"loss {-pnl} reached the limit {limits.max_daily_loss}"
        if breach is None or self.limits.on_breach == "none":
            return
        state = TradingState.HALTED if self.limits.on_breach == "halt" else TradingState.REDUCE_ONLY
        if self.controls.state(update.account)[0] is not state:
            reason = f"post-trade breach: {breach}"
            self.controls.set(Control(kind="state", scope="account", key=update.account, value=state.value,
                                      who="risk", reason=reason, ts_ns=update.ts_ns))  # fmt: skip
            self._bus.send("oms.execute", CancelWorking(account=update.account, reason=f"risk: {breach}"))
