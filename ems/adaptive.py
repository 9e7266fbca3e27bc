"""Adaptive routing: send a symbol's orders to the venue whose live score (expected cost in bps) is lowest.

Theory of operation. The live TCA engine (``tca.live``) publishes a ``VenueScore`` per venue and symbol whenever
one changes; ``on_score`` keeps the latest. ``decide`` runs on the order path for each order of an adaptive symbol
that no account or symbol rule took, and does no I/O: a few dict reads and comparisons of ``Decimal`` scores.

- *Trust.* A venue's score counts once ``n >= min_samples`` (orders it answered in its window) and it has a cost.
  Until every configured venue's does, the static rule (the default venue) applies: the warm-up.
- *Exploration.* Every ``explore_every``-th adaptive order of a symbol (a counter per symbol: the same orders in the
  same order give the same decisions) goes elsewhere: during the warm-up to the venue with the fewest samples, after
  it to the venues other than the incumbent in turn (the runner-up, with two). A venue that improves is seen to.
- *Hysteresis.* The incumbent keeps the flow until another venue is cheaper by more than ``hysteresis_bps``, so
  scores that cross back and forth by a hair do not make the flow flap.

Every decision says why (``Route.reason``): ``adaptive: POOL_A 0.8 bps < POOL_B 2.4 bps (n=120/115)``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple

import msgspec

from domain.ids import Symbol, VenueId
from domain.tca import VenueScore


class Route(NamedTuple):
    """Where an order goes (None: nowhere) and why."""

    venue: VenueId | None
    reason: str


class AdaptivePolicy(msgspec.Struct, frozen=True, kw_only=True):
    """The router's side of ``[routing.adaptive]`` (the engine's side is ``tca.live.LiveSettings``)."""

    symbols: frozenset[str]
    venues: tuple[VenueId, ...]
    """The candidates, in the order ties are broken."""
    min_samples: int
    hysteresis_bps: Decimal
    explore_every: int
    """0: never explore."""


class AdaptiveRouter:
    """The adaptive step of the router: latest scores in, a venue and its reason out."""

    def __init__(self, policy: AdaptivePolicy, static: VenueId | None) -> None:
        """``static``: where the static rule sends an adaptive symbol's orders (the default venue)."""
        self.policy = policy
        self._static = static
        self._scores: dict[str, dict[VenueId, VenueScore]] = {symbol: {} for symbol in policy.symbols}
        self._incumbent: dict[str, VenueId] = {}
        self._count: dict[str, int] = dict.fromkeys(policy.symbols, 0)

    def on_score(self, score: VenueScore) -> None:
        """Keep the latest score of a candidate venue (``VENUE_SCORES``)."""
        by_venue = self._scores.get(score.symbol)
        if by_venue is not None and score.venue in self.policy.venues:
            by_venue[score.venue] = score

    def scores(self) -> dict[str, list[VenueScore]]:
        """The latest scores by symbol, in the candidates' order (for the admin API)."""
        return {s: [v for venue in self.policy.venues if (v := by.get(venue))] for s, by in self._scores.items()}

    def incumbent(self, symbol: str) -> VenueId | None:
        """The venue that holds the symbol's flow now (None during the warm-up)."""
        return self._incumbent.get(symbol)

    def decide(self, symbol: Symbol) -> Route:
        """Where the next order of adaptive ``symbol`` goes."""
        policy = self.policy
        count = self._count[symbol] + 1
        self._count[symbol] = count
        explore = policy.explore_every > 0 and count % policy.explore_every == 0
        by_venue = self._scores[symbol]
        minimum = policy.min_samples
        ranked: list[tuple[Decimal, int, VenueScore]] = []
        for rank, venue in enumerate(policy.venues):
            score = by_venue.get(venue)
            if score is None or score.cost_bps is None or score.n < minimum:
                return self._warm_up(symbol, explore)
            ranked.append((score.cost_bps, rank, score))
        ranked.sort()
        best = ranked[0][2]
        held = self._incumbent.get(symbol)
        current = by_venue[held] if held is not None else None
        if current is None:  # the warm-up just ended: the static venue holds the flow until beaten
            current = by_venue.get(self._static) if self._static is not None else None
            if current is None:
                current = best
        if best is not current:
            assert best.cost_bps is not None and current.cost_bps is not None
            if best.cost_bps < current.cost_bps - policy.hysteresis_bps:
                current = best
        self._incumbent[symbol] = current.venue
        if explore:
            others = [entry[2] for entry in ranked if entry[2] is not current]
            other = others[(count // policy.explore_every - 1) % len(others)]
            reason = f"adaptive explore: {other.label} (incumbent {current.label}){_n(other, current)}"
            return Route(other.venue, reason)
        if current is best:
            runner_up = ranked[1][2]
            return Route(current.venue, f"adaptive: {current.label} < {runner_up.label}{_n(current, runner_up)}")
        return Route(
            current.venue,
            f"adaptive: {current.label} held, {best.label} within {policy.hysteresis_bps} bps{_n(current, best)}",
        )

    def _warm_up(self, symbol: str, explore: bool) -> Route:
        by_venue = self._scores[symbol]
        samples = [(_samples(by_venue.get(venue)), rank, venue) for rank, venue in enumerate(self.policy.venues)]
        fewest, _, venue = min(samples)
        need = f"{venue} n={fewest} < {self.policy.min_samples}"
        if explore:
            return Route(venue, f"adaptive explore (warm-up: {need})")
        self._incumbent.pop(symbol, None)
        return Route(self._static, f"adaptive warm-up ({need}): default {self._static}")


def _samples(score: VenueScore | None) -> int:
    # A venue with no cost yet (its fills not marked out) has no usable samples.
    return 0 if score is None or score.cost_bps is None else score.n


def _n(first: VenueScore, second: VenueScore) -> str:
    return f" (n={first.n}/{second.n})"
