"""The orders of a replayed book: one chain of ClOrdIDs each, the state its reports give it, its fills."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Final

import msgspec

from replay.anomalies import AnomalyKind

_ZERO: Final = Decimal(0)
TERMINAL: Final = frozenset({"2", "3", "4", "8", "C"})
"""OrdStatus (39) values of a closed order."""
_QUANTITY_KINDS: Final = frozenset(
    {AnomalyKind.CUM_QTY_DECREASED, AnomalyKind.OVERFILL, AnomalyKind.LEAVES_QTY_MISMATCH, AnomalyKind.FILLS_NE_CUM_QTY}
)
decimals: dict[str, Decimal] = {}
"""Decimals by their text: a log repeats the same quantities and prices over and over."""


def decimal_of(raw: str) -> Decimal | None:
    """``raw`` as a finite Decimal; None when it is not a number."""
    value = decimals.get(raw)
    if value is None:
        try:
            value = Decimal(raw)
        except InvalidOperation:
            return None
        if not value.is_finite():
            return None
        if len(decimals) < 100_000:
            decimals[raw] = value
    return value


class ReplayFill(msgspec.Struct, gc=False):
    """One execution: a fill report's ExecID (17), LastQty (32) and LastPx (31)."""

    exec_id: str
    last_qty: Decimal
    last_px: Decimal
    time: str
    """TransactTime (60), else SendingTime (52), as written."""
    file: str
    line: int


class ReplayOrder(msgspec.Struct, gc=False):
    """One order chain and the state its reports give it (a Struct: a million messages make many orders)."""

    seq: int
    session: str
    root: str
    """The first ClOrdID (11) of the chain."""
    opened: bool
    """False when the log never showed the NewOrderSingle."""
    cl_ord_id: str = ""
    """The last accepted ClOrdID: a replace's or cancel's once 150=5 / 150=4 confirms it."""
    cl_ord_ids: list[str] = msgspec.field(default_factory=list)
    session_rejected: bool = False
    """The receiver refused the NewOrderSingle itself (Reject 35=3 or BusinessMessageReject 35=j)."""
    received: bool | None = None
    """True when the log's writer is the order's sell side: it received the chain's first request, or sent its
    first report. In the gateway's own logs: True on a client session, False on a venue session. None when
    the log does not say which way the first message went."""
    order_id: str | None = None
    account: str = ""
    symbol: str = ""
    side: str = ""
    ord_type: str = ""
    time_in_force: str = ""
    price: Decimal | None = None
    order_qty: Decimal | None = None
    status: str = "A"
    """OrdStatus (39) of the last report; PendingNew until the first."""
    cum_qty: Decimal | None = None
    leaves_qty: Decimal | None = None
    ord_rej_reason: str | None = None
    text: str | None = None
    reports: int = 0
    fills: list[ReplayFill] = msgspec.field(default_factory=list)
    filled_qty: Decimal = _ZERO
    """The sum of the fills' LastQty."""
    exec_ids: set[str] = msgspec.field(default_factory=set)
    pending_duplicates: int = 0
    flagged: set[AnomalyKind] = msgspec.field(default_factory=set)
    """Every kind of anomaly found on this order."""
    created: str = ""
    """TransactTime (60) or SendingTime (52) of the first message, as written."""
    updated: str = ""
    """SendingTime (52) of the last message, as written."""
    qty_text: str = ""
    price_text: str = ""
    cum_text: str = ""
    leaves_text: str = ""
    avg_text: str = ""
    """The quantities and prices as last written: turned into Decimals only when they change."""

    @property
    def avg_px(self) -> Decimal | None:
        """AvgPx (6) of the last report that had one."""
        return decimal_of(self.avg_text) if self.avg_text else None

    @property
    def is_open(self) -> bool:
        """True while the order can still trade."""
        return self.status not in TERMINAL

    @property
    def consistent(self) -> bool:
        """True when the order's quantities add up (CumQty, LeavesQty, fills)."""
        return not self.flagged & _QUANTITY_KINDS
