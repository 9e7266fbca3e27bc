"""Routing rules: which venue an order goes to."""

from __future__ import annotations

from domain.commands import SubmitOrder
from domain.ids import VenueId


class Router:
    """Route by symbol, else to the default venue."""

    def __init__(self, by_symbol: dict[str, VenueId], default: VenueId | None) -> None:
        self._by_symbol = by_symbol
        self._default = default

    def route(self, order: SubmitOrder) -> VenueId | None:
        """Return the venue for ``order``, or None when no rule matches."""
        return self._by_symbol.get(order.symbol, self._default)
