"""What each account has on: positions (fed by fills) and working orders (fed by the OMS), in memory.

Kept as running totals so that a check reads attributes, never sums over orders or positions on the order path:
one ``Cell`` per account and symbol (position, working quantity per side) and one ``AccountTotals`` per account
(open-order notional, position notionals, realized P&L in all and since the trading day began). Both objects live
as long as the engine, so the risk engine may hold on to them.

The trading day starts at a configured UTC time (``day_roll_utc``). Realized P&L of a fill counts towards the day
when the fill's time is in the current trading day; at the roll the day's realized P&L starts again from zero,
while unrealized P&L (open positions at their mark) carries over: a loss limit is about today's realized losses
and whatever the positions still hold.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import time
from decimal import Decimal
from typing import NamedTuple

from domain.enums import Side
from domain.events import OrderUpdated
from domain.ids import RISK_SESSION, OrderId
from domain.positions import Position, PositionBook

_ZERO = Decimal(0)
_BUY = Side.BUY  # an enum member lookup costs ~50 ns in Python 3.11; this runs per order update
DAY_NS = 86_400 * 1_000_000_000


def trading_day_start(ts_ns: int, roll: time) -> int:
    """The start (UTC ns) of the trading day that ``ts_ns`` falls in, for days that begin at ``roll`` UTC."""
    offset = ((roll.hour * 60 + roll.minute) * 60 + roll.second) * 1_000_000_000 + roll.microsecond * 1000
    return (ts_ns - offset) // DAY_NS * DAY_NS + offset


class Cell:
    """One account's exposure in one symbol."""

    __slots__ = ("qty", "reducing", "working_buy", "working_sell")

    def __init__(self) -> None:
        self.qty = _ZERO
        """Signed position (long positive)."""
        self.working_buy = _ZERO
        self.working_sell = _ZERO
        self.reducing = _ZERO
        """Of the working quantity, what the risk engine's own reducing orders still have open."""


class AccountTotals:
    """One account's running totals, exact as fills and marks move."""

    __slots__ = ("cost", "day_realized", "gross", "open_notional", "realized", "value")

    def __init__(self) -> None:
        self.open_notional = _ZERO
        """Sum of leaves x price of the working orders."""
        self.realized = _ZERO
        """Realized P&L since the book began."""
        self.day_realized = _ZERO
        """Realized P&L of fills in the current trading day."""
        self.cost = _ZERO
        """Sum of qty x avg_cost over positions."""
        self.value = _ZERO
        """Sum of qty x mark over positions."""
        self.gross = _ZERO
        """Sum of |qty| x mark over positions."""


class _Working(NamedTuple):
    account: str
    symbol: str
    side: Side
    leaves: Decimal
    notional: Decimal
    risk: bool


