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
logged or resent, and they feed ``domain.positions`` (average cost, realized and unrealized P&L) per session:
the two sides of one session see the same fills, two sessions (a client's, a venue's) each their own.

The report path is written for speed (a million messages are replayed in seconds): quantities are kept as
the text the log gave and turned into Decimals only when that text changes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from typing import Final

from domain.enums import Side
from domain.positions import PositionBook
from replay.anomalies import AnomalyKind
from replay.chains import NO_ORDER_ID, Chains
from replay.message import LogMessage
from replay.orders import TERMINAL, ReplayFill, ReplayOrder
from replay.orders import decimals as _decimals

_ZERO: Final = Decimal(0)
_LIVE: Final = frozenset({"0", "1", "5", "6", "A", "E"})
"""OrdStatus (39) values in which LeavesQty must be OrderQty - CumQty."""
_FILL_EXEC_TYPES: Final = frozenset({"F", "1", "2"})
_NOT_A_TRADE: Final = frozenset({"1", "2", "3"})
"""ExecTransType (20, FIX 4.2): Cancel, Correct and Status reports are not new executions."""
_SIDES: Final = {"1": Side.BUY, "3": Side.BUY, "2": Side.SELL, "4": Side.SELL, "5": Side.SELL, "6": Side.SELL}
"""Side (54): buy minus counts as a buy; sell plus, sell short and sell short exempt as sells."""
_REPLACED_OR_CANCELED: Final = frozenset({"4", "5"})


