"""Post-trade: follow every order change the OMS publishes, and act when a live fill breaches a limit.

A position or loss limit found breached after a fill (the loss limit of every account holding the symbol, when the
fill moved its mark) triggers the configured ``on_breach`` actions: switch the account to REDUCE_ONLY or HALTED,
cancel its working orders, send a reducing order through the OMS to the EMS. Each action is published on
``RISK_ACTIONS`` (audited by the gateway); a state change is a control (audited with the controls).
"""

from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple

from domain.bus import MessageBus
from domain.channels import OMS_EXECUTE, ORDER_UPDATES, RISK_ACTIONS
from domain.clock import Clock
from domain.commands import CancelWorking, SubmitRiskOrder
from domain.enums import Side
from domain.events import OrderUpdated, RiskActionTaken
from domain.ids import RISK_SESSION, Account, ClOrdId, Symbol, client_comp_id
from risk.controls import Control, Controls, TradingState
from risk.exposure import Exposure
from risk.slots import Slots

_ZERO = Decimal(0)
_RISK_CLIENT = client_comp_id(RISK_SESSION)


class _Breach(NamedTuple):
    key: tuple[str, str]
    """(account, symbol) of a position breach, (account, "") of a loss breach."""
    text: str


class PostTradeActions:
    """Subscriber of ``ORDER_UPDATES``: keep exposure, and act on breaches after live fills."""

    def __init__(self, bus: MessageBus, clock: Clock, slots: Slots, exposure: Exposure, controls: Controls) -> None:
        self._bus = bus
        self._clock = clock
        self._slots = slots
        self._exposure = exposure
        self._controls = controls
        self._started_ns = clock.now_ns()
        self._in_breach: set[tuple[str, str]] = set()
        self._risk_orders = 0
        bus.subscribe(ORDER_UPDATES, self.process)

    def process(self, update: OrderUpdated) -> None:
        """Follow an order change; after a live fill, act on any position or loss limit now breached."""
        exposure = self._exposure
        mark = exposure.marks.get(update.symbol)
        exposure.on_order(update)
        # Fills replayed from the book at start (older than this engine) only rebuild exposure: acting on them
        # again would repeat what was done (and audited) before the restart.
        if update.last_qty is not None and update.ts_ns >= self._started_ns:
            account, symbol = update.account, update.symbol
            self._react(
                account, symbol, self._breaches(account, symbol), ((account, symbol), (account, "")), update.ts_ns
            )
            if self._slots.loss_limited and exposure.marks.get(symbol) != mark:
                self._after_mark(account, symbol, update.ts_ns)

    def _after_mark(self, filled: str, symbol: str, ts_ns: int) -> None:
        """The fill moved the symbol's mark, so the unrealized P&L of every account holding it: check their loss."""
        for position in tuple(self._exposure.holders(symbol)):  # an action's fills (internal venue) may open more
            account = position.account
            if account != filled and position.qty != 0:
                self._react(account, symbol, self._loss_breach(account, symbol), ((account, ""),), ts_ns)

    def _react(
        self, account: str, symbol: str, breaches: list[_Breach], keys: tuple[tuple[str, str], ...], ts_ns: int
    ) -> None:
        """Run the ``on_breach`` actions for ``account``'s breaches (``keys``: what was looked at, to clear)."""
        for key in keys:
            if key not in (b.key for b in breaches):
                self._in_breach.discard(key)
        actions = self._slots.limits.on_breach
        if not breaches or not actions:
            return
        first = any(b.key not in self._in_breach for b in breaches)
        self._in_breach.update(b.key for b in breaches)
        reason = f"post-trade breach: {'; '.join(b.text for b in breaches)}"
        state = (
            TradingState.HALTED if "halt" in actions else TradingState.REDUCE_ONLY if "reduce_only" in actions else None
        )
        switched = state is not None and self._controls.state(account)[0] is not state
        if switched:
            assert state is not None
            self._controls.set(
                Control(
                    kind="state",
                    scope="account",
                    key=account,
                    value=state.value,
                    who="risk",
                    reason=reason,
                    ts_ns=ts_ns,
                )
            )
        if "cancel_working" in actions and (first or switched):
            self._bus.send(OMS_EXECUTE, CancelWorking(account=account, reason=f"risk: {reason}"))
            self._audit(account, "cancel_working", f"cancel every working order of {account}", reason)
        if "send_reducing_order" in actions:
            loss = any(b.key[1] == "" for b in breaches)
            targets = [p.symbol for p in self._exposure.held(account)] if loss else [symbol]
            for target in targets:
                self._reduce(account, target, loss, reason)

    def _breaches(self, account: str, symbol: str) -> list[_Breach]:
        limits = self._slots.limits_for(account, symbol)
        position = self._exposure.position(account, symbol)
        found: list[_Breach] = []
        if limits.max_long_qty is not None and position > limits.max_long_qty:
            found.append(_Breach((account, symbol), f"long position {position} > {limits.max_long_qty} in {symbol}"))
        elif limits.max_short_qty is not None and -position > limits.max_short_qty:
            found.append(_Breach((account, symbol), f"short position {-position} > {limits.max_short_qty} in {symbol}"))
        return found + self._loss_breach(account, symbol)

    def _loss_breach(self, account: str, symbol: str) -> list[_Breach]:
        limit = self._slots.limits_for(account, symbol).max_daily_loss
        pnl = self._exposure.day_pnl(account)
        if limit is not None and -pnl >= limit:
            return [_Breach((account, ""), f"loss {-pnl} reached the limit {limit}")]
        return []

    def _reduce(self, account: str, symbol: str, flatten: bool, reason: str) -> None:
        """Send what still has to go to bring the position within its limit (flat after a loss breach).

        The risk engine's own reducing orders still working count as sent, so a fill while one is in flight does
        not send another; client orders on the reducing side do not count (they may never fill).
        """
        if self._controls.kill_switch(account, _RISK_CLIENT) is not None:
            return  # a kill switch stops every order, the risk engine's too
        cell = self._exposure.cell(account, symbol)
        limits = self._slots.limits_for(account, symbol)
        position = cell.qty
        if flatten:
            target = _ZERO
        elif position > 0:
            target = limits.max_long_qty if limits.max_long_qty is not None else position
        else:
            target = limits.max_short_qty if limits.max_short_qty is not None else -position
        qty = abs(position) - target - cell.reducing
        if qty <= 0 or position == 0:
            return
        side = Side.SELL if position > 0 else Side.BUY
        now = self._clock.now_ns()
        self._risk_orders += 1
        cl_ord_id = ClOrdId(f"RISK-{now}-{self._risk_orders}")
        order = SubmitRiskOrder(
            cl_ord_id=cl_ord_id,
            account=Account(account),
            symbol=Symbol(symbol),
            side=side,
            order_qty=qty,
            reason=f"risk: {reason}",
            ts_ns=now,
        )
        self._bus.send(OMS_EXECUTE, order)
        detail = f"{side.name} {qty} {symbol} at market, immediate or cancel (ClOrdID {cl_ord_id})"
        self._audit(account, "send_reducing_order", detail, reason)

    def _audit(self, account: str, action: str, detail: str, reason: str) -> None:
        event = RiskActionTaken(
            account=Account(account), action=action, detail=detail, reason=reason, ts_ns=self._clock.now_ns()
        )
        self._bus.publish(RISK_ACTIONS, event)
