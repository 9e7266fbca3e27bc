"""What each account has on: positions (fed by fills) and working orders (fed by the OMS), in memory.

Kept as running totals so that a check reads a dictionary, never sums over orders on the order path.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import NamedTuple

from domain.enums import Side
from domain.events import OrderUpdated
from domain.ids import OrderId
from domain.positions import Position, PositionBook

_ZERO = Decimal(0)


class _Working(NamedTuple):
    account: str
    symbol: str
    side: Side
    leaves: Decimal
    notional: Decimal


class Exposure:
    """Positions, working quantities and notionals per account, and the last trade price per symbol."""

    def __init__(self, reference_prices: dict[str, Decimal]) -> None:
        self.positions = PositionBook()
        self.marks: dict[str, Decimal] = dict(reference_prices)
        self._working: dict[OrderId, _Working] = {}
        self._open_qty: dict[tuple[str, str, Side], Decimal] = defaultdict(Decimal)
        self._open_notional: dict[str, Decimal] = defaultdict(Decimal)
        self._by_symbol: dict[str, list[Position]] = defaultdict(list)
        # Running totals per account, kept exact as fills and marks move, so checks never loop over positions:
        self._realized: dict[str, Decimal] = defaultdict(Decimal)  # sum of realized P&L
        self._cost: dict[str, Decimal] = defaultdict(Decimal)  # sum of qty x avg_cost
        self._value: dict[str, Decimal] = defaultdict(Decimal)  # sum of qty x mark
        self._gross: dict[str, Decimal] = defaultdict(Decimal)  # sum of |qty| x mark

    def on_order(self, update: OrderUpdated) -> None:
        """Follow one order change: its working quantity, and its fill if it had one."""
        old = self._working.pop(update.order_id, None)
        if old is not None:
            self._open_qty[old.account, old.symbol, old.side] -= old.leaves
            self._open_notional[old.account] -= old.notional
        if update.leaves_qty > 0:
            price = update.price if update.price is not None else self.marks.get(update.symbol, _ZERO)
            new = _Working(update.account, update.symbol, update.side, update.leaves_qty, update.leaves_qty * price)
            self._working[update.order_id] = new
            self._open_qty[new.account, new.symbol, new.side] += new.leaves
            self._open_notional[new.account] += new.notional
        if update.last_qty is not None and update.last_px is not None:
            self._fill(update, update.last_qty, update.last_px)

    def _fill(self, update: OrderUpdated, qty: Decimal, price: Decimal) -> None:
        position = self.positions.get(update.account, update.symbol)
        if position is None:
            position = self.positions.open(update.account, update.symbol)
            self._by_symbol[update.symbol].append(position)
        self._count(position, -1)
        position.apply_fill(update.side, qty, price, update.fee)
        self._count(position, +1)
        self._mark(update.symbol, price)

    def _count(self, p: Position, sign: int) -> None:
        mark = p.mark if p.mark is not None else p.avg_cost
        self._realized[p.account] += sign * p.realized_pnl
        self._cost[p.account] += sign * p.qty * p.avg_cost
        self._value[p.account] += sign * p.qty * mark
        self._gross[p.account] += sign * abs(p.qty) * mark

    def _mark(self, symbol: str, price: Decimal) -> None:
        self.marks[symbol] = price
        for p in self._by_symbol[symbol]:
            old = p.mark if p.mark is not None else p.avg_cost
            if old != price:
                self._value[p.account] += p.qty * (price - old)
                self._gross[p.account] += abs(p.qty) * (price - old)
                p.mark = price

    def position(self, account: str, symbol: str) -> Decimal:
        """Signed position (long positive)."""
        position = self.positions.get(account, symbol)
        return position.qty if position is not None else _ZERO

    def leaves_of(self, order_id: OrderId) -> Decimal:
        """What one order still has working."""
        working = self._working.get(order_id)
        return working.leaves if working is not None else _ZERO

    def working(self, account: str, symbol: str, side: Side) -> Decimal:
        """Quantity still working on one side."""
        return self._open_qty.get((account, symbol, side), _ZERO)

    def account_notional(self, account: str) -> Decimal:
        """Open-order notional plus the absolute notional of every position at its mark."""
        return self._open_notional.get(account, _ZERO) + self._gross.get(account, _ZERO)

    def account_pnl(self, account: str) -> Decimal:
        """Realized plus unrealized P&L over the account's positions: realized + sum qty x (mark - avg_cost)."""
        return self._realized.get(account, _ZERO) + self._value.get(account, _ZERO) - self._cost.get(account, _ZERO)
