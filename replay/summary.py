"""The outcome of a replay, ready to print or to encode as JSON."""

from __future__ import annotations

from decimal import Decimal
from typing import Final

import msgspec

from domain.enums import OrdStatus
from replay.anomalies import Anomaly
from replay.reader import FileStats

MSG_TYPE_NAMES: Final = {
    "0": "Heartbeat",
    "1": "TestRequest",
    "2": "ResendRequest",
    "3": "Reject",
    "4": "SequenceReset",
    "5": "Logout",
    "6": "IOI",
    "7": "Advertisement",
    "8": "ExecutionReport",
    "9": "OrderCancelReject",
    "A": "Logon",
    "B": "News",
    "C": "Email",
    "D": "NewOrderSingle",
    "E": "NewOrderList",
    "F": "OrderCancelRequest",
    "G": "OrderCancelReplaceRequest",
    "H": "OrderStatusRequest",
    "J": "Allocation",
    "R": "QuoteRequest",
    "S": "Quote",
    "V": "MarketDataRequest",
    "W": "MarketDataSnapshotFullRefresh",
    "X": "MarketDataIncrementalRefresh",
    "Y": "MarketDataRequestReject",
    "j": "BusinessMessageReject",
    "k": "BidRequest",
    "q": "OrderMassCancelRequest",
    "r": "OrderMassCancelReport",
    "AE": "TradeCaptureReport",
}
_EXTRA_STATES: Final = {"5": "REPLACED"}  # FIX 4.2 OrdStatus that FIX 4.4 dropped


def msg_type_name(msg_type: str) -> str:
    """``8 ExecutionReport``; unknown types keep their code."""
    name = MSG_TYPE_NAMES.get(msg_type)
    return f"{msg_type} {name}" if name else (msg_type or "(none)")


def ord_status_name(status: str) -> str:
    """``FILLED`` for 39=2; an unknown value as ``39=x``."""
    try:
        return OrdStatus(status).name
    except ValueError:
        return _EXTRA_STATES.get(status, f"39={status}")


class PositionRow(msgspec.Struct, frozen=True, kw_only=True):
    """One position at the end of the replay."""

    session: str
    account: str
    symbol: str
    qty: Decimal
    avg_cost: Decimal
    realized_pnl: Decimal
    unrealized_pnl: Decimal
    mark: Decimal | None
    bought_qty: Decimal
    sold_qty: Decimal


class ReplaySummary(msgspec.Struct, kw_only=True):
    """Messages by type, orders by final state, positions and every anomaly found."""

    files: list[FileStats]
    messages: int
    messages_by_type: dict[str, int]
    skipped_messages: int
    """Messages left out of the book because of an integrity problem (strict mode)."""
    orders: int
    orders_by_state: dict[str, int]
    open_orders: int
    peak_open_orders: int
    orders_with_anomalies: int
    executions: int
    positions: list[PositionRow]
    anomalies_by_kind: dict[str, int]
    anomalies: list[Anomaly]

    def to_json(self) -> bytes:
        """Encode as JSON (Decimals as strings, so nothing is rounded)."""
        return msgspec.json.encode(self)
