"""The house's fair value of each symbol, and the ladders of house liquidity that follow it, at one venue or several.

Theory of operation. A symbol's fair value is a base (its reference price, or where the simulator's order flow has
walked it, ``set_base``) plus an offset that only adverse selection moves (``after_command``): after a command in
which members bought a symbol on balance, the offset drops by the venue's ``adverse_bps`` (at least a tick), after
net selling it rises, and it stays (a permanent impact, as information leaves a price). Every venue that ``join``\\ s
the market keeps one ``HouseLadder`` per symbol around the fair value: after each command that traded with a member
(and after each move) the ladders are rested again, so the house's liquidity is whole after every fill.

Why a market can be shared. The gateway measures markouts on its consolidated mid (best bid and best offer over
every venue's book). Two venues whose fair values part by two ticks or more lock or cross that book, and a crossed
consolidated book has no mid at all; so a move seen at one venue only is no use to a measure taken across venues.
The gateway's internal pools therefore join one market: a member's fill at the adverse pool moves the fair value
every pool quotes around, as a trade that leaks information moves the whole market, and the consolidated mid moves
by the full amount, against the member, while the books stay uncrossed. A ``fixgw venue`` process has a market of
its own (each simulator is its own world); see README "Venue behaviours" for what that means with two of them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from matching.behaviour import VenueBehaviour
from matching.book import MatchingEngine
from matching.house import HouseLadder

_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class _Member:
    name: str
    ladders: dict[str, HouseLadder]
    publish: Callable[[], None]


class HouseMarket:
    """Fair values and the house ladders of every venue that quotes around them."""

    def __init__(self, references: Mapping[str, Decimal], tick: Decimal, depth: int, level_qty: Decimal) -> None:
        """``references``: symbol -> the price its books were seeded around (the base fair value)."""
        self.tick = tick
        self._depth = depth
        self._level_qty = level_qty
        self._base = dict(references)
        self._offset = dict.fromkeys(references, _ZERO)
        self._members: list[_Member] = []

    def join(self, name: str, engine: MatchingEngine, publish: Callable[[], None]) -> None:
        """Keep ``engine``'s house liquidity around the fair values from now on, adopting the ladders it was seeded
        with; ``publish`` sends what a move did to its books as market data (called with its lock held)."""
        ladders = {
            symbol: HouseLadder(engine.book(symbol), self.tick, self._depth, self._level_qty) for symbol in self._base
        }
        self._members.append(_Member(name, ladders, publish))

    def fair(self, symbol: str) -> Decimal:
        """The symbol's fair value: base plus adverse offset (never below ``depth + 1`` ticks)."""
        return max(self._base[symbol] + self._offset[symbol], self.tick * (self._depth + 1))

    def offset(self, symbol: str) -> Decimal:
        """How far adverse selection has moved the symbol's fair value from its base."""
        return self._offset[symbol]

    def set_base(self, symbol: str, base: Decimal) -> None:
        """Move the base (the order flow's step) and the ladders with it; the caller publishes."""
        self._base[symbol] = base
        self._requote(symbol)

    def ladders(self, name: str) -> dict[str, HouseLadder]:
        """The ladders of the member ``name``."""
        return next(m.ladders for m in self._members if m.name == name)

    def after_command(self, member_fills: Mapping[str, Decimal], behaviour: VenueBehaviour | None) -> None:
        """After a command of a venue: move each symbol members traded on balance (``member_fills``: symbol -> net
        quantity bought, negative if sold) by that venue's adverse selection, rest every ladder of those symbols
        again, and publish the other venues' books (the venue that ran the command publishes its own)."""
        if not member_fills:
            return
        moved = False
        for symbol, net in member_fills.items():
            if symbol not in self._base:
                continue
            if behaviour is not None and (move := behaviour.adverse_move(net, self.fair(symbol), self.tick)):
                self._offset[symbol] += move
                moved = True
            self._requote(symbol)
        if moved or len(self._members) > 1:
            for member in self._members:
                member.publish()

    def _requote(self, symbol: str) -> None:
        fair = self.fair(symbol)
        for member in self._members:
            member.ladders[symbol].move_to(fair)
