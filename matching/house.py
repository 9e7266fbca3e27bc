"""The house's resting ladder of one symbol: ``depth`` levels of ``level_qty`` a side, a tick apart, around a fair
value that moves.

Theory of operation. The ladder is one house order (no owner) per level: bids at fair - 1..depth ticks, asks at
fair + 1..depth ticks (the seeded shape of ``MatchingEngine.seed``, around the fair value instead of the reference).
``move_to`` first cancels every house order that no longer belongs (off the new ladder, or partly taken), then rests
what is missing, each at the back of its level. Cancelling first means a new house order can only meet a member's
order, never the house's own; and a house order that would trade with a member's (a member quoting through the fair
value) is left out, as at seeding: the house's resting liquidity never takes, only the noise takers do. A level
whose order is still whole and still belongs keeps it, and its place in the queue.
"""

from __future__ import annotations

from decimal import Decimal
from itertools import count

from domain.enums import OrdType, Side
from matching.book import OrderBook, SimOrder

Level = tuple[Side, Decimal]


class HouseLadder:
    """Keep one symbol's house liquidity around its fair value."""

    def __init__(self, book: OrderBook, tick: Decimal, depth: int, level_qty: Decimal) -> None:
        """Adopt the house orders already resting on ``book`` (the seeded ladder); there is at most one per level."""
        self._book = book
        self._tick = tick
        self._depth = depth
        self._level_qty = level_qty
        self._ids = count(1)
        self.orders: dict[Level, SimOrder] = {}
        """The house order resting at each level it holds."""
        self.left_out = 0
        """House orders not rested because they would have traded with a member's order."""
        for side in (Side.BUY, Side.SELL):
            for order in book.resting(side):
                if order.owner is None and order.price is not None:
                    self._adopt(order)

    def move_to(self, fair: Decimal) -> None:
        """Make the ladder the one around ``fair``: cancel what does not belong or is partly taken, rest the rest."""
        wanted = self.levels(fair)
        for level, order in list(self.orders.items()):
            if level not in wanted or order.cum_qty or not self._book.is_resting(order):
                self._book.cancel(order)
                del self.orders[level]
        for level in wanted:
            if level not in self.orders:
                self._rest(level)

    def levels(self, fair: Decimal) -> list[Level]:
        """The ladder's levels around ``fair``, best first on each side."""
        steps = [self._tick * n for n in range(1, self._depth + 1)]
        return [(Side.BUY, fair - step) for step in steps] + [(Side.SELL, fair + step) for step in steps]

    def _adopt(self, order: SimOrder) -> None:
        assert order.price is not None
        level = (order.side, order.price)
        if level in self.orders:  # one house order a level: a second is surplus
            self._book.cancel(order)
        else:
            self.orders[level] = order

    def _rest(self, level: Level) -> None:
        side, price = level
        symbol = self._book.symbol
        order = SimOrder(f"HOUSE-{symbol}-{next(self._ids)}", symbol, side, OrdType.LIMIT, self._level_qty, price)
        if self._book.would_trade(order):
            self.left_out += 1
            return
        self._book.rest(order)
        self.orders[level] = order
