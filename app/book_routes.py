"""Admin API routes over the live books: one symbol's book (consolidated or one venue's) and the feed's counters."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from app.admin import Route
from domain.ids import Symbol, VenueId

if TYPE_CHECKING:
    from app.market_data import GatewayMarketData

Answer = tuple[int, dict[str, Any]]
DEFAULT_DEPTH = 5


def book_routes(market: GatewayMarketData, symbols: frozenset[str]) -> dict[tuple[str, str], Route]:
    """The routes, bound to the gateway's market data."""
    return {
        ("GET", "/book/{symbol}"): lambda params: book(market, symbols, params),
        ("GET", "/marketdata"): lambda _: (200, market.counters()),
    }


def book(market: GatewayMarketData, symbols: frozenset[str], params: dict[str, Any]) -> Answer:
    """The book of ``symbol`` (body: ``venue``, ``depth``): 404 for an unknown symbol or venue, 400 for a bad depth.

    A stale book is shown (marked stale): an operator wants to see what the gateway last knew.
    """
    symbol = Symbol(params["symbol"])
    if symbol not in symbols:
        return 404, {"error": f"unknown symbol {symbol}"}
    depth = params.get("depth", DEFAULT_DEPTH)
    if not isinstance(depth, int) or isinstance(depth, bool) or depth < 0:
        return 400, {"error": f"depth must be a whole number >= 0 (0: every level), not {depth!r}"}
    books = market.books
    venue_name = params.get("venue")
    if venue_name is not None:
        venue = VenueId(str(venue_name))
        one = books.book(venue, symbol)
        if one is None:
            known = ", ".join(books.venues(symbol)) or "none"
            return 404, {"error": f"no book for {symbol} at venue {venue} (venues with one: {known})"}
        venues = [venue]
    else:
        venues = list(books.venues(symbol))
    bids, asks = books.depth(symbol, depth, venue=VenueId(str(venue_name)) if venue_name else None, stale_ok=True)
    mid, why = books.mid(symbol)
    bid, ask = books.bid_ask(symbol)
    last = books.last_trade(symbol)
    return 200, {
        "symbol": symbol,
        "venue": venue_name or "consolidated",
        "bids": _levels(bids),
        "asks": _levels(asks),
        "best_bid": _str(bid),
        "best_ask": _str(ask),
        "mid": _str(mid),
        "mid_unavailable": None if mid is not None else why,
        "last_trade": _str(last),
        "venues": {v: _state(market, v, symbol) for v in venues},
    }


def _state(market: GatewayMarketData, venue: VenueId, symbol: Symbol) -> dict[str, Any]:
    one = market.books.book(venue, symbol)
    if one is None:
        return {"live": False}
    return {
        "live": one.live,
        "stale": market.books.stale(venue, symbol),
        "crossed": one.crossed,
        "last_update_ns": one.last_update_ns,
    }


def _levels(levels: list[tuple[Decimal, Decimal]]) -> list[dict[str, str]]:
    return [{"price": str(price), "size": str(size)} for price, size in levels]


def _str(value: Decimal | None) -> str | None:
    return None if value is None else str(value)