class Exposure:
    """Positions, working quantities and notionals per account, and the last trade price per symbol."""

    def __init__(self, reference_prices: dict[str, Decimal], day_roll: time = time(0), now_ns: int = 0) -> None:
        self.positions = PositionBook()
        self.marks: dict[str, Decimal] = dict(reference_prices)
        self._working: dict[OrderId, _Working] = {}
        self._cells: dict[tuple[str, str], Cell] = {}
        self._totals: dict[str, AccountTotals] = {}
        self._firm: dict[str, Cell] = {}
        self._by_symbol: dict[str, list[Position]] = defaultdict(list)
        self.day_roll = day_roll
        self.day_start_ns = trading_day_start(now_ns, day_roll)
        self.next_roll_ns = self.day_start_ns + DAY_NS

    # -- what the checks read ------------------------------------------------------------------------

    def cell(self, account: str, symbol: str) -> Cell:
        """The (lasting) exposure cell of ``account`` in ``symbol``."""
        cell = self._cells.get((account, symbol))
        if cell is None:
            cell = self._cells[account, symbol] = Cell()
        return cell

    def firm_cell(self, symbol: str) -> Cell:
        """The (lasting) working quantities of every account together in ``symbol`` (what firm limits count)."""
        cell = self._firm.get(symbol)
        if cell is None:
            cell = self._firm[symbol] = Cell()
        return cell

    def totals(self, account: str) -> AccountTotals:
        """The (lasting) running totals of ``account``."""
        totals = self._totals.get(account)
        if totals is None:
            totals = self._totals[account] = AccountTotals()
        return totals

    def position(self, account: str, symbol: str) -> Decimal:
        """Signed position (long positive)."""
        cell = self._cells.get((account, symbol))
        return cell.qty if cell is not None else _ZERO

    def working_of(self, order_id: OrderId) -> tuple[Decimal, Decimal]:
        """What one order still has working, and its notional (as counted in the account's credit)."""
        working = self._working.get(order_id)
        return (working.leaves, working.notional) if working is not None else (_ZERO, _ZERO)

    def working(self, account: str, symbol: str, side: Side) -> Decimal:
        """Quantity still working on one side."""
        cell = self._cells.get((account, symbol))
        if cell is None:
            return _ZERO
        return cell.working_buy if side is Side.BUY else cell.working_sell

    def account_notional(self, account: str) -> Decimal:
        """Open-order notional plus the absolute notional of every position at its mark."""
        t = self._totals.get(account)
        return t.open_notional + t.gross if t is not None else _ZERO

    def account_pnl(self, account: str) -> Decimal:
        """Realized (since the book began) plus unrealized P&L: realized + sum qty x (mark - avg_cost)."""
        t = self._totals.get(account)
        return t.realized + t.value - t.cost if t is not None else _ZERO

    def day_pnl(self, account: str) -> Decimal:
        """What the loss limit reads: realized P&L of the trading day plus unrealized P&L."""
        t = self._totals.get(account)
        return t.day_realized + t.value - t.cost if t is not None else _ZERO

    def cells(self) -> dict[tuple[str, str], Cell]:
        """Every (account, symbol) cell so far (a copy of the index: the cells themselves are live)."""
        return dict(self._cells)

    @property
    def working_orders(self) -> int:
        """How many orders have quantity working."""
        return len(self._working)

    def holders(self, symbol: str) -> list[Position]:
        """Every position ever opened in ``symbol`` (flat ones too), in the order they opened."""
        return self._by_symbol.get(symbol, [])

    def held(self, account: str) -> list[Position]:
        """The account's open positions."""
        return [p for (a, _), p in self.positions.positions.items() if a == account and p.qty != 0]

    # -- the trading day -----------------------------------------------------------------------------

    def roll_to(self, now_ns: int) -> None:
        """Start the trading day that ``now_ns`` is in (if it is a later one): the day's realized P&L restarts."""
        if now_ns < self.next_roll_ns:
            return
        self.day_start_ns = trading_day_start(now_ns, self.day_roll)
        self.next_roll_ns = self.day_start_ns + DAY_NS
        for totals in self._totals.values():
            totals.day_realized = _ZERO

    def set_day_roll(self, day_roll: time, now_ns: int) -> None:
        """Move the roll time (the day's realized P&L so far is kept)."""
        self.day_roll = day_roll
        self.day_start_ns = trading_day_start(now_ns, day_roll)
        self.next_roll_ns = self.day_start_ns + DAY_NS

    # -- what feeds it -------------------------------------------------------------------------------

    def on_order(self, update: OrderUpdated) -> None:
        """Follow one order change: its working quantity, and its fill if it had one."""
        old = self._working.pop(update.order_id, None)
        if old is not None:
            self._count_working(old, -1)
        if update.leaves_qty > 0:
            price = update.price if update.price is not None else self.marks.get(update.symbol, _ZERO)
            new = _Working(
                update.account,
                update.symbol,
                update.side,
                update.leaves_qty,
                update.leaves_qty * price,
                update.session == RISK_SESSION,
            )
            self._working[update.order_id] = new
            self._count_working(new, +1)
        if update.last_qty is not None and update.last_px is not None:
            self.roll_to(update.ts_ns)
            self._fill(update, update.last_qty, update.last_px)

    def _count_working(self, w: _Working, sign: int) -> None:
        cell = self.cell(w.account, w.symbol)
        firm = self.firm_cell(w.symbol)
        if w.side is _BUY:
            cell.working_buy += sign * w.leaves
            firm.working_buy += sign * w.leaves
        else:
            cell.working_sell += sign * w.leaves
            firm.working_sell += sign * w.leaves
        if w.risk:
            cell.reducing += sign * w.leaves
        self.totals(w.account).open_notional += sign * w.notional

    def _fill(self, update: OrderUpdated, qty: Decimal, price: Decimal) -> None:
        position = self.positions.get(update.account, update.symbol)
        if position is None:
            position = self.positions.open(update.account, update.symbol)
            self._by_symbol[update.symbol].append(position)
        totals = self.totals(update.account)
        realized = position.realized_pnl
        self._count(position, totals, -1)
        position.apply_fill(update.side, qty, price, update.fee)
        self._count(position, totals, +1)
        if update.ts_ns >= self.day_start_ns:  # a fill of an earlier day (restored at start) is not today's P&L
            totals.day_realized += position.realized_pnl - realized
        self.cell(update.account, update.symbol).qty = position.qty
        self._mark(update.symbol, price)

    @staticmethod
    def _count(p: Position, t: AccountTotals, sign: int) -> None:
        mark = p.mark if p.mark is not None else p.avg_cost
        t.realized += sign * p.realized_pnl
        t.cost += sign * p.qty * p.avg_cost
        t.value += sign * p.qty * mark
        t.gross += sign * abs(p.qty) * mark

    def _mark(self, symbol: str, price: Decimal) -> None:
        self.marks[symbol] = price
        for p in self._by_symbol[symbol]:
            old = p.mark if p.mark is not None else p.avg_cost
            if old != price:
                t = self._totals[p.account]
                t.value += p.qty * (price - old)
                t.gross += abs(p.qty) * (price - old)
                p.mark = price
