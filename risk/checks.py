"""Pre-trade checks: pure functions returning a ``Denial`` or None. Texts name the limit and the value."""

from decimal import Decimal

import msgspec

from domain.commands import ReplaceOrder, SubmitOrder
from domain.enums import OrdRejReason, OrdType, Side
from risk.controls import TradingState
from risk.limits import EffectiveLimits, LimitSet

OrderTerms = SubmitOrder | ReplaceOrder
"""A new order, or the new terms of a replace: both are checked the same way."""


class Denial(msgspec.Struct, frozen=True):
    """Why an order is refused: OrdRejReason (103) and a Text (58) a human can act on."""

    reason: OrdRejReason
    text: str


def check_quantity(order: OrderTerms) -> Denial | None:
    """OrderQty (38) must be positive."""
    if order.order_qty <= 0:
        return Denial(OrdRejReason.INCORRECT_QUANTITY, f"OrderQty (38) must be positive, got {order.order_qty}")
    return None


def check_price(order: OrderTerms) -> Denial | None:
    """A limit order needs a positive Price (44)."""
    if order.ord_type is OrdType.LIMIT:
        if order.price is None:
            return Denial(OrdRejReason.OTHER, "Price (44) is required for a limit order (40=2)")
        if order.price <= 0:
            return Denial(OrdRejReason.OTHER, f"Price (44) must be positive, got {order.price}")
    return None


def check_known_symbol(order: OrderTerms, reference_price: Decimal | None) -> Denial | None:
    """The symbol must be one we trade (it then has a reference price)."""
    if reference_price is None:
        return Denial(OrdRejReason.UNKNOWN_SYMBOL, f"Unknown symbol {order.symbol!r}: not tradable on this gateway")
    return None


def check_max_order_qty(order: OrderTerms, limits: EffectiveLimits) -> Denial | None:
    """OrderQty must not exceed the max order quantity."""
    limit = limits.max_order_qty
    if limit is not None and order.order_qty > limit:
        return Denial(
            OrdRejReason.ORDER_EXCEEDS_LIMIT,
            f"max order quantity exceeded: OrderQty {order.order_qty} > limit {limit} "
            f"(account {order.account}, {order.symbol})",
        )
    return None


def check_max_notional(order: OrderTerms, limits: EffectiveLimits, reference_price: Decimal) -> Denial | None:
    """OrderQty x price (the limit price, or the reference price for a market order) must not exceed the limit."""
    limit = limits.max_notional
    if limit is None:
        return None
    price = order.price if order.ord_type is OrdType.LIMIT and order.price is not None else reference_price
    notional = order.order_qty * price
    if notional > limit:
        return Denial(
            OrdRejReason.ORDER_EXCEEDS_LIMIT,
            f"max notional exceeded: {order.order_qty} x {price} = {notional} > limit {limit} "
            f"(account {order.account}, {order.symbol})",
        )
    return None


def check_restricted(order: OrderTerms, limits: LimitSet) -> Denial | None:
    """The symbol must not be on a restricted list that applies to the order."""
    if order.symbol in limits.restricted_symbols:
        return Denial(OrdRejReason.BROKER_OPTION, f"{order.symbol} is restricted for account {order.account}")
    return None


def check_price_band(order: OrderTerms, limits: LimitSet, reference: Decimal) -> Denial | None:
    """A limit price must lie within the band around the reference price."""
    band = limits.price_band_pct
    if band is None or order.ord_type is not OrdType.LIMIT or order.price is None:
        return None
    if abs(order.price - reference) * 100 > band * reference:  # no division on the passing path
        distance = abs(order.price - reference) / reference * 100
        return Denial(
            OrdRejReason.OTHER,
            f"price band: {order.price} is {distance:.2f}% from reference {reference} (band {band}%, {order.symbol})",
        )
    return None


def check_position_limit(order: OrderTerms, limits: LimitSet, position: Decimal, working: Decimal) -> Denial | None:
    """The position after this order and every working order on its side must stay within the long/short limit."""
    if order.side is Side.BUY:
        limit, projected, kind = limits.max_long_qty, position + working + order.order_qty, "long"
    else:
        limit, projected, kind = limits.max_short_qty, -(position - working - order.order_qty), "short"
    if limit is not None and projected > limit:
        return Denial(
            OrdRejReason.ORDER_EXCEEDS_LIMIT,
            f"max {kind} position exceeded: position {position}, working {working}, order {order.order_qty} "
            f"-> {kind} {projected} > limit {limit} (account {order.account}, {order.symbol})",
        )
    return None


def check_credit(order: OrderTerms, limits: LimitSet, used: Decimal, price: Decimal) -> Denial | None:
    """Open-order plus position notional, with this order, must stay within the account's credit limit."""
    limit = limits.credit_limit
    if limit is None:
        return None
    needed = used + order.order_qty * price
    if needed > limit:
        return Denial(
            OrdRejReason.BROKER_OPTION,
            f"credit limit exceeded: {used} in use + {order.order_qty} x {price} = {needed} > limit {limit} "
            f"(account {order.account})",
        )
    return None


def check_daily_loss(order: OrderTerms, limits: LimitSet, pnl: Decimal) -> Denial | None:
    """An account whose loss reached the limit may not add orders."""
    limit = limits.max_daily_loss
    if limit is not None and -pnl >= limit:
        return Denial(OrdRejReason.BROKER_OPTION,
                      f"loss limit reached: P&L {pnl} <= -{limit} (account {order.account})")  # fmt: skip
    return None


def check_trading_state(
    order: OrderTerms, state: TradingState, why: str, position: Decimal, working: Decimal
) -> Denial | None:
    """HALTED refuses everything; REDUCE_ONLY only what shrinks the position (with working orders counted)."""
    if state is TradingState.HALTED:
        return Denial(OrdRejReason.BROKER_OPTION, f"trading halted for account {order.account}: {why}")
    if state is TradingState.REDUCE_ONLY:
        reducing = (position > 0 and order.side is Side.SELL) or (position < 0 and order.side is Side.BUY)
        if not reducing or working + order.order_qty > abs(position):
            return Denial(OrdRejReason.BROKER_OPTION,
                          f"account {order.account} is reduce-only ({why}): position {position}, working {working}, "
                          f"this {order.side.name} {order.order_qty} would not reduce it")  # fmt: skip
    return None
