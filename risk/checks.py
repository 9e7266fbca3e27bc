"""Pre-trade checks: pure functions returning a ``Denial`` or None. Texts name the limit and the value."""

from decimal import Context, Decimal
from typing import Final

from domain.commands import ReplaceOrder, SubmitOrder
from domain.enums import OrdRejReason, OrdType, Side
from domain.verdicts import Denial
from risk.controls import TradingState
from risk.limits import Limits

_EXACT = Context(prec=80)
"""Remainders of values NUMERIC(38, 12) holds (fixgw.codec.values) are exact at this precision; at the default 28
digits a quantity of 26 digits over a lot of 0.001 is a DivisionImpossible."""
_ZERO = Decimal(0)  # comparing with a Decimal, not the int 0, saves a conversion per order
# Enum members as module constants: in Python 3.11 ``OrdType.LIMIT`` is a class attribute lookup through the enum
# metaclass (about 50 ns), and the passing path of the catalogue reads these for every order.
_LIMIT = OrdType.LIMIT
_BUY = Side.BUY
_SELL = Side.SELL
_HALTED = TradingState.HALTED
_REDUCE_ONLY = TradingState.REDUCE_ONLY
OrderTerms = SubmitOrder | ReplaceOrder
"""A new order, or the new terms of a replace: both are checked the same way."""

CHECKS: Final = (
    "entitlement",
    "kill_switch",
    "quantity",
    "price",
    "unknown_symbol",
    "increments",
    "restricted",
    "trading_state",
    "no_reference",
    "max_order_qty",
    "max_notional",
    "price_band",
    "position_limit",
    "credit_limit",
    "gross_exposure",
    "net_exposure",
    "value_at_risk",
    "firm_gross_exposure",
    "firm_net_exposure",
    "firm_value_at_risk",
    "daily_loss",
    "order_rate",
    "session_order_rate",
    "duplicate",
    "message_rate",
    "session_message_rate",
)
"""Every ``Denial.check`` the risk engine gives, in catalogue order (``risk.pretrade``, then the message throttles of
``risk.admission``; the portfolio's three are ``risk.portfolio_checks``): the set monitoring counts denials by."""


def check_quantity(order: OrderTerms) -> Denial | None:
    """OrderQty (38) must be positive."""
    if order.order_qty <= _ZERO:
        return Denial(
            OrdRejReason.INCORRECT_QUANTITY, f"OrderQty (38) must be positive, got {order.order_qty}", check="quantity"
        )
    return None


def check_price(order: OrderTerms) -> Denial | None:
    """A limit order needs a positive Price (44)."""
    if order.ord_type is _LIMIT:
        if order.price is None:
            return Denial(OrdRejReason.OTHER, "Price (44) is required for a limit order (40=2)", check="price")
        if order.price <= _ZERO:
            return Denial(OrdRejReason.OTHER, f"Price (44) must be positive, got {order.price}", check="price")
    return None


def check_increments(order: OrderTerms, tick_size: Decimal, lot_size: Decimal) -> Denial | None:
    """OrderQty (38) must be a whole number of lots, and a limit Price (44) a whole number of ticks."""
    if _EXACT.remainder(order.order_qty, lot_size):
        return Denial(
            OrdRejReason.INCORRECT_QUANTITY,
            f"OrderQty (38) {order.order_qty} is not a multiple of the lot size {lot_size} of {order.symbol}",
            check="increments",
        )
    if order.price is not None and _EXACT.remainder(order.price, tick_size):
        return Denial(
            OrdRejReason.OTHER,
            f"Price (44) {order.price} is not a multiple of the tick size {tick_size} of {order.symbol}",
            check="increments",
        )
    return None


def check_known_symbol(symbol: str, known: bool) -> Denial | None:
    """The symbol must be one we trade (an ``[instruments]`` entry)."""
    if not known:
        return Denial(
            OrdRejReason.UNKNOWN_SYMBOL,
            f"Unknown symbol {symbol!r}: not tradable on this gateway",
            check="unknown_symbol",
        )
    return None


def check_no_reference(
    order: OrderTerms, no_reference: str, missing: str = "no trade yet and none configured"
) -> Denial | None:
    """An order in a symbol with no reference price yet: refused, unless ``skip_band`` and it is a limit order.

    ``missing``: what the text says was looked for and not found.
    """
    if no_reference == "skip_band" and order.ord_type is _LIMIT:
        return None
    why = "a market order cannot be valued" if no_reference == "skip_band" else "no_reference = reject"
    return Denial(OrdRejReason.OTHER, f"no reference price for {order.symbol}: {missing} ({why})", check="no_reference")


def check_max_order_qty(order: OrderTerms, limits: Limits) -> Denial | None:
    """OrderQty must not exceed the max order quantity."""
    limit = limits.max_order_qty
    if limit is not None and order.order_qty > limit:
        return Denial(
            OrdRejReason.ORDER_EXCEEDS_LIMIT,
            f"max order quantity exceeded: OrderQty {order.order_qty} > limit {limit} "
            f"(account {order.account}, {order.symbol})",
            check="max_order_qty",
        )
    return None


