"""The risk engine: runs every check on each order in memory, then passes it on or denies it."""

from __future__ import annotations

from decimal import Decimal

from domain.bus import MessageBus
from domain.clock import Clock
from domain.commands import ReplaceOrder, SubmitOrder
from domain.events import OrderDenied, ReplaceApproved, ReplaceDenied
from risk.checks import (
    Denial,
    OrderTerms,
    check_known_symbol,
    check_max_notional,
    check_max_order_qty,
    check_price,
    check_quantity,
)
from risk.entitlements import Entitlements, check_account_entitled
from risk.limits import EffectiveLimits, Instrument, RiskLimits


class RiskEngine:
    """Endpoint ``risk.execute``: pass orders to ``ems.execute`` or deny them to ``oms.process``."""

    def __init__(
        self, bus: MessageBus, clock: Clock, limits: RiskLimits, instruments: dict[str, Instrument],
        entitlements: Entitlements | None = None,
    ) -> None:  # fmt: skip
        """``entitlements``: the accounts each client may trade; None checks no entitlement (tests, tools)."""
        self._bus = bus
        self._clock = clock
        self._limits = limits
        self._entitlements = entitlements
        self._reference_prices: dict[str, Decimal] = {s: i.reference_price for s, i in instruments.items()}
        self._effective: dict[tuple[str, str], EffectiveLimits] = {}
        bus.register("risk.execute", self.execute)

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
        """Return the first failed check's denial, or None when the order may go."""
        if self._entitlements is not None and (denial := check_account_entitled(order, self._entitlements)):
            return denial
        reference = self._reference_prices.get(order.symbol)
        denial = check_quantity(order) or check_price(order) or check_known_symbol(order, reference)
        if denial is not None or reference is None:
            return denial
        limits = self._limits_for(order.account, order.symbol)
        return check_max_order_qty(order, limits) or check_max_notional(order, limits, reference)

    def _limits_for(self, account: str, symbol: str) -> EffectiveLimits:
        key = (account, symbol)
        limits = self._effective.get(key)
        if limits is None:
            limits = self._effective[key] = self._limits.effective(account, symbol)
        return limits
