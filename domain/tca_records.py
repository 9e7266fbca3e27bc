"""What the book of record captured for transaction cost analysis (issue 18), as plain values.

``oms.store.tca`` reads them from the book; ``tca`` scores them. Prices and quantities are ``Decimal`` exactly as
stored; times are ns from the gateway's clock (the same clock stamps orders, fills, the audit trail and the mids).
"""

from __future__ import annotations

from decimal import Decimal

import msgspec

from domain.enums import OrdStatus, Side


class OrderRecord(msgspec.Struct, frozen=True, kw_only=True):
    """An order as TCA sees it: what was asked, the prices of its arrival, and how it ended."""

    order_id: str
    cl_ord_id: str
    account: str
    symbol: str
    side: Side
    venue: str | None
    order_qty: Decimal
    """OrderQty (38) as it stands (after any replace)."""
    status: OrdStatus
    arrival_bid: Decimal | None
    """The consolidated best bid when the OMS booked the order (None without market data)."""
    arrival_ask: Decimal | None
    decision_px: Decimal | None
    """The sender's decision price (DecisionPx, tag 5900), where it gave one."""
    created_ns: int
    updated_ns: int
    """When it last changed: for a terminal order, when it ended."""
    route_reason: str | None = None


class FillRecord(msgspec.Struct, frozen=True, kw_only=True):
    """One execution, with the consolidated quote of the moment it was booked."""

    exec_id: str
    order_id: str
    venue: str
    symbol: str
    side: Side
    qty: Decimal
    """LastQty (32)."""
    px: Decimal
    """LastPx (31)."""
    ts_ns: int
    """When the gateway received the fill."""
    bid: Decimal | None
    ask: Decimal | None


class AckRecord(msgspec.Struct, frozen=True, kw_only=True):
    """An order's trip to its venue: when its NewOrderSingle (35=D) left and when the venue's first answer came."""

    order_id: str
    venue: str
    sent_ns: int
    answered_ns: int

    @property
    def latency_ns(self) -> int:
        """Order to first answer (ack or reject), in ns."""
        return self.answered_ns - self.sent_ns


MidPoints = list[tuple[int, Decimal]]
"""A symbol's mid series: (ts_ns, mid), oldest first; each mid holds until the next row (piecewise constant)."""
