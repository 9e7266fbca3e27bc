"""A price-time priority limit order book per symbol. Pure: no I/O, no clock.

Theory of operation: each side keeps its price levels in a sorted list of keys (bids negated, so index 0 is
the best price on both sides), a FIFO deque of resting orders per level and each level's total open quantity. An
incoming order trades against the best level first, oldest order first, at the resting order's price, until it is
filled or the next level is worse than its limit. A market order has no limit. What is left rests (limit DAY/GTC)
or is canceled (market, IOC). A FOK order trades only if the whole quantity is available within its limit.

A book built with a ``BookListener`` (``matching.changes``) tells it each new level total (0: gone) and each trade
as they happen; without one it pays a single ``is None`` test per change.
"""

from __future__ import annotations

import bisect
from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal

from domain.enums import OrdType, Side, TimeInForce
from matching.changes import BookListener

_ZERO = Decimal(0)


@dataclass(slots=True, eq=False)
class SimOrder:
    """An order at the venue."""

    order_id: str
    symbol: str
    side: Side
    ord_type: OrdType
    order_qty: Decimal
    price: Decimal | None
    time_in_force: TimeInForce = TimeInForce.DAY
    owner: object = None
    """Who to report to (a session), or None for the venue's own seeded liquidity."""
    cl_ord_id: str = ""
    account: str = ""
    cum_qty: Decimal = _ZERO
    filled_value: Decimal = _ZERO

    @property
    def leaves_qty(self) -> Decimal:
        """Quantity still open."""
        return self.order_qty - self.cum_qty

    @property
    def avg_px(self) -> Decimal:
        """Average fill price (0 before the first fill)."""
        return self.filled_value / self.cum_qty if self.cum_qty else _ZERO

    def fill(self, qty: Decimal, price: Decimal) -> None:
        """Record an execution of ``qty`` at ``price``."""
        self.cum_qty += qty
        self.filled_value += qty * price


@dataclass(slots=True, frozen=True)
class Trade:
    """One match between an incoming (taker) and a resting (maker) order."""

    taker: SimOrder
    maker: SimOrder
    qty: Decimal
    price: Decimal


@dataclass(slots=True)
class MatchResult:
    """What happened to an incoming order."""

    trades: list[Trade] = field(default_factory=list)
    rested: bool = False
    canceled_qty: Decimal = _ZERO