def check_max_notional(order: OrderTerms, limits: Limits, reference_price: Decimal) -> Denial | None:
    """OrderQty x price (the limit price, or the reference price for a market order) must not exceed the limit."""
    limit = limits.max_notional
    if limit is None:
        return None
    price = order.price if order.ord_type is _LIMIT and order.price is not None else reference_price
    notional = order.order_qty * price
    if notional > limit:
        return Denial(
            OrdRejReason.ORDER_EXCEEDS_LIMIT,
            f"max notional exceeded: {order.order_qty} x {price} = {notional} > limit {limit} "
            f"(account {order.account}, {order.symbol})",
            check="max_notional",
        )
    return None


def check_restricted(order: OrderTerms, limits: Limits) -> Denial | None:
    """The symbol must not be on a restricted list that applies to the order."""
    if order.symbol in limits.restricted_symbols:
        return Denial(
            OrdRejReason.BROKER_OPTION, f"{order.symbol} is restricted for account {order.account}", check="restricted"
        )
    return None


def band_bounds(band_pct: Decimal, reference: Decimal) -> tuple[Decimal, Decimal]:
    """The lowest and highest limit price within ``band_pct`` percent of ``reference``."""
    delta = band_pct * reference / 100  # exact: a division by 100 only moves the exponent
    return reference - delta, reference + delta


def check_price_band(
    order: OrderTerms,
    limits: Limits,
    reference: Decimal,
    bounds: tuple[Decimal, Decimal] | None = None,
    configured: Decimal | None = None,
    mid_why: str | None = None,
) -> Denial | None:
    """A limit price must lie within the band around the reference price (``bounds``: ``band_bounds`` of it).

    The text names the reference and its value: ``mid_why`` is "" when the reference is the mid, the reason the mid
    was unavailable when it is a fallback, None when no mid was asked for; a reference that is the object
    ``configured`` (the instrument's ``reference_price``) is the configured one, any other the last trade.
    """
    band = limits.price_band_pct
    if band is None or order.ord_type is not _LIMIT or order.price is None:
        return None
    low, high = bounds or band_bounds(band, reference)
    if low <= order.price <= high:
        return None
    kind = "mid" if mid_why == "" else "reference" if reference is configured else "last"
    fallback = f"; mid unavailable: {mid_why}" if mid_why else ""
    return Denial(
        OrdRejReason.OTHER,
        f"price band: {order.price} outside the {band}% band around {kind} {reference} ({low}-{high}) "
        f"for {order.symbol}{fallback}",
        check="price_band",
    )


def check_position_limit(
    order: OrderTerms, limits: Limits, position: Decimal, working: Decimal, qty: Decimal
) -> Denial | None:
    """The position after this order and every working order on its side must stay within the long/short limit.

    ``qty``: what the order adds to the working quantity (OrderQty; for a replace, its new leaves).
    """
    if order.side is _BUY:
        limit = limits.max_long_qty
        if limit is None or position + working + qty <= limit:
            return None
        kind, projected = "long", position + working + qty
    else:
        limit = limits.max_short_qty
        if limit is None or working + qty - position <= limit:
            return None
        kind, projected = "short", working + qty - position
    return Denial(
        OrdRejReason.ORDER_EXCEEDS_LIMIT,
        f"max {kind} position exceeded: position {position}, working {working}, order {qty} "
        f"-> {kind} {projected} > limit {limit} (account {order.account}, {order.symbol})",
        check="position_limit",
    )


def check_credit(order: OrderTerms, limits: Limits, used: Decimal, price: Decimal, qty: Decimal) -> Denial | None:
    """Open-order plus position notional, with this order's ``qty`` at ``price``, must stay within the account's
    credit limit (``qty``: OrderQty; for a replace, its new leaves)."""
    limit = limits.credit_limit
    if limit is None:
        return None
    needed = used + qty * price
    if needed > limit:
        return Denial(
            OrdRejReason.BROKER_OPTION,
            f"credit limit exceeded: {used} in use + {qty} x {price} = {needed} > limit {limit} "
            f"(account {order.account})",
            check="credit_limit",
        )
    return None


def check_daily_loss(order: OrderTerms, limits: Limits, pnl: Decimal) -> Denial | None:
    """An account whose loss in the trading day (realized since the roll + unrealized) reached the limit may not
    add orders."""
    limit = limits.max_daily_loss
    if limit is not None and -pnl >= limit:
        return Denial(
            OrdRejReason.BROKER_OPTION,
            f"loss limit reached: P&L {pnl} <= -{limit} (account {order.account})",
            check="daily_loss",
        )
    return None


def check_trading_state(
    order: OrderTerms, state: TradingState, why: str, position: Decimal, working: Decimal, qty: Decimal
) -> Denial | None:
    """HALTED refuses everything; REDUCE_ONLY only what shrinks the position (with working orders counted).

    ``qty``: what the order adds to the working quantity (OrderQty; for a replace, its new leaves).
    """
    if state is _HALTED:
        return Denial(
            OrdRejReason.BROKER_OPTION, f"trading halted for account {order.account}: {why}", check="trading_state"
        )
    if state is _REDUCE_ONLY:
        reducing = (position > 0 and order.side is _SELL) or (position < 0 and order.side is _BUY)
        if not reducing or working + qty > abs(position):
            return Denial(
                OrdRejReason.BROKER_OPTION,
                f"account {order.account} is reduce-only ({why}): position {position}, working {working}, "
                f"this {order.side.name} {qty} would not reduce it",
                check="trading_state",
            )
    return None
