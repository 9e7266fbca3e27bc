"""Pre-trade checks on an account's (or the firm's) whole portfolio: max gross exposure, max net exposure, max VaR.

The order is counted as the position check counts it: the order's symbol as if this order and every working order
on its side there filled (``working + qty`` at the symbol's mark), the rest of the book as it is. A check refuses
only an order that *raises* its measure above the limit: the measure with this order is compared with the measure
with the working orders alone, so an order that lowers the risk passes even when the book is over the limit.

Speed. Most orders are far from every limit: each leg keeps its *headroom* per side, the quantity that may still be
added before any limit of the book is reached (``risk.headroom``, recomputed after every change of the book), so
such an order passes on one ``Decimal`` addition and one comparison. Any other is decided in full. Gross and net are
money, so that decision is taken on ``Decimal`` figures, after a *screen* in floats (the book keeps its gross and
net as floats beside the ``Decimal`` ones): a float result below the limit by more than ``_SCREEN`` of the
magnitudes involved (a million times the rounding error of those few operations) passes, any other is computed
exactly. VaR is a float statistic throughout (``risk.var``), its limit compared as a variance (``(max_var / z)^2``):
no square root unless the order is refused.
"""

from __future__ import annotations

import math
from decimal import Decimal

from domain.enums import OrdRejReason, Side
from domain.verdicts import Denial
from risk.checks import OrderTerms
from risk.headroom import Bounds
from risk.portfolio import Leg, PortfolioBook

_BUY = Side.BUY  # a module constant: an enum member lookup costs ~50 ns in Python 3.11
_CENT = Decimal("0.01")
_ZERO = Decimal(0)
_SCREEN = 1e-9
"""Relative margin of the float screen: float rounding in a handful of operations is below 1e-15."""


def check_portfolio(
    order: OrderTerms,
    book: PortfolioBook,
    leg: Leg,
    working: Decimal,
    qty: Decimal,
    reference: Decimal,
) -> Denial | None:
    """Gross, net and VaR of ``book`` with the order (``qty``) and ``working`` on its side filled must stay within
    ``bounds``, unless the order lowers the measure.

    ``reference``: the order's value per unit where the symbol has no mark yet; for the firm's ``bounds``, ``book``
    is the firm's and ``working`` every account's on the order's side.
    """
    total = working + qty
    buy = order.side is _BUY
    if total < (leg.room_buy if buy else leg.room_sell):  # within every limit with room to spare (risk.headroom)
        return None
    market = leg.market
    mark_f = market.mark_f if market.mark is not None else float(reference)
    added = float(total) * mark_f  # >= 0: the value the order and the working orders on its side add or take
    bounds = book.bounds
    value = leg.value_f
    margin = _SCREEN * (book.gross_f + added)
    if bounds.gross is not None:
        if (value >= 0.0) if buy else (value <= 0.0):  # the leg grows: the gross grows by what is added
            after = book.gross_f + added
        else:
            after = book.gross_f - abs(value) + abs(value + added if buy else value - added)
        if after + margin >= bounds.gross_f and (denial := _gross(order, bounds, book, leg, working, qty, reference)):
            return denial
    if bounds.net is not None:
        after = book.net_f + added if buy else book.net_f - added
        if abs(after) + margin >= bounds.net_f and (denial := _net(order, bounds, book, leg, working, qty, reference)):
            return denial
    var_bound = bounds.var_bound
    if var_bound is not None:
        d = added if buy else -added
        after_v = book.variance + d * (2.0 * leg.u + d * market.own)
        if after_v > var_bound:
            w = (float(working) * mark_f) if buy else -(float(working) * mark_f)
            if after_v > book.variance + w * (2.0 * leg.u + w * market.own):
                assert bounds.var is not None
                return _var_denial(order, book.variance, after_v, bounds.var, bounds.z, working, bounds.firm)
    return None


def _gross(
    order: OrderTerms, bounds: Bounds, book: PortfolioBook, leg: Leg, working: Decimal, qty: Decimal, ref: Decimal
) -> Denial | None:
    """The gross limit, exactly."""
    mark = leg.market.mark if leg.market.mark is not None else ref
    buy = order.side is _BUY
    base = book.gross - leg.size
    after = base + abs(leg.value + _signed(buy, (working + qty) * mark))
    assert bounds.gross is not None
    if after > bounds.gross and after > base + abs(leg.value + _signed(buy, working * mark)):
        limit = f"> limit {bounds.gross}"
        return _denial(order, "gross_exposure", "gross exposure", book.gross, after, limit, working, bounds.firm)
    return None


def _net(
    order: OrderTerms, bounds: Bounds, book: PortfolioBook, leg: Leg, working: Decimal, qty: Decimal, ref: Decimal
) -> Denial | None:
    """The net limit (on |net|), exactly."""
    mark = leg.market.mark if leg.market.mark is not None else ref
    buy = order.side is _BUY
    after = book.net + _signed(buy, (working + qty) * mark)
    assert bounds.net is not None
    if abs(after) > bounds.net and abs(after) > abs(book.net + _signed(buy, working * mark)):
        limit = f"beyond ±{bounds.net}"
        return _denial(order, "net_exposure", "net exposure", book.net, after, limit, working, bounds.firm)
    return None


def _signed(buy: bool, value: Decimal) -> Decimal:
    return value if buy else -value


def _with(order: OrderTerms, working: Decimal) -> str:
    side = order.side.name
    return f" and the {working} working {side}" if working else ""


def _whose(order: OrderTerms, firm: bool) -> str:
    return "firm-wide, every account" if firm else f"account {order.account}"


def _denial(
    order: OrderTerms,
    check: str,
    what: str,
    now: Decimal,
    after: Decimal,
    limit: str,
    working: Decimal,
    firm: bool,
) -> Denial:
    return Denial(
        OrdRejReason.ORDER_EXCEEDS_LIMIT,
        f"max {'firm ' if firm else ''}{what} exceeded: {what} {now.quantize(_CENT)} now, {after.quantize(_CENT)} "
        f"with this {order.side.name} {order.order_qty} {order.symbol}{_with(order, working)} {limit} "
        f"({_whose(order, firm)})",
        check=f"firm_{check}" if firm else check,
    )


def _var_denial(
    order: OrderTerms, now: float, after: float, limit: Decimal, z: float, working: Decimal, firm: bool
) -> Denial:
    var_now, var_after = z * math.sqrt(max(now, 0.0)), z * math.sqrt(max(after, 0.0))
    return Denial(
        OrdRejReason.ORDER_EXCEEDS_LIMIT,
        f"max {'firm ' if firm else ''}VaR exceeded: 1-day VaR {var_now:.2f} now, {var_after:.2f} with this "
        f"{order.side.name} {order.order_qty} {order.symbol}{_with(order, working)} > limit {limit} "
        f"({_whose(order, firm)})",
        check="firm_value_at_risk" if firm else "value_at_risk",
    )
