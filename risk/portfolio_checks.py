"""Pre-trade checks on an account's whole portfolio: max gross exposure, max net exposure, max VaR.

The order is counted as the position check counts it: the order's symbol as if this order and every working order
on its side there filled (``working + qty`` at the symbol's mark), the rest of the book as it is. A check refuses
only an order that *raises* its measure above the limit: the measure with this order is compared with the measure
with the working orders alone, so an order that lowers the risk passes even when the book is over the limit.

On the passing path each check is a handful of ``Decimal`` operations (gross, net: money) or float operations
(VaR: an estimate, ``risk.var``), and the VaR limit is compared as a variance (``(max_var / z)^2``, kept per slot):
no square root unless the order is refused.
"""

from __future__ import annotations

import math
from decimal import Decimal

from domain.enums import OrdRejReason, Side
from domain.verdicts import Denial
from risk.checks import OrderTerms
from risk.limits import FirmLimits, Limits
from risk.portfolio import Leg, PortfolioBook

_BUY = Side.BUY  # a module constant: an enum member lookup costs ~50 ns in Python 3.11
_CENT = Decimal("0.01")
_ZERO = Decimal(0)  # comparing with a Decimal, not the int 0, saves a conversion per order


def check_portfolio(
    order: OrderTerms,
    limits: Limits | FirmLimits,
    book: PortfolioBook,
    leg: Leg,
    working: Decimal,
    qty: Decimal,
    reference: Decimal,
    var_bound: float | None,
    z: float,
    firm: bool = False,
) -> Denial | None:
    """Gross, net and VaR of ``book`` with the order (``qty``) and ``working`` on its side filled must stay within
    the account's limits, unless the order lowers the measure.

    ``reference``: the order's value per unit where the symbol has no mark yet; ``var_bound``: ``(max_var / z)^2``;
    ``firm``: ``book`` is the firm's (``limits`` its ``[risk.firm]``, ``working`` every account's on the side).
    """
    market = leg.market
    mark = market.mark
    if mark is None:
        mark = reference
    added = (working + qty) * mark  # >= 0: the value the order and the working orders on its side add or take
    buy = order.side is _BUY
    limit = limits.max_gross_exposure
    if limit is not None:
        value = leg.value
        if (value >= _ZERO) if buy else (value <= _ZERO):  # the leg grows: the gross grows by what is added
            after = book.gross + added
        else:
            after = book.gross - leg.size + abs(value + added if buy else value - added)
        if after > limit:
            before = book.gross - leg.size + abs(value + _signed(buy, working * mark))
            if after > before:
                bound = f"> limit {limit}"
                return _denial(order, "gross_exposure", "gross exposure", book.gross, after, bound, working, firm)
    limit = limits.max_net_exposure
    if limit is not None:
        after = book.net + added if buy else book.net - added
        if abs(after) > limit and abs(after) > abs(book.net + _signed(buy, working * mark)):
            return _denial(order, "net_exposure", "net exposure", book.net, after, f"beyond ±{limit}", working, firm)
    if var_bound is not None:
        d = float(added) if buy else -float(added)
        after_v = book.variance + d * (2.0 * leg.u + d * market.own)
        if after_v > var_bound:
            w = float(_signed(buy, working * mark))
            if after_v > book.variance + w * (2.0 * leg.u + w * market.own):
                assert limits.max_var is not None
                return _var_denial(order, book.variance, after_v, limits.max_var, z, working, firm)
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