class _Side:
    """One side of a book: sorted level keys, a FIFO and the total open quantity per level."""

    __slots__ = ("keys", "levels", "listener", "side", "sign", "symbol", "totals")

    def __init__(self, symbol: str, side: Side, listener: BookListener | None) -> None:
        self.symbol = symbol
        self.side = side
        self.sign = -1 if side is Side.BUY else 1  # bids negated, so that the best (highest) bid sorts first
        self.listener = listener
        self.keys: list[Decimal] = []
        self.levels: dict[Decimal, deque[SimOrder]] = {}
        self.totals: dict[Decimal, Decimal] = {}
        """Per level key: the leaves quantity of its orders, kept as they change (depth without a sum)."""

    def add(self, order: SimOrder) -> None:
        assert order.price is not None
        key = order.price * self.sign
        level = self.levels.get(key)
        if level is None:
            level = self.levels[key] = deque()
            total = _ZERO
            bisect.insort(self.keys, key)
        else:
            total = self.totals[key]
        level.append(order)
        total = self.totals[key] = total + order.order_qty - order.cum_qty
        if self.listener is not None:
            self.listener.level_changed(self.symbol, self.side, order.price, total)

    def resize(self, key: Decimal, delta: Decimal) -> None:
        """Change the total of a level that stays on the book by ``delta``."""
        total = self.totals[key] = self.totals[key] + delta
        if self.listener is not None:
            self.listener.level_changed(self.symbol, self.side, key * self.sign, total)

    def best(self) -> deque[SimOrder] | None:
        return self.levels[self.keys[0]] if self.keys else None

    def drop_level(self, price: Decimal) -> None:
        key = price * self.sign
        del self.levels[key]
        del self.totals[key]
        self.keys.pop(bisect.bisect_left(self.keys, key))
        if self.listener is not None:
            self.listener.level_changed(self.symbol, self.side, price, _ZERO)

    def remove(self, order: SimOrder) -> bool:
        if order.price is None:  # a market order never rests
            return False
        key = order.price * self.sign
        level = self.levels.get(key)
        if level is None or order not in level:
            return False
        level.remove(order)
        if level:
            self.resize(key, -order.leaves_qty)
        else:
            self.drop_level(order.price)
        return True

    def reduce(self, order: SimOrder, order_qty: Decimal) -> None:
        """Lower a resting order's quantity in place (it keeps its priority); nothing left open takes it off."""
        assert order.price is not None
        before = order.leaves_qty
        if order_qty <= order.cum_qty:
            self.remove(order)
            order.order_qty = order.cum_qty
            return
        order.order_qty = order_qty
        self.resize(order.price * self.sign, order.leaves_qty - before)

    def take(self, taker: SimOrder, level: deque[SimOrder], price: Decimal, result: MatchResult) -> None:
        """Trade ``taker`` against the best level (at ``price``), oldest order first."""
        listener = self.listener
        taken = _ZERO
        while level and taker.leaves_qty > 0:
            maker = level[0]
            qty = min(taker.leaves_qty, maker.leaves_qty)
            taker.fill(qty, price)
            maker.fill(qty, price)
            taken += qty
            result.trades.append(Trade(taker, maker, qty, price))
            if listener is not None:
                listener.traded(self.symbol, price, qty)
            if maker.leaves_qty == 0:
                level.popleft()
        if not level:
            self.drop_level(price)
            return
        key = self.keys[0]
        total = self.totals[key] = self.totals[key] - taken
        if listener is not None:
            listener.level_changed(self.symbol, self.side, price, total)

    def depth(self, limit: int = 0) -> list[tuple[Decimal, Decimal]]:
        keys = self.keys[:limit] if limit else self.keys
        return [(k * self.sign, self.totals[k]) for k in keys]


