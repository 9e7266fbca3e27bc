"""The replay book: orders rebuilt from their ClOrdID chains, with executions, positions and P&L.

Theory of operation: a chain starts at a NewOrderSingle (35=D) and is known, within its session, by every
ClOrdID (11) it has carried (the D's, each cancel's and replace's, and any a report or a cancel reject names
in 11 or 41) and by the OrderID (37) the receiver gave it. A request or report joins the chain its
OrigClOrdID (41) names, else its ClOrdID, else its OrderID. After a cancel reject the next request names the
still-live ClOrdID, which the chain already knows (Ireach). A report on an order the log never opened starts
a chain of its own, flagged: the order was placed before the log began, or the log is wrong.

The order's state is what its ExecutionReports say (OrdStatus, CumQty, LeavesQty, AvgPx, OrderQty, Price):
the log is the record, the book only checks it. CumQty must never go down, never pass OrderQty, equal
OrderQty - LeavesQty while the order is live, and at the end equal the sum of its fills' LastQty. Fills
(ExecType F; 1 and 2 before FIX 4.3) are the executions, each counted once per ExecID however often it was
logged or resent, and they feed ``oms.positions`` (average cost, realized and unrealized P&L) per session:
the two sides of one session see the same fills, two sessions (a client's, a venue's) each their own.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from typing import Final

import msgspec

from domain.enums import Side
from fixgw.codec.inbound import optional_decimal
from fixgw.errors import IncorrectDataFormat
from oms.positions import PositionBook
from replay.anomalies import Anomaly, AnomalyKind
from replay.message import LogMessage

_ZERO: Final = Decimal(0)
_NO_ORDER_ID: Final = frozenset({"", "NONE", "0", "UNKNOWN"})
_TERMINAL: Final = frozenset({"2", "3", "4", "8", "C"})
_LIVE_FOR_LEAVES: Final = frozenset({"0", "1", "5", "6", "A", "E"})
_FILL_EXEC_TYPES: Final = frozenset({"F", "1", "2"})
_NOT_A_TRADE: Final = frozenset({"1", "2", "3"})
"""ExecTransType (20, FIX 4.2): Cancel, Correct and Status reports are not new executions."""
_SIDES: Final = {"1": Side.BUY, "3": Side.BUY, "2": Side.SELL, "4": Side.SELL, "5": Side.SELL, "6": Side.SELL}
"""Side (54): buy minus counts as a buy; sell plus, sell short and sell short exempt as sells."""
_REPLACED_OR_CANCELED: Final = frozenset({"4", "5"})
_QUANTITY_KINDS: Final = frozenset(
    {AnomalyKind.CUM_QTY_DECREASED, AnomalyKind.OVERFILL, AnomalyKind.LEAVES_QTY_MISMATCH, AnomalyKind.FILLS_NE_CUM_QTY}
)


class ReplayFill(msgspec.Struct, gc=False):
    """One execution: a fill report's ExecID (17), LastQty (32) and LastPx (31)."""

    exec_id: str
    last_qty: Decimal
    last_px: Decimal
    time: str
    """TransactTime (60), else SendingTime (52), as written."""
    file: str
    line: int


