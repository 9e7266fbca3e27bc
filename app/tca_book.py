"""Score the book of record: ``oms.store.tca`` reads what was captured, ``tca`` computes (issue 18).

The one place that hands the book's rows to the TCA arithmetic (``tca`` never imports ``oms``); ``fixgw tca`` and
its ``--plot`` use it, and so can anything else that wants the figures recomputed from the book.
"""

from __future__ import annotations

import msgspec

from oms.store import tca as store
from oms.store.database import BookDb
from tca.measures import HORIZONS_S, MidSeries
from tca.report import mid_windows
from tca.scorecard import VenueScore, scorecard
from tca.scores import OrderScore, score_orders


class BookScores(msgspec.Struct, frozen=True, kw_only=True):
    """Every order's scores and the scorecards made of them."""

    scores: list[OrderScore]
    venues: list[VenueScore]
    venue_symbols: list[VenueScore]


def score_book(
    engine: BookDb,
    *,
    venue: str | None = None,
    symbol: str | None = None,
    since_ns: int | None = None,
    horizons_s: tuple[int, ...] = HORIZONS_S,
) -> BookScores:
    """Score the routed orders booked since ``since_ns`` (all by default) of one venue and symbol (or all)."""
    orders = store.routed_orders(engine, venue=venue, symbol=symbol, since_ns=since_ns)
    fills = store.fills_of(engine, venue=venue, symbol=symbol, since_ns=since_ns)
    series = {
        name: MidSeries(*store.mid_series(engine, name, start, end))
        for name, (start, end) in mid_windows(orders, fills, horizons_s).items()
    }
    scores = score_orders(orders, fills, series, horizons_s)
    acks = store.ack_times(engine, orders)
    horizons = len(horizons_s)
    return BookScores(
        scores=scores,
        venues=scorecard(scores, acks, horizons=horizons),
        venue_symbols=scorecard(scores, acks, by_symbol=True, horizons=horizons),
    )
