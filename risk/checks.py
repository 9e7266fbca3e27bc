"""Pre-trade checks: pure functions returning a ``Denial`` or None. Texts name the limit and the value."""

from decimal import Decimal

import msgspec

from domain.commands import ReplaceOrder, SubmitOrder
from domain.enums import OrdRejReason, OrdType
from risk.limits import EffectiveLimits

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