class ReplayOrder:
    """One order chain and the state its reports give it."""

    __slots__ = (
        "account",
        "avg_px",
        "cl_ord_id",
        "cl_ord_ids",
        "created",
        "cum_qty",
        "exec_ids",
        "filled_qty",
        "fills",
        "flagged",
        "leaves_qty",
        "opened",
        "ord_rej_reason",
        "ord_type",
        "order_id",
        "order_qty",
        "pending_duplicates",
        "price",
        "reports",
        "root",
        "seq",
        "session",
        "side",
        "status",
        "symbol",
        "text",
        "time_in_force",
        "updated",
    )  # fmt: skip

    def __init__(self, seq: int, session: str, root: str, opened: bool) -> None:
        self.seq = seq
        self.session = session
        self.root = root
        """The first ClOrdID (11) of the chain."""
        self.cl_ord_id = root
        """The last accepted ClOrdID: a replace's or cancel's once 150=5 / 150=4 confirms it."""
        self.cl_ord_ids = [root]
        self.opened = opened
        """False when the log never showed the NewOrderSingle."""
        self.order_id: str | None = None
        self.account = ""
        self.symbol = ""
        self.side = ""
        self.ord_type = ""
        self.time_in_force = ""
        self.price: Decimal | None = None
        self.order_qty: Decimal | None = None
        self.status = "A"
        """OrdStatus (39) of the last report; PendingNew until the first."""
        self.cum_qty: Decimal | None = None
        self.leaves_qty: Decimal | None = None
        self.avg_px: Decimal | None = None
        self.ord_rej_reason: str | None = None
        self.text: str | None = None
        self.reports = 0
        self.fills: list[ReplayFill] = []
        self.filled_qty = _ZERO
        """The sum of the fills' LastQty."""
        self.exec_ids: set[str] = set()
        self.pending_duplicates = 0
        self.flagged: set[AnomalyKind] = set()
        """Every kind of anomaly found on this order."""
        self.created = ""
        """TransactTime (60) or SendingTime (52) of the first message, as written."""
        self.updated = ""
        """SendingTime (52) of the last message, as written."""

    @property
    def is_open(self) -> bool:
        """True while the order can still trade."""
        return self.status not in _TERMINAL

    @property
    def consistent(self) -> bool:
        """True when the order's quantities add up (CumQty, LeavesQty, fills)."""
        return not self.flagged & _QUANTITY_KINDS


