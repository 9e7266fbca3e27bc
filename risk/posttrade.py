"""Post-trade: follow every order change the OMS publishes, and act when a live fill or a mark move breaches a limit.

A position, loss or portfolio limit found breached after a fill (the loss and portfolio limits of every account
holding the symbol, when the fill moved its mark), or a portfolio limit (gross, net, VaR) found breached after a
sample of the mids (``RISK_MARKS``: marks and volatilities move), triggers the configured ``on_breach`` actions:
switch the account to REDUCE_ONLY or HALTED, cancel its working orders, send a reducing order through the OMS to the
EMS (after a position or loss breach only: which positions to cut to bring a portfolio back within its limits is
the trader's call). Each action is published on ``RISK_ACTIONS`` (audited by the gateway); a state change is a
control (audited with the controls).
"""

from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple

from domain.bus import MessageBus
from domain.channels import OMS_EXECUTE, ORDER_UPDATES, RISK_ACTIONS, RISK_MARKS
from domain.clock import Clock
from domain.commands import CancelWorking, SubmitRiskOrder
from domain.enums import Side
from domain.events import OrderUpdated, RiskActionTaken
from domain.ids import RISK_SESSION, Account, ClOrdId, Symbol, client_comp_id
from domain.marketdata import MarksSampled
from risk.controls import Control, Controls, TradingState
from risk.exposure import Exposure
from risk.portfolio import Portfolio
from risk.slots import Slots

_ZERO = Decimal(0)
_CENT = Decimal("0.01")
_FIRM = ""
"""The key of the firm's portfolio breaches and actions: they are the whole gateway's (scope ``global``)."""
_RISK_CLIENT = client_comp_id(RISK_SESSION)


def _portfolio_keys(account: str) -> tuple[tuple[str, str], ...]:
    return ((account, "#gross"), (account, "#net"), (account, "#var"))


def _money(value: Decimal) -> Decimal:
    return value.quantize(_CENT)


class _Breach(NamedTuple):
    key: tuple[str, str]
    """(account, symbol) of a position breach, (account, "") of a loss breach, (account, "#gross" | "#net" | "#var")
    of a portfolio breach (account ``_FIRM`` for the firm's)."""
    text: str


