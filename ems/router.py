"""Routing rules: which venue an order goes to."""

from __future__ import annotations

from collections.abc import Mapping

from domain.commands import SubmitOrder
from domain.ids import VenueId


class Router:
    """Route by account, else by symbol, else to the default venue.

    The account rule wins: an account routed to a venue (e.g. the internal one, for flow the firm internalises)
    sends all its orders there, whatever the symbol's rule says.
    """

    def __init__(
        self, by_symbol: Mapping[str, VenueId], default: VenueId | None, by_account: Mapping[str, VenueId] | None = None
    ) -> None:
        self._by_symbol = dict(by_symbol)
        self._default = default
        self._by_account = dict(by_account or {})

    def route(self, order: SubmitOrder) -> VenueId | None:
        """Return the venue for ``order``, or None when no rule matches."""
        if self._by_account:
            venue = self._by_account.get(order.account)
            if venue is not None:
                return venue
        return self._by_symbol.get(order.symbol, self._default)
