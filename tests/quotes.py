"""A small in-memory ``domain.marketdata.Quotes`` for the readers' tests: a top of book per symbol, set by the test.

It answers as the protocol says the live books do: no mid for a symbol with no book, a one-sided, crossed or locked
book, or a stale one, and the reason in words; ``bid_ask`` gives only what a usable book has.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass
class Top:
    """One symbol's best bid and offer, last trade, and whether its feed went stale."""

    bid: Decimal | None = None
    ask: Decimal | None = None
    last: Decimal | None = None
    stale: bool = False


class MemoryQuotes:
    """``Quotes`` over top-of-book values a test sets with ``set``."""

    def __init__(self) -> None:
        self.tops: dict[str, Top] = {}
        self.mid_calls = 0

    def set(
        self,
        symbol: str,
        bid: str | None = None,
        ask: str | None = None,
        last: str | None = None,
        *,
        stale: bool = False,
    ) -> None:
        """Give ``symbol`` this top of book (a side left out is empty)."""
        self.tops[symbol] = Top(
            Decimal(bid) if bid is not None else None,
            Decimal(ask) if ask is not None else None,
            Decimal(last) if last is not None else None,
            stale,
        )

    def bid_ask(self, symbol: str) -> tuple[Decimal | None, Decimal | None]:
        """The best bid and offer of a usable book."""
        top = self.tops.get(symbol)
        if top is None or self._unusable(top) in ("stale", "crossed"):
            return None, None
        return top.bid, top.ask

    def mid(self, symbol: str) -> tuple[Decimal | None, str]:
        """The mid, or None and why not."""
        self.mid_calls += 1
        top = self.tops.get(symbol)
        if top is None:
            return None, "no book"
        why = self._unusable(top)
        if why:
            return None, why
        assert top.bid is not None and top.ask is not None
        return (top.bid + top.ask) / 2, ""

    def last_trade(self, symbol: str) -> Decimal | None:
        """The last trade price set."""
        top = self.tops.get(symbol)
        return top.last if top is not None else None

    @staticmethod
    def _unusable(top: Top) -> str:
        if top.stale:
            return "stale"
        if top.bid is None or top.ask is None:
            return "one-sided" if top.bid is not None or top.ask is not None else "no book"
        return "crossed" if top.bid >= top.ask else ""
