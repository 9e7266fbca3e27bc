"""Marks from the live market data books over the admin API: ``GET /marks``, and how ``fixgw positions`` uses it.

The gateway serves, for every configured symbol, the consolidated mid, bid and offer and the last trade its books
(``domain.marketdata.Quotes``) hold, ``null`` where they hold none. ``fixgw positions`` asks a running gateway for
them and marks each position to the mid, else to the last trade the venues published, else (no gateway running,
or nothing there for the symbol) to the last fill in the book of record, as before there was market data.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from app.admin import AdminClient, Route
from app.config import load_config
from domain.marketdata import Quotes
from fixgw.errors import ConfigError

Answer = tuple[int, dict[str, Any]]
Mark = tuple[Decimal | None, str | None]
"""A position's mark and where it came from: ``mid``, ``last`` (the last trade on the venues), ``fill`` (the last
fill in the book), or None for none."""
MARKS_TIMEOUT_S = 2.0
"""How long ``fixgw positions`` waits for the gateway before it marks from the book alone."""


def marketdata_routes(quotes: Quotes, symbols: Iterable[str]) -> dict[tuple[str, str], Route]:
    """The market data routes, bound to the gateway's quotes and its configured symbols."""
    known = tuple(symbols)
    return {("GET", "/marks"): lambda _: marks(quotes, known)}


def marks(quotes: Quotes, symbols: Iterable[str]) -> Answer:
    """Each symbol's {mid, last, bid, ask}, prices as strings (exact), null where the books have none."""
    answer: dict[str, Any] = {}
    for symbol in symbols:
        bid, ask = quotes.bid_ask(symbol)
        mid, _ = quotes.mid(symbol)
        answer[symbol] = {
            "mid": _text(mid),
            "last": _text(quotes.last_trade(symbol)),
            "bid": _text(bid),
            "ask": _text(ask),
        }
    return 200, answer


def live_marks(settings: Path) -> dict[str, dict[str, str | None]]:
    """The running gateway's ``GET /marks``; empty when no gateway answers it (not running, or without the route).

    ``settings``: the gateway's settings file, which says where its admin token is.
    """
    try:
        client = AdminClient(load_config(settings).admin_token_path())
        status, answer = client.call("GET", "/marks", timeout=MARKS_TIMEOUT_S)
    except (ConfigError, ValueError):  # no settings or token file, nobody listening there, or not a JSON answer
        return {}
    return answer if status == 200 else {}


def mark_for(symbol: str, live: Mapping[str, Mapping[str, str | None]], fill: Decimal | None) -> Mark:
    """The mark of a position in ``symbol``: the live mid, else the live last trade, else ``fill`` (the book's)."""
    prices = live.get(symbol, {})
    for source in ("mid", "last"):
        if (price := prices.get(source)) is not None:
            return Decimal(price), source
    return fill, "fill" if fill is not None else None


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)