class PostTradeActions:
    """Subscriber of ``ORDER_UPDATES``: keep exposure, and act on breaches after live fills."""

    def __init__(
        self,
        bus: MessageBus,
        clock: Clock,
        slots: Slots,
        exposure: Exposure,
        controls: Controls,
        portfolio: Portfolio,
    ) -> None:
        self._bus = bus
        self._portfolio = portfolio
        self._clock = clock
        self._slots = slots
        self._exposure = exposure
        self._controls = controls
        self._started_ns = clock.now_ns()
        self._in_breach: set[tuple[str, str]] = set()
        self._risk_orders = 0
        bus.subscribe(ORDER_UPDATES, self.process)
        bus.register(RISK_MARKS, self.on_marks)

    def process(self, update: OrderUpdated) -> None:
        """Follow an order change; after a live fill, act on any position or loss limit now breached."""
        exposure = self._exposure
        mark = exposure.marks.get(update.symbol)
        exposure.on_order(update)
        if update.last_qty is not None and update.last_px is not None:
            self._portfolio.on_fill(
                update.account, update.symbol, exposure.position(update.account, update.symbol), update.last_px
            )
        # Fills replayed from the book at start (older than this engine) only rebuild exposure: acting on them
        # again would repeat what was done (and audited) before the restart.
        if update.last_qty is not None and update.ts_ns >= self._started_ns:
            account, symbol = update.account, update.symbol
            keys = ((account, symbol), (account, ""), *_portfolio_keys(account))
            self._react(account, symbol, self._breaches(account, symbol), keys, update.ts_ns)
            if self._slots.firm_limited:
                self._react(_FIRM, symbol, self._portfolio_breaches(_FIRM), _portfolio_keys(_FIRM), update.ts_ns)
            slots = self._slots
            if (slots.loss_limited or slots.portfolio_limited) and exposure.marks.get(symbol) != mark:
                self._after_mark(account, symbol, update.ts_ns)

    def on_marks(self, sample: MarksSampled) -> None:
        """A sample of the mids: the portfolio follows; act on every account holding a symbol whose mark moved and
        whose portfolio is now over a limit (a limit lowered below a portfolio waits, as a position limit does, for
        the next fill or mark move)."""
        portfolio = self._portfolio
        moved = portfolio.on_marks(sample.ts_ns, sample.mids)
        if moved and self._slots.portfolio_limited:
            books = [*portfolio.books.items(), (_FIRM, portfolio.firm)]
            for account, book in books:
                if any(leg.qty and symbol in moved for symbol, leg in book.legs.items()):
                    breaches = self._portfolio_breaches(account)
                    self._react(account, "", breaches, _portfolio_keys(account), sample.ts_ns)

    def _after_mark(self, filled: str, symbol: str, ts_ns: int) -> None:
        """The fill moved the symbol's last-trade mark, so the unrealized P&L of every account holding it (and the
        value of its portfolio, where the symbol has no mid): check their loss and portfolio limits."""
        for position in tuple(self._exposure.holders(symbol)):  # an action's fills (internal venue) may open more
            account = position.account
            if account != filled and position.qty != 0:
                breaches = self._loss_breach(account, symbol) + self._portfolio_breaches(account)
                self._react(account, symbol, breaches, ((account, ""), *_portfolio_keys(account)), ts_ns)

    def _react(
        self, account: str, symbol: str, breaches: list[_Breach], keys: tuple[tuple[str, str], ...], ts_ns: int
    ) -> None:
        """Run the ``on_breach`` actions for ``account``'s breaches (``keys``: what was looked at, to clear).

        The firm's (``account`` ``_FIRM``) switch the whole gateway's state and cancel every working order."""
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
        firm = account == _FIRM
        switched = state is not None and self._controls.state(account)[0] is not state  # "" has only the global one
        if switched:
            assert state is not None
            self._controls.set(
                Control(
                    kind="state",
                    scope="global" if firm else "account",
                    key=account,
                    value=state.value,
                    who="risk",
                    reason=reason,
                    ts_ns=ts_ns,
                )
            )
        if "cancel_working" in actions and (first or switched):
            if firm:
                self._bus.send(OMS_EXECUTE, CancelWorking(everything=True, reason=f"risk: {reason}"))
                self._audit(account, "cancel_working", "cancel every working order of every account", reason)
            else:
                self._bus.send(OMS_EXECUTE, CancelWorking(account=account, reason=f"risk: {reason}"))
                self._audit(account, "cancel_working", f"cancel every working order of {account}", reason)
        if "send_reducing_order" in actions and any(not b.key[1].startswith("#") for b in breaches):
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
        return found + self._loss_breach(account, symbol) + self._portfolio_breaches(account)

    def _loss_breach(self, account: str, symbol: str) -> list[_Breach]:
        limit = self._slots.limits_for(account, symbol).max_daily_loss
        pnl = self._exposure.day_pnl(account)
        if limit is not None and -pnl >= limit:
            return [_Breach((account, ""), f"loss {-pnl} reached the limit {limit}")]
        return []

    def _portfolio_breaches(self, account: str) -> list[_Breach]:
        """``account``'s portfolio limits found breached (the firm's ``[risk.firm]`` for ``_FIRM``)."""
        firm = account == _FIRM
        limits = self._slots.limits.firm if firm else self._slots.limits_for(account, "")
        book = self._portfolio.firm if firm else self._portfolio.books.get(account)
        found: list[_Breach] = []
        if book is None:
            return found
        whose = "firm " if firm else ""
        if limits.max_gross_exposure is not None and book.gross > limits.max_gross_exposure:
            text = f"{whose}gross exposure {_money(book.gross)} > {limits.max_gross_exposure}"
            found.append(_Breach((account, "#gross"), text))
        if limits.max_net_exposure is not None and abs(book.net) > limits.max_net_exposure:
            text = f"{whose}net exposure {_money(book.net)} beyond ±{limits.max_net_exposure}"
            found.append(_Breach((account, "#net"), text))
        if limits.max_var is not None and (var := self._portfolio.var(book)) > limits.max_var:
            found.append(_Breach((account, "#var"), f"{whose}1-day VaR {var:.2f} > {limits.max_var}"))
        return found

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
            account=Account(account),
            action=action,
            detail=detail,
            reason=reason,
            ts_ns=self._clock.now_ns(),
            scope="global" if account == _FIRM else "account",
        )
        self._bus.publish(RISK_ACTIONS, event)