class ReplayBook(Chains):
    """Orders, executions and positions rebuilt from the application messages of one or more logs."""

    def apply(self, message: LogMessage) -> None:
        """Fold one message into the book (messages other than D, F, G, 8, 9, 3 and j change nothing)."""
        handler = _HANDLERS.get(message.msg_type)
        if handler is not None:
            handler(self, message)

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
        cl_ord_id = message.tags.cl_ord_id
        if not cl_ord_id:
            self._anomaly(message, AnomalyKind.BAD_VALUE, "NewOrderSingle without ClOrdID (11)")
            return
        existing = self._by_cl_ord_id.get((message.session, cl_ord_id))
        if existing is not None:
            if not message.poss_dup:
                existing.pending_duplicates += 1
                text = f"NewOrderSingle reuses ClOrdID (11) {cl_ord_id!r}"
                self._anomaly(message, AnomalyKind.DUPLICATE_CL_ORD_ID, text, existing)
            return
        order = self._open(message, cl_ord_id, opened=True)
        self._take_terms(order, message)
        if message.seq_num is not None:
            self._new_orders[message.session, message.seq_num] = order

    def _request(self, message: LogMessage) -> None:
        """OrderCancelRequest (F) or OrderCancelReplaceRequest (G): link its ClOrdID to the chain."""
        tags = message.tags
        orig = tags.orig_cl_ord_id
        order = self._find(message.session, orig, tags.cl_ord_id, tags.order_id)
        if order is None:
            name = "OrderCancelRequest" if message.msg_type == "F" else "OrderCancelReplaceRequest"
            order = self._open(message, orig or tags.cl_ord_id, opened=False)
            self._flag(
                order,
                AnomalyKind.BROKEN_CHAIN,
                f"{name} for unknown OrigClOrdID (41) {orig!r}",
                message.file,
                message.line,
                message.msg_type,
            )
            self._take_terms(order, message)
        self._link(order, message.session, tags.cl_ord_id)

    def _cancel_reject(self, message: LogMessage) -> None:
        tags = message.tags
        order = self._find(message.session, tags.orig_cl_ord_id, tags.cl_ord_id, tags.order_id)
        if order is None:
            text = f"OrderCancelReject for unknown OrigClOrdID (41) {tags.orig_cl_ord_id!r}"
            self._anomaly(message, AnomalyKind.BROKEN_CHAIN, text)
            return
        self._link(order, message.session, tags.cl_ord_id)

    def _reject(self, message: LogMessage) -> None:
        """Reject (35=3) or BusinessMessageReject (35=j): when it names a NewOrderSingle, no order was opened."""
        tags = message.tags
        if tags.ref_msg_type not in ("", "D") or not tags.ref_seq_num.isdigit():
            return
        order = self._new_orders.get((message.session, int(tags.ref_seq_num)))
        if order is not None and not order.reports:
            order.session_rejected = True
            order.text = tags.text or order.text
            self._set_status(order, "8", message)

    # -- reports -----------------------------------------------------------------------------------

    def _execution_report(self, message: LogMessage) -> None:
        # The hot path of a replay (most messages are reports): lookups, Decimal conversions and status changes
        # are written out here rather than called, each in the same order as the helpers named beside them.
        tags = message.tags
        session = message.session
        cl_ord_id = tags.cl_ord_id
        order_id = tags.order_id
        status = tags.ord_status
        exec_type = tags.exec_type
        by_cl_ord_id = self._by_cl_ord_id
        orig = tags.orig_cl_ord_id
        order = by_cl_ord_id.get((session, orig)) if orig else None
        if order is None:  # self._find(session, "", cl_ord_id, order_id)
            if cl_ord_id:
                order = by_cl_ord_id.get((session, cl_ord_id))
            if order is None and order_id and order_id not in NO_ORDER_ID:
                order = self._by_order_id.get((session, order_id))
        if tags.exec_trans_type in _NOT_A_TRADE:
            fill = False
        elif not exec_type:  # FIX 4.0/4.1 reports have no ExecType: a fill shows in OrdStatus and LastShares
            fill = status in ("1", "2") and tags.last_qty not in ("", "0")
        else:
            fill = exec_type in _FILL_EXEC_TYPES
        if order is None:
            order = self._unknown_order(message, status, fill)
            if order is None:
                return
        exec_id = tags.exec_id
        if exec_id:
            exec_ids = order.exec_ids
            if exec_id in exec_ids:
                if not message.poss_dup:
                    text = f"ExecID (17) {exec_id!r} reported again; counted once"
                    self._anomaly(message, AnomalyKind.DUPLICATE_EXEC_ID, text, order)
                return
            exec_ids.add(exec_id)
        if status == "8" and order.pending_duplicates and self._rejects_duplicate(order, tags.ord_rej_reason, order_id):
            order.pending_duplicates -= 1  # the reject of a second order with this ClOrdID, not of this one
            return
        if cl_ord_id and cl_ord_id not in order.cl_ord_ids:
            self._link(order, session, cl_ord_id)
        if order_id != order.order_id and order_id not in NO_ORDER_ID:
            if order.order_id is None:
                order.order_id = order_id
            self._by_order_id.setdefault((session, order_id), order)
        order.reports += 1
        # The terms: symbol, side and account once; quantity and price when their text changes.
        if not order.symbol or not order.account:
            order.symbol = order.symbol or tags.symbol
            order.side = order.side or tags.side
            order.account = order.account or tags.account
        decimals = _decimals  # a local: read for every quantity of every report
        changed = False
        text = tags.order_qty
        if text and text != order.qty_text:
            order.qty_text = text
            value = decimals.get(text)
            order.order_qty = value if value is not None else self._number(message, order, text, 38)
            changed = True
        text = tags.price
        if text and text != order.price_text:
            order.price_text = text
            value = decimals.get(text)
            order.price = value if value is not None else self._number(message, order, text, 44)
        if tags.ord_type:
            order.ord_type = tags.ord_type
        if tags.time_in_force:
            order.time_in_force = tags.time_in_force
        order.updated = tags.sending_time or order.updated
        if exec_type in _REPLACED_OR_CANCELED and cl_ord_id:
            order.cl_ord_id = cl_ord_id
        text = tags.cum_qty
        if text and text != order.cum_text:
            changed = True
            value = decimals.get(text)
            previous = order.cum_qty
            if value is None or previous is None or value < previous:
                self._cum_qty(order, message, text)
            else:  # self._cum_qty, when CumQty did not go down
                order.cum_text = text
                order.cum_qty = value
        text = tags.leaves_qty
        if text and text != order.leaves_text:
            changed = True
            order.leaves_text = text
            value = decimals.get(text)
            order.leaves_qty = value if value is not None else self._number(message, order, text, 151)
        if tags.avg_px:
            order.avg_text = tags.avg_px
        if fill:
            self._fill(order, message)
        if status != order.status:
            changed = True
            if status and (order.status in TERMINAL) == (status in TERMINAL):
                order.status = status  # self._set_status, when the order stays open or stays done
            else:
                self._set_status(order, status, message)
        if tags.ord_rej_reason:
            order.ord_rej_reason = tags.ord_rej_reason
        if tags.text:
            order.text = tags.text
        if changed:
            self._check_quantities(order, message, status)

    def _cum_qty(self, order: ReplayOrder, message: LogMessage, raw: str) -> None:
        cum = self._number(message, order, raw, 14)
        order.cum_text = raw
        if cum is None:
            return
        if order.cum_qty is not None and cum < order.cum_qty:
            tags = message.tags
            why = ""
            if tags.exec_trans_type == "1" or tags.exec_type == "H":
                why = f" (a trade cancel of ExecID {tags.exec_ref_id or '?'!r}; its fill stays in the positions)"
            self._flag(
                order,
                AnomalyKind.CUM_QTY_DECREASED,
                f"CumQty (14) went from {order.cum_qty} to {cum}{why}",
                message.file,
                message.line,
                "8",
                once=False,
            )
        order.cum_qty = cum

    def _check_quantities(self, order: ReplayOrder, message: LogMessage, status: str) -> None:
        qty, cum, leaves = order.order_qty, order.cum_qty, order.leaves_qty
        if qty is None or cum is None:
            return
        if cum > qty:
            self._flag(
                order,
                AnomalyKind.OVERFILL,
                f"CumQty (14) {cum} exceeds OrderQty (38) {qty}",
                message.file,
                message.line,
                "8",
            )
            return
        # A report must agree with itself. One without OrderQty is held to the order's, except while PendingNew:
        # LeavesQty 0 until the order is accepted is common practice (Montran); with 38=1000 beside it, it is not.
        if leaves is None or status not in _LIVE or (status == "A" and not message.tags.order_qty):
            return
        if qty - cum != leaves:
            text = f"LeavesQty (151) {leaves} but OrderQty (38) {qty} - CumQty (14) {cum} = {qty - cum}"
            self._flag(order, AnomalyKind.LEAVES_QTY_MISMATCH, text, message.file, message.line, "8")

    def _fill(self, order: ReplayOrder, message: LogMessage) -> None:
        tags = message.tags
        last_qty = _decimals.get(tags.last_qty)
        if last_qty is None:
            last_qty = self._number(message, order, tags.last_qty, 32)
        last_px = _decimals.get(tags.last_px)
        if last_px is None:
            last_px = self._number(message, order, tags.last_px, 31)
        if not last_qty or last_px is None:
            text = f"fill without LastQty (32) and LastPx (31): 32={tags.last_qty!r} 31={tags.last_px!r}"
            self._anomaly(message, AnomalyKind.BAD_VALUE, text, order)
            return
        time = tags.transact_time or tags.sending_time
        order.fills.append(ReplayFill(tags.exec_id, last_qty, last_px, time, message.file, message.line))
        filled = order.filled_qty = order.filled_qty + last_qty
        if order.order_qty is not None and filled > order.order_qty:
            text = f"fills add up to {filled}, over OrderQty (38) {order.order_qty}"
            self._flag(order, AnomalyKind.OVERFILL, text, message.file, message.line, "8")
        side = _SIDES.get(order.side)
        if side is None:
            self._flag(
                order,
                AnomalyKind.BAD_VALUE,
                f"Side (54) {order.side!r}: fill not in positions",
                message.file,
                message.line,
                "8",
            )
            return
        session = order.session
        book = self.positions.get(session)
        if book is None:
            book = self.positions[session] = PositionBook()
        book.open(order.account, order.symbol).apply_fill(side, last_qty, last_px)
        self._marks[session, order.symbol] = last_px

    def _unknown_order(self, message: LogMessage, status: str, fill: bool) -> ReplayOrder | None:
        tags = message.tags
        kind = AnomalyKind.UNKNOWN_ORDER_FILL if fill else AnomalyKind.UNKNOWN_ORDER_REPORT
        what = "fill" if fill else f"report (39={status})"
        text = f"{what} on unknown ClOrdID (11) {tags.cl_ord_id!r}, OrderID (37) {tags.order_id!r}"
        self._anomaly(message, kind, text)
        if status == "8" or not tags.cl_ord_id:
            return None  # a reject of an order we never saw: nothing to track
        return self._open(message, tags.orig_cl_ord_id or tags.cl_ord_id, opened=False)

    @staticmethod
    def _rejects_duplicate(order: ReplayOrder, reason: str, order_id: str) -> bool:
        """A reject (39=8) for a chain that saw its ClOrdID reused: is it the second order's?"""
        return reason == "6" or (order_id not in NO_ORDER_ID and order_id != order.order_id)


# Unbound, so that a book holds no reference to itself (no cycle: it is freed as soon as it is dropped).
_HANDLERS: Final[dict[str, Callable[[ReplayBook, LogMessage], None]]] = {
    "D": ReplayBook._new_order,
    "F": ReplayBook._request,
    "G": ReplayBook._request,
    "8": ReplayBook._execution_report,
    "9": ReplayBook._cancel_reject,
    "3": ReplayBook._reject,
    "j": ReplayBook._reject,
}
