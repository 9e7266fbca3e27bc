"""Headroom: how much value each leg of a book may still take on, per side, before any portfolio limit of the book is
reached; kept after every change of the book, so that the pre-trade check passes an order within it with one
comparison (``risk.portfolio_checks``), and decides every other one in full.

Theory of operation. For a leg of value ``v`` in a book of gross ``G``, net ``N`` and variance ``s2``, with
``u = (S w)_i`` and ``own = S_ii``, an order (with the working orders on its side) adds a value ``d >= 0`` to the leg
when it buys and takes ``d`` when it sells:

- gross: ``G - |v| + |v + d| <= L`` for every ``d <= L - G``, plus ``2|v|`` when the order first shrinks the leg;
- net: ``|N + d| <= L`` for every ``d <= L - N`` when ``N >= -L`` (a short book over the limit has no room: the full
  check decides, and lets a reducing order through); selling, ``d <= L + N`` when ``N <= L``;
- VaR: ``s2 + 2ud + own d^2 <= B`` (``B = (max_var / z)^2``) up to the positive root, when ``s2 <= B``; selling,
  ``s2 - 2ud + own d^2 <= B`` likewise.

A leg's room on a side is the smallest of the three, kept as a *quantity* at the symbol's mark (``Decimal``,
rounded down): the check compares ``working + OrderQty`` with it, one ``Decimal`` addition and one comparison. Each
room is computed in floats and shrunk by ``_MARGIN`` of the magnitudes involved, so rounding can only send an order
to the full check, never let one through that the exact rule refuses; a leg whose room was never computed, or whose
symbol has no mark, has none (``-Infinity``).
"""

from __future__ import annotations

import math
from decimal import ROUND_FLOOR, Context, Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from risk.portfolio import Leg, PortfolioBook

_MARGIN = 1e-9
"""Relative margin: float rounding in these few operations is below 1e-15 of the magnitudes."""
_INF = math.inf
_ROOM = Context(prec=15, rounding=ROUND_FLOOR)
"""Rooms as quantities: 15 significant digits, rounded down (never more room than computed)."""
_NONE, _ALL = Decimal("-Infinity"), Decimal("Infinity")


class Bounds:
    """One book's portfolio limits (an account's effective ones, or ``[risk.firm]``) as the checks read them."""

    __slots__ = ("firm", "gross", "gross_f", "net", "net_f", "var", "var_bound", "z")

    def __init__(
        self, gross: Decimal | None, net: Decimal | None, var: Decimal | None, z: float, firm: bool = False
    ) -> None:
        self.gross, self.net, self.var, self.firm, self.z = gross, net, var, firm, z
        self.gross_f = float(gross) if gross is not None else _INF
        self.net_f = float(net) if net is not None else _INF
        self.var_bound = (float(var) / z) ** 2 if var is not None else None
        """``(max_var / z)^2``: the VaR limit as a variance (no square root to compare)."""

    def any(self) -> bool:
        """Whether any limit is set."""
        return self.gross is not None or self.net is not None or self.var is not None


NO_BOUNDS = Bounds(None, None, None, 1.0)


def fit(book: PortfolioBook) -> None:
    """Recompute the room of every leg of ``book`` (after its positions, marks or matrix moved, or its limits)."""
    for leg in book.legs.values():
        fit_leg(book, leg)


def fit_leg(book: PortfolioBook, leg: Leg) -> None:
    """Recompute one leg's room on each side from the book's figures and limits."""
    bounds = book.bounds
    if not bounds.any():
        leg.room_buy = leg.room_sell = _ALL
        return
    gross, net, v = book.gross_f, book.net_f, leg.value_f
    buy = sell = _INF
    if bounds.gross is not None:
        base = bounds.gross_f - gross - _MARGIN * (gross + bounds.gross_f)
        buy = base - 2.0 * v if v < 0 else base
        sell = base + 2.0 * v if v > 0 else base
    if bounds.net is not None:
        limit, margin = bounds.net_f, _MARGIN * (gross + bounds.net_f)
        buy = min(buy, limit - net - margin if net >= -limit else -_INF)
        sell = min(sell, limit + net - margin if net <= limit else -_INF)
    if bounds.var_bound is not None:
        var_buy, var_sell = _var_rooms(book.variance, leg.u, leg.market.own, bounds.var_bound * (1.0 - _MARGIN))
        buy, sell = min(buy, var_buy), min(sell, var_sell)
    mark = leg.market.mark_f if leg.market.mark is not None else 0.0
    leg.room_buy, leg.room_sell = _quantity(buy, mark), _quantity(sell, mark)


def _quantity(room: float, mark: float) -> Decimal:
    """A room in value as a quantity at ``mark``, rounded down."""
    if mark <= 0 or room == -_INF:
        return _NONE
    if room == _INF:
        return _ALL
    return _ROOM.create_decimal_from_float(room / mark)


def _var_rooms(variance: float, u: float, own: float, bound: float) -> tuple[float, float]:
    """The largest value a buy (adds) and a sell (takes) may move the leg by with ``variance`` staying <= ``bound``.

    Buying ``d``: ``own d^2 + 2ud - slack <= 0`` up to its positive root ``(sqrt(u^2 + own slack) - u) / own``, written
    ``slack / (sqrt(...) + u)`` where ``u > 0`` (no cancellation); selling is the same with ``-u``."""
    slack = bound - variance
    if slack < 0:
        return -_INF, -_INF
    disc = math.sqrt(u * u + own * slack)
    return _root(slack, disc, u, own), _root(slack, disc, -u, own)


def _root(slack: float, disc: float, u: float, own: float) -> float:
    if u > 0:
        return slack / (disc + u)
    if own > 0:
        return (disc - u) / own
    return _INF  # no variance of its own and a hedging (or no) covariance: the VaR does not grow that way
