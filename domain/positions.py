"""Positions and P&L by the average-cost method (NautilusTrader, QuantConnect LEAN).

Theory of operation (../shared/reference/risk-oms-tca.md section 4): a same-side fill moves the average cost
to the quantity-weighted mean; an opposite-side fill realizes ``closed x (price - average) x sign(position)`` and
leaves the average unchanged for the rest; a fill that crosses zero opens the residual at the fill price; at zero
the average resets. Unrealized P&L is ``position x (mark - average)``. Fees reduce realized P&L. Pure and
deterministic: the same fills in the same order always give the same numbers, so the book can rebuild positions
by replaying its executions.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from domain.enums import Side

_ZERO = Decimal(0)


def unsigned_zero(value: Decimal) -> Decimal:
    """``value``, a zero without its sign: Decimal keeps the sign of a product (-10 x 0.00 is -0.00), which a person
    reads as a loss and a machine compares as equal to 0. Nothing else changes (scale included)."""
    return value.copy_abs() if value.is_zero() else value


@dataclass(slots=True)
class Position:
    """The net position of one account in one symbol."""

    account: str
    symbol: str
    qty: Decimal = _ZERO
    """Signed: positive long, negative short."""
    avg_cost: Decimal = _ZERO
    realized_pnl: Decimal = _ZERO
    fees: Decimal = _ZERO
    mark: Decimal | None = None
    """The latest known price (last fill, or a market-data mark)."""
    bought_qty: Decimal = _ZERO
    sold_qty: Decimal = _ZERO

    @property
    def unrealized_pnl(self) -> Decimal:
        """``qty x (mark - avg_cost)``; zero without a mark (never -0: a short marked at its cost is flat)."""
        if self.mark is None or self.qty == 0:
            return _ZERO
        return unsigned_zero(self.qty * (self.mark - self.avg_cost))

    @property
    def total_pnl(self) -> Decimal:
        """Realized plus unrealized."""
        return self.realized_pnl + self.unrealized_pnl

    def apply_fill(self, side: Side, qty: Decimal, price: Decimal, fee: Decimal = _ZERO) -> None:
        """Fold one execution of ``qty`` at ``price`` into the position."""
        signed = qty if side is Side.BUY else -qty
        if side is Side.BUY:
            self.bought_qty += qty
        else:
            self.sold_qty += qty
        if self.qty == 0 or (self.qty > 0) == (signed > 0):
            total = abs(self.qty) + qty
            self.avg_cost = (abs(self.qty) * self.avg_cost + qty * price) / total
            self.qty += signed
        else:
            closed = min(qty, abs(self.qty))
            direction = 1 if self.qty > 0 else -1
            self.realized_pnl += closed * (price - self.avg_cost) * direction
            self.qty += signed
            if self.qty == 0:
                self.avg_cost = _ZERO
            elif (self.qty > 0) != (direction > 0):
                self.avg_cost = price  # crossed zero: the residual opens at this fill's price
        self.realized_pnl -= fee
        self.fees += fee
        self.mark = price


class PositionBook:
    """Every (account, symbol) position, fed by fills and marked by prices."""

    def __init__(self) -> None:
        self.positions: dict[tuple[str, str], Position] = {}

    def apply_fill(
        self, account: str, symbol: str, side: Side, qty: Decimal, price: Decimal, fee: Decimal = _ZERO
    ) -> Position:
        """Fold a fill into its position and return the position."""
        position = self.open(account, symbol)
        position.apply_fill(side, qty, price, fee)
        return position

    def open(self, account: str, symbol: str) -> Position:
        """Return the position, creating a flat one if there is none."""
        key = (account, symbol)
        position = self.positions.get(key)
        if position is None:
            position = self.positions[key] = Position(account, symbol)
        return position

    def mark(self, symbol: str, price: Decimal) -> None:
        """Set the mark of every position in ``symbol``."""
        for (_, pos_symbol), position in self.positions.items():
            if pos_symbol == symbol:
                position.mark = price

    def get(self, account: str, symbol: str) -> Position | None:
        """Return the position, if any."""
        return self.positions.get((account, symbol))
