"""Commands: imperative requests to an engine, immutable, built once per message."""

from decimal import Decimal

import msgspec

from domain.enums import OrdType, Side, TimeInForce
from domain.ids import Account, ClOrdId, OrderId, SessionKey, Symbol


class SubmitOrder(msgspec.Struct, frozen=True, kw_only=True):
    """Ask the OMS to open an order (from NewOrderSingle, 35=D)."""

    session: SessionKey
    cl_ord_id: ClOrdId
    account: Account
    symbol: Symbol
    side: Side
    ord_type: OrdType
    order_qty: Decimal
    price: Decimal | None
    time_in_force: TimeInForce = TimeInForce.DAY
    ts_received_ns: int
    order_id: OrderId = OrderId("")
    """OrderID (37): empty until the OMS assigns one."""
