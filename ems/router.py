"""Routing rules: which venue an order goes to, and why."""

from __future__ import annotations

from collections.abc import Mapping

from domain.commands import SubmitOrder
from domain.ids import VenueId
from domain.tca import VenueScore
from ems.adaptive import AdaptivePolicy, AdaptiveRouter, Route


class Router:
    """Route by account, else by symbol, else adaptively (symbols so configured), else to the default venue.

    The account rule wins: an account routed to a venue (e.g. the internal one, for flow the firm internalises)
    sends all its orders there, whatever the symbol's rule says. The reasons of the static rules are made once,
    here: routing by them costs a dict lookup.
    """

    def __init__(
        self,
        by_symbol: Mapping[str, VenueId],
        default: VenueId | None,
        by_account: Mapping[str, VenueId] | None = None,
        adaptive: AdaptivePolicy | None = None,
    ) -> None:
        self._by_symbol = {s: Route(v, f"symbol rule {s}: {v}") for s, v in by_symbol.items()}
        self._default = Route(default, f"default: {default}" if default else "no rule")
        self._by_account = {a: Route(v, f"account rule {a}: {v}") for a, v in (by_account or {}).items()}
        self.adaptive = AdaptiveRouter(adaptive, default) if adaptive is not None and adaptive.symbols else None
        """The adaptive step, or None when no symbol is routed adaptively (routing is then the static rules')."""
        self._adaptive_symbols = self.adaptive.policy.symbols if self.adaptive is not None else frozenset()

    def route(self, order: SubmitOrder) -> Route:
        """Where ``order`` goes (venue None when no rule matches) and why."""
        if self._by_account:
            route = self._by_account.get(order.account)
            if route is not None:
                return route
        route = self._by_symbol.get(order.symbol)
        if route is not None:
            return route
        if order.symbol in self._adaptive_symbols:
            assert self.adaptive is not None
            return self.adaptive.decide(order.symbol)
        return self._default

    def on_score(self, score: VenueScore) -> None:
        """A venue's new score (``VENUE_SCORES``)."""
        if self.adaptive is not None:
            self.adaptive.on_score(score)
