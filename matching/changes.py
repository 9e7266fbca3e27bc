"""What the order books tell a listener: which price levels changed and which trades printed.

The books call a ``BookListener`` as they change (``matching.book``); ``BookChanges`` collects those calls until the
front that ran a command drains them, so that a publisher (the simulator's market data) learns, after each command,
each changed level's new total size (0: the level is gone) and every trade, in the order they printed. House
(seeded) liquidity is part of the book like any other order. No FIX here: what the changes become on the wire is
the publisher's business.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

from domain.enums import Side


class BookListener(Protocol):
    """Told of every change of a book, as it happens."""

    def level_changed(self, symbol: str, side: Side, price: Decimal, size: Decimal) -> None:
        """The level ``price`` of ``side`` now holds ``size`` in all (0: the level is gone)."""

    def traded(self, symbol: str, price: Decimal, qty: Decimal) -> None:
        """A trade of ``qty`` printed at ``price``."""


@dataclass(frozen=True, slots=True)
class LevelChange:
    """A price level's new total size; 0 when it is gone."""

    symbol: str
    side: Side
    price: Decimal
    size: Decimal


@dataclass(frozen=True, slots=True)
class Print:
    """A trade as the market sees it: no owners, only price and quantity."""

    symbol: str
    price: Decimal
    qty: Decimal


@dataclass(frozen=True, slots=True)
class ChangeSet:
    """What one or more commands did: each changed level once (its last size), trades in the order they printed."""

    levels: list[LevelChange] = field(default_factory=list)
    trades: list[Print] = field(default_factory=list)

    def symbols(self) -> set[str]:
        """Every symbol with a changed level or a trade."""
        return {c.symbol for c in self.levels} | {t.symbol for t in self.trades}

    def __bool__(self) -> bool:
        return bool(self.levels or self.trades)


class BookChanges:
    """A ``BookListener`` that keeps what changed until ``drain``: the last size of each level, every trade."""

    __slots__ = ("_levels", "_trades")

    def __init__(self) -> None:
        self._levels: dict[tuple[str, Side, Decimal], Decimal] = {}
        self._trades: list[Print] = []

    def level_changed(self, symbol: str, side: Side, price: Decimal, size: Decimal) -> None:
        """Remember the level's new size (a later change of the same level replaces it)."""
        self._levels[symbol, side, price] = size

    def traded(self, symbol: str, price: Decimal, qty: Decimal) -> None:
        """Remember the trade."""
        self._trades.append(Print(symbol, price, qty))

    def drain(self) -> ChangeSet:
        """Return what changed since the last drain, and forget it."""
        changes = ChangeSet(
            [LevelChange(symbol, side, price, size) for (symbol, side, price), size in self._levels.items()],
            self._trades,
        )
        self._levels = {}
        self._trades = []
        return changes

    def clear(self) -> None:
        """Forget what changed (nobody wants it)."""
        self._levels.clear()
        self._trades.clear()
