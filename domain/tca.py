"""What the live TCA engine reads and publishes (issue 18, "Adjust"): mids as they move, and venue scores.

A ``VenueScore`` is an expected cost, in basis points, of sending one more order in a symbol to a venue, from a
rolling window of what happened there; the EMS router prefers the cheapest (``ems.adaptive``). The engine that makes
them is ``tca.live``; the router only ever sees this type (ems never imports tca).
"""

from __future__ import annotations

from decimal import Decimal

import msgspec

from domain.ids import Symbol, VenueId


class MidObserved(msgspec.Struct, frozen=True, kw_only=True):
    """A book's mid changed: one venue's (``venue``) or the consolidated one (``venue`` None)."""

    venue: VenueId | None
    symbol: Symbol
    mid: Decimal
    ts_ns: int


class VenueScore(msgspec.Struct, frozen=True, kw_only=True):
    """A venue's expected cost in a symbol, over its rolling window (published on ``VENUE_SCORES``).

    ``cost_bps`` = slippage + fee - markout (qty-weighted means over the window's fills) + reject rate x the
    configured penalty; lower is better. None while it cannot be told: orders answered, none of their fills marked
    out yet (and not all rejected).
    """

    venue: VenueId
    symbol: Symbol
    cost_bps: Decimal | None
    n: int
    """Orders in the window the venue answered (filled, accepted or rejected): what ``min_samples`` counts."""
    fills: int
    """Fills in the window whose markout is in."""
    slippage_bps: Decimal | None
    """side x (fill px - arrival mid) / arrival mid x 1e4, qty-weighted (positive = cost)."""
    fee_bps: Decimal | None
    markout_bps: Decimal | None
    """side x (mid at fill + horizon - fill px) / fill px x 1e4, qty-weighted (positive = favourable)."""
    reject_rate: Decimal
    ts_ns: int
    label: str = ""
    """``POOL_A 0.8 bps``: made once per score, so that the router's reason costs a concatenation."""