class ReplayBook:
    """Orders, executions and positions rebuilt from the application messages of one or more logs."""

    def __init__(self) -> None:
        self.orders: list[ReplayOrder] = []
        self.anomalies: list[Anomaly] = []
        self.positions: dict[str, PositionBook] = {}
        """Per session, keyed (account, symbol) inside."""
        self.open_orders = 0
        self.peak_open_orders = 0
        self._by_cl_ord_id: dict[tuple[str, str], ReplayOrder] = {}
        self._by_order_id: dict[tuple[str, str], ReplayOrder] = {}
        self._marks: dict[tuple[str, str], Decimal] = {}
        self._handlers: dict[str, Callable[[LogMessage], None]] = {
            "D": self._new_order, "F": self._request, "G": self._request, "8": self._execution_report,
            "9": self._cancel_reject,
        }  # fmt: skip

    def apply(self, message: LogMessage) -> None:
        """Fold one message into the book (messages other than D, F, G, 8 and 9 change nothing)."""
        handler = self._handlers.get(message.msg_type)
        if handler is not None:
            handler(message)

    def finish(self) -> None:
        """Check what can only be checked at the end: fills against CumQty; mark positions to last prices."""
        for order in self.orders:
            if order.fills and order.cum_qty is not None and order.filled_qty != order.cum_qty:
                text = f"fills add up to {order.filled_qty}, CumQty (14) is {order.cum_qty}"
                last = order.fills[-1]
                self._flag(order, AnomalyKind.FILLS_NE_CUM_QTY, text, last.file, last.line, "8")
        for (session, symbol), price in self._marks.items():
            self.positions[session].mark(symbol, price)

    def order_states(self) -> Counter[str]:
        """How many orders ended in each OrdStatus (39)."""
        return Counter(order.status for order in self.orders)

    # -- requests ----------------------------------------------------------------------------------

    def _new_order(self, message: LogMessage) -> None:
        data = message.fields.data
        cl_ord_id = data.get("11")
        if not cl_ord_id:
            self._anomaly(message, AnomalyKind.BAD_VALUE, "NewOrderSingle without ClOrdID (11)")
            return
        key = (message.session, cl_ord_id)
        existing = self._by_cl_ord_id.get(key)
        if existing is not None:
            if not message.poss_dup:
                existing.pending_duplicates += 1
                self._anomaly(message, AnomalyKind.DUPLICATE_CL_ORD_ID,
                              f"NewOrderSingle reuses ClOrdID (11) {cl_ord_id!r}", existing)  # fmt: skip
            return
        order = self._open(message, cl_ord_id, opened=True)
        self._take_terms(order, message, from_report=False)

    def _request(self, message: LogMessage) -> None:
        """OrderCancelRequest (F) or OrderCancelReplaceRequest (G): link its ClOrdID to the chain."""
        data = message.fields.data
        cl_ord_id = data.get("11", "")
        orig = data.get("41", "")
        order = self._find(message.session, orig, cl_ord_id, data.get("37"))
        if order is None:
            name = "OrderCancelRequest" if message.msg_type == "F" else "OrderCancelReplaceRequest"
            text = f"{name} for unknown OrigClOrdID (41) {orig!r}"
            order = self._open(message, orig or cl_ord_id, opened=False)
            self._flag(order, AnomalyKind.BROKEN_CHAIN, text, message.file, message.line, message.msg_type)
            self._take_terms(order, message, from_report=False)
        self._link(order, message.session, cl_ord_id)

    def _cancel_reject(self, message: LogMessage) -> None:
        data = message.fields.data
        order = self._find(message.session, data.get("41", ""), data.get("11", ""), data.get("37"))
        if order is None:
            text = f"OrderCancelReject for unknown OrigClOrdID (41) {data.get('41')!r}"
            self._anomaly(message, AnomalyKind.BROKEN_CHAIN, text)
            return
        self._link(order, message.session, data.get("11", ""))

    # -- reports -----------------------------------------------------------------------------------

    def _execution_report(self, message: LogMessage) -> None:
        data = message.fields.data
        session = message.session
        cl_ord_id = data.get("11", "")
        order_id = data.get("37")
        status = data.get("39", "")
        order = self._find(session, data.get("41", ""), cl_ord_id, order_id)
        fill = self._is_fill(data, status)
        if order is None:
            kind = AnomalyKind.UNKNOWN_ORDER_FILL if fill else AnomalyKind.UNKNOWN_ORDER_REPORT
            what = "fill" if fill else f"report (39={status})"
            self._anomaly(message, kind, f"{what} on unknown ClOrdID (11) {cl_ord_id!r}, OrderID (37) {order_id!r}")
            if status == "8" or not cl_ord_id:
                return  # a reject of an order we never saw: nothing to track
            order = self._open(message, data.get("41") or cl_ord_id, opened=False)
        exec_id = data.get("17")
        if exec_id:
            if exec_id in order.exec_ids:
                if not message.poss_dup:
                    self._anomaly(message, AnomalyKind.DUPLICATE_EXEC_ID,
                                  f"ExecID (17) {exec_id!r} reported again; counted once", order)  # fmt: skip
                return
            order.exec_ids.add(exec_id)
        if (
            status == "8"
            and order.pending_duplicates
            and (data.get("103") == "6" or (order_id not in _NO_ORDER_ID and order_id != order.order_id))
        ):
            order.pending_duplicates -= 1  # the reject of a second order with this ClOrdID, not of this one
            return
        self._link(order, session, cl_ord_id)
        if order_id not in _NO_ORDER_ID and order_id is not None:
            if order.order_id is None:
                order.order_id = order_id
            self._by_order_id.setdefault((session, order_id), order)
        self._apply_report(order, message, status, fill)

    def _apply_report(self, order: ReplayOrder, message: LogMessage, status: str, fill: bool) -> None:
        data = message.fields.data
        order.reports += 1
        self._take_terms(order, message, from_report=True)
        exec_type = data.get("150")
        if exec_type in _REPLACED_OR_CANCELED and data.get("11"):
            order.cl_ord_id = data["11"]
        cum = self._decimal(message, order, 14)
        leaves = self._decimal(message, order, 151)
        avg = self._decimal(message, order, 6)
        if fill:
            self._fill(order, message)
        if cum is not None:
            if order.cum_qty is not None and cum < order.cum_qty:
                why = self._regression_reason(data)
                self._flag(order, AnomalyKind.CUM_QTY_DECREASED, f"CumQty (14) went from {order.cum_qty} to {cum}{why}",
                           message.file, message.line, "8", once=False)  # fmt: skip
            order.cum_qty = cum
        if leaves is not None:
            order.leaves_qty = leaves
        if avg is not None:
            order.avg_px = avg
        if status:
            self._set_status(order, status)
        else:
            self._anomaly(message, AnomalyKind.MISSING_TAG, "ExecutionReport without OrdStatus (39)", order)
        if data.get("103"):
            order.ord_rej_reason = data["103"]
        if data.get("58"):
            order.text = data["58"]
        self._check_quantities(order, message, status, cum, leaves)

    def _check_quantities(
        self, order: ReplayOrder, message: LogMessage, status: str, cum: Decimal | None, leaves: Decimal | None
    ) -> None:
        qty = order.order_qty
        if qty is None or cum is None:
            return
        if cum > qty:
            self._flag(order, AnomalyKind.OVERFILL, f"CumQty (14) {cum} exceeds OrderQty (38) {qty}",
                       message.file, message.line, "8")  # fmt: skip
            return
        # A report must agree with itself. One without OrderQty is held to the order's, except while PendingNew:
        # LeavesQty 0 until the order is accepted is common practice (Montran); with 38=1000 beside it, it is not.
        if leaves is None or status not in _LIVE_FOR_LEAVES or ("38" not in message.fields.data and status == "A"):
            return
        if qty - cum != leaves:
            text = f"LeavesQty (151) {leaves} but OrderQty (38) {qty} - CumQty (14) {cum} = {qty - cum}"
            self._flag(order, AnomalyKind.LEAVES_QTY_MISMATCH, text, message.file, message.line, "8")

    def _fill(self, order: ReplayOrder, message: LogMessage) -> None:
        last_qty = self._decimal(message, order, 32)
        last_px = self._decimal(message, order, 31)
        if not last_qty or last_px is None:
            fields = message.fields
            text = f"fill without LastQty (32) and LastPx (31): 32={fields.get(32)!r} 31={fields.get(31)!r}"
            self._anomaly(message, AnomalyKind.BAD_VALUE, text, order)
            return
        data = message.fields.data
        time = data.get("60") or data.get("52", "")
        order.fills.append(ReplayFill(data.get("17", ""), last_qty, last_px, time, message.file, message.line))
        order.filled_qty += last_qty
        if order.order_qty is not None and order.filled_qty > order.order_qty:
            self._flag(order, AnomalyKind.OVERFILL, f"fills add up to {order.filled_qty}, over OrderQty (38) "
                       f"{order.order_qty}", message.file, message.line, "8")  # fmt: skip
        side = _SIDES.get(order.side)
        if side is None:
            self._flag(order, AnomalyKind.BAD_VALUE, f"Side (54) {order.side!r}: fill not in positions",
                       message.file, message.line, "8")  # fmt: skip
            return
        book = self.positions.get(order.session)
        if book is None:
            book = self.positions[order.session] = PositionBook()
        book.apply_fill(order.account, order.symbol, side, last_qty, last_px)
        self._marks[order.session, order.symbol] = last_px

    # -- chains ------------------------------------------------------------------------------------

    def _open(self, message: LogMessage, root: str, *, opened: bool) -> ReplayOrder:
        order = ReplayOrder(len(self.orders) + 1, message.session, root, opened)
        data = message.fields.data
        order.created = data.get("60") or data.get("52", "")
        self.orders.append(order)
        self._by_cl_ord_id[message.session, root] = order
        self._count_open(None, order.status)
        return order

    def _find(self, session: str, orig: str, cl_ord_id: str, order_id: str | None) -> ReplayOrder | None:
        by_cl_ord_id = self._by_cl_ord_id
        order = by_cl_ord_id.get((session, orig)) if orig else None
        if order is None and cl_ord_id:
            order = by_cl_ord_id.get((session, cl_ord_id))
        if order is None and order_id and order_id not in _NO_ORDER_ID:
            order = self._by_order_id.get((session, order_id))
        return order

    def _link(self, order: ReplayOrder, session: str, cl_ord_id: str) -> None:
        if cl_ord_id and (session, cl_ord_id) not in self._by_cl_ord_id:
            self._by_cl_ord_id[session, cl_ord_id] = order
            order.cl_ord_ids.append(cl_ord_id)

    def _take_terms(self, order: ReplayOrder, message: LogMessage, *, from_report: bool) -> None:
        """Symbol, side, account and type from the order; quantity and price from its latest report."""
        data = message.fields.data
        if not order.symbol:
            order.symbol = data.get("55", "")
            order.side = data.get("54", "")
        if not order.account:
            order.account = data.get("1", "")
        if from_report or not order.reports:
            qty = self._decimal(message, order, 38)
            if qty is not None:
                order.order_qty = qty
            price = self._decimal(message, order, 44)
            if price is not None:
                order.price = price
            order.ord_type = data.get("40") or order.ord_type
            order.time_in_force = data.get("59") or order.time_in_force
        order.updated = data.get("52") or order.updated

    def _set_status(self, order: ReplayOrder, status: str) -> None:
        self._count_open(order.status, status)
        order.status = status

    def _count_open(self, before: str | None, after: str) -> None:
        was_open = before is not None and before not in _TERMINAL
        now_open = after not in _TERMINAL
        if was_open != now_open:
            self.open_orders += 1 if now_open else -1
            self.peak_open_orders = max(self.peak_open_orders, self.open_orders)

    # -- helpers -----------------------------------------------------------------------------------

    @staticmethod
    def _is_fill(data: dict[str, str], status: str) -> bool:
        if data.get("20") in _NOT_A_TRADE:
            return False
        exec_type = data.get("150")
        if exec_type is None:  # FIX 4.0/4.1 reports have no ExecType: a fill shows in OrdStatus and LastShares
            return status in ("1", "2") and data.get("32", "0") not in ("", "0")
        return exec_type in _FILL_EXEC_TYPES

    @staticmethod
    def _regression_reason(data: dict[str, str]) -> str:
        if data.get("20") == "1" or data.get("150") == "H":
            return f" (a trade cancel of ExecID {data.get('19', '?')!r}; its fill stays in the positions)"
        return ""

    def _decimal(self, message: LogMessage, order: ReplayOrder, tag: int) -> Decimal | None:
        try:
            return optional_decimal(message.fields, tag)
        except IncorrectDataFormat as exc:
            self._anomaly(message, AnomalyKind.BAD_VALUE, exc.text, order)
            return None

    def _flag(
        self,
        order: ReplayOrder,
        kind: AnomalyKind,
        text: str,
        file: str,
        line: int,
        msg_type: str,
        *,
        once: bool = True,
    ) -> None:
        """Record an anomaly of an order (by default once per kind and order)."""
        if once and kind in order.flagged:
            return
        order.flagged.add(kind)
        anomaly = Anomaly(
            kind=kind, text=text, file=file, line=line, msg_type=msg_type, session=order.session, order=order.root
        )
        self.anomalies.append(anomaly)

    def _anomaly(self, message: LogMessage, kind: AnomalyKind, text: str, order: ReplayOrder | None = None) -> None:
        if order is not None:
            order.flagged.add(kind)
        anomaly = Anomaly(
            kind=kind, text=text, file=message.file, line=message.line, msg_type=message.msg_type,
            seq_num=message.seq_num, session=message.session, order=order.root if order else "",
        )  # fmt: skip
        self.anomalies.append(anomaly)
