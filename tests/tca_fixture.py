"""The TCA fixture of issue 18: four orders at two venues, a piecewise-constant mid path, and the figures the
issue states for them (to 1e-4 bps). Shared by the unit tests of ``tca`` and the contract test of ``fixgw tca``."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from domain.enums import OrdStatus, Side
from domain.tca_records import FillRecord, OrderRecord

T0_NS = 1_780_000_000_000_000_000
"""Time 0 of the fixture (2026-05-28 UTC)."""
SYMBOL = "MSFT"


def at(seconds: str) -> int:
    """The fixture's time ``seconds`` after T0, in ns."""
    return T0_NS + int(Decimal(seconds) * 1_000_000_000)


MID_PATH = [
    ("0", "100.00"),
    ("0.9", "100.015"),
    ("1.2", "100.02"),
    ("5", "100.03"),
    ("9", "100.05"),
    ("10.5", "100.03"),
    ("12", "100.00"),
    ("20", "100.00"),
    ("20.8", "100.01"),
    ("25", "99.99"),
    ("60", "100.04"),
    ("61", "100.06"),
    ("70", "100.02"),
    ("80", "100.00"),
]
MIDS = [(at(t), Decimal(mid)) for t, mid in MID_PATH]


def _order(
    order_id: str, venue: str, side: Side, qty: str, status: OrdStatus, created: str, ended: str, **kw: Any
) -> OrderRecord:
    fields: dict[str, Any] = {
        "order_id": f"O{'ABCD'.index(order_id) + 1}",
        "cl_ord_id": order_id,
        "account": "ACCT1",
        "symbol": SYMBOL,
        "side": side,
        "venue": venue,
        "order_qty": Decimal(qty),
        "status": status,
        "arrival_bid": None,
        "arrival_ask": None,
        "decision_px": None,
        "created_ns": at(created),
        "updated_ns": at(ended),
    }
    return OrderRecord(**(fields | kw))


ORDERS = [
    # A: arrival mid 100.00 (99.99 / 100.01), the sender decided at 99.99.
    _order(
        "A",
        "VENUE",
        Side.BUY,
        "300",
        OrdStatus.FILLED,
        "0",
        "0.5",
        arrival_bid=Decimal("99.99"),
        arrival_ask=Decimal("100.01"),
        decision_px=Decimal("99.99"),
    ),
    # B: arrival mid 100.05, decision 100.05 given; half filled at 10 s, the rest canceled at 15 s (mid 100.00).
    _order(
        "B",
        "VENUE",
        Side.SELL,
        "200",
        OrdStatus.CANCELED,
        "9",
        "15",
        arrival_bid=Decimal("100.04"),
        arrival_ask=Decimal("100.06"),
        decision_px=Decimal("100.05"),
    ),
    # C: no decision price from the sender: the arrival mid stands in for it.
    _order(
        "C",
        "POOL",
        Side.BUY,
        "100",
        OrdStatus.FILLED,
        "20",
        "20",
        arrival_bid=Decimal("99.995"),
        arrival_ask=Decimal("100.005"),
    ),
    # D: rejected by the venue, no market data at arrival.
    _order("D", "POOL", Side.BUY, "50", OrdStatus.REJECTED, "30", "30"),
]


def _fill(exec_id: str, order: OrderRecord, t: str, qty: str, px: str, bid: str, ask: str) -> FillRecord:
    return FillRecord(
        exec_id=exec_id,
        order_id=order.order_id,
        venue=order.venue or "",
        symbol=SYMBOL,
        side=order.side,
        qty=Decimal(qty),
        px=Decimal(px),
        ts_ns=at(t),
        bid=Decimal(bid),
        ask=Decimal(ask),
    )


A, B, C, D = ORDERS
FILLS = [
    _fill("A-1", A, "0", "100", "100.01", "99.99", "100.01"),
    _fill("A-2", A, "0.5", "200", "100.02", "99.99", "100.01"),
    _fill("B-1", B, "10", "100", "100.04", "100.04", "100.06"),
    _fill("C-1", C, "20", "100", "100.00", "99.995", "100.005"),
]

EXPECTED_ORDERS = {
    # order (ClOrdID): slippage bps, IS cash, IS bps, markouts 1 s / 5 s / 60 s, fill ratio
    "A": ("1.6667", "8.0000", "2.6669", ("0.1667", "1.3331", "2.3330"), "1.0000"),
    "B": ("0.9995", "6.0000", "2.9985", ("0.9996", "3.9984", "1.9992"), "0.5000"),
    "C": ("0.0000", "0.0000", "0.0000", ("1.0000", "-1.0000", "0.0000"), "1.0000"),
    "D": (None, None, None, (None, None, None), "0.0000"),
}
EXPECTED_VENUES = {
    # venue: reject rate, fill ratio, slippage bps, markouts 1 s / 5 s / 60 s
    "VENUE": ("0.0000", "0.8000", "1.4999", ("0.3749", "1.9995", "2.2495")),
    "POOL": ("0.5000", "0.6667", "0.0000", ("1.0000", "-1.0000", "0.0000")),
}