class OrderBook:
    """The limit order book of one symbol."""

    def __init__(self, symbol: str, listener: BookListener | None = None) -> None:
        """``listener``: told of every level change and trade (``matching.changes``); None costs nothing."""
        self.symbol = symbol
        self.bids = _Side(symbol, Side.BUY, listener)
        self.asks = _Side(symbol, Side.SELL, listener)

    def submit(self, order: SimOrder) -> MatchResult:
        """Match ``order`` against the book, then rest or cancel what is left."""
        result = MatchResult()
        if order.time_in_force is TimeInForce.FILL_OR_KILL and self._available(order) < order.order_qty:
            result.canceled_qty = order.leaves_qty
            return result
        self._match(order, result)
        if order.leaves_qty > 0:
            if order.ord_type is OrdType.MARKET or order.time_in_force in (
                TimeInForce.IMMEDIATE_OR_CANCEL,
                TimeInForce.FILL_OR_KILL,
            ):
                result.canceled_qty = order.leaves_qty
            else:
                self._own_side(order).add(order)
                result.rested = True
        return result

    def rest(self, order: SimOrder) -> None:
        """Put a limit order at the back of its price level without matching it (restoring a book)."""
        self._own_side(order).add(order)

    def cancel(self, order: SimOrder) -> bool:
        """Take a resting order off the book; False when it is not resting."""
        return self._own_side(order).remove(order)

    def replace(self, order: SimOrder, order_qty: Decimal, price: Decimal | None) -> MatchResult | None:
        """Change a resting order's terms as venues do; None when it is not resting.

        A smaller quantity at the same price keeps the order's place in the queue; a new price or a larger
        quantity loses it (the order goes to the back, and may trade at once if the new price crosses). A new
        quantity at or below what is already filled leaves nothing open.
        """
        side = self._own_side(order)
        if not self.is_resting(order):
            return None
        keeps_priority = price == order.price and order_qty <= order.order_qty
        if keeps_priority or order_qty <= order.cum_qty:
            side.reduce(order, order_qty)
            return MatchResult(rested=order.leaves_qty > 0)
        side.remove(order)
        order.order_qty = order_qty
        order.price = price
        return self.submit(order)

    def is_resting(self, order: SimOrder) -> bool:
        """True when ``order`` is on the book."""
        if order.price is None:
            return False
        level = self._own_side(order).levels.get(order.price * self._own_side(order).sign)
        return level is not None and order in level

    def resting(self, side: Side) -> list[SimOrder]:
        """The orders resting on ``side``, best price first, oldest first within a price."""
        book_side = self.bids if side is Side.BUY else self.asks
        return [order for key in book_side.keys for order in book_side.levels[key]]

    def would_trade(self, order: SimOrder) -> bool:
        """True when ``order`` would trade at once against the other side."""
        contra = self._contra_side(order)
        return bool(contra.keys) and self._crosses(order, contra.keys[0] * contra.sign)

    def depth(self, limit: int = 0) -> tuple[list[tuple[Decimal, Decimal]], list[tuple[Decimal, Decimal]]]:
        """Return (bids, asks) as (price, total quantity) from the best level outwards; ``limit`` levels a side
        (0: all)."""
        return self.bids.depth(limit), self.asks.depth(limit)

    def _own_side(self, order: SimOrder) -> _Side:
        return self.bids if order.side is Side.BUY else self.asks

    def _contra_side(self, order: SimOrder) -> _Side:
        return self.asks if order.side is Side.BUY else self.bids

    def _crosses(self, order: SimOrder, price: Decimal) -> bool:
        if order.ord_type is OrdType.MARKET or order.price is None:
            return True
        return price <= order.price if order.side is Side.BUY else price >= order.price

    def _match(self, taker: SimOrder, result: MatchResult) -> None:
        contra = self._contra_side(taker)
        while taker.leaves_qty > 0:
            level = contra.best()
            if level is None:
                return
            price = level[0].price
            assert price is not None
            if not self._crosses(taker, price):
                return
            contra.take(taker, level, price, result)

    def _available(self, order: SimOrder) -> Decimal:
        total = _ZERO
        contra = self._contra_side(order)
        for key in contra.keys:
            if not self._crosses(order, key * contra.sign):
                break
            total += contra.totals[key]
            if total >= order.order_qty:
                break
        return total


class MatchingEngine:
    """One order book per symbol, created on first use."""

    def __init__(self, listener: BookListener | None = None) -> None:
        """``listener``: told of every change of every book (``matching.changes``), e.g. to publish market data."""
        self.books: dict[str, OrderBook] = {}
        self._listener = listener

    def book(self, symbol: str) -> OrderBook:
        """Return the book of ``symbol``."""
        book = self.books.get(symbol)
        if book is None:
            book = self.books[symbol] = OrderBook(symbol, self._listener)
        return book

    def submit(self, order: SimOrder) -> MatchResult:
        """Match ``order`` in its symbol's book."""
        return self.book(order.symbol).submit(order)

    def seed(self, symbol: str, reference_price: Decimal, tick: Decimal, depth: int, level_qty: Decimal) -> None:
        """Rest ``depth`` levels of house liquidity each side, one tick apart, around ``reference_price``.

        House liquidity never trades when it is seeded: a level that would cross an order already resting
        (members' orders restored after a restart) is left out.
        """
        book = self.book(symbol)
        for level in range(1, depth + 1):
            for side, price in (
                (Side.BUY, reference_price - tick * level),
                (Side.SELL, reference_price + tick * level),
            ):
                house = SimOrder(f"HOUSE-{symbol}-{side.name}-{level}", symbol, side, OrdType.LIMIT, level_qty, price)
                if not book.would_trade(house):
                    book.rest(house)
