"""The order chains of a replayed book and its anomaly log: opening, finding and linking chains, their state."""

from __future__ import annotations

from decimal import Decimal
from typing import Final

from domain.positions import PositionBook
from fixgw.codec.fields import DictFields
from fixgw.codec.values import optional_decimal
from fixgw.errors import FixReject
from replay.anomalies import Anomaly, AnomalyKind
from replay.message import LogMessage
from replay.orders import TERMINAL, ReplayOrder, decimal_of, decimals
from replay.prefixes import Direction

NO_ORDER_ID: Final = frozenset({"", "NONE", "0", "UNKNOWN"})
_REQUESTS: Final = frozenset({"D", "F", "G"})
"""The messages a buy side sends; the sell side answers with 8 (and 9)."""


class Chains:
    """The book's orders by every ClOrdID of their chain and by OrderID, and what was found wrong with them."""

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
        self._new_orders: dict[tuple[str, int], ReplayOrder] = {}
        """NewOrderSingles by session and MsgSeqNum, for the rejects that name them by RefSeqNum (45)."""

    # -- chains ------------------------------------------------------------------------------------

    def _open(self, message: LogMessage, root: str, *, opened: bool) -> ReplayOrder:
        order = ReplayOrder(len(self.orders) + 1, message.session, root, opened, root, [root])
        order.created = message.tags.transact_time or message.tags.sending_time
        if message.direction is not None:
            order.received = (message.direction is Direction.INCOMING) == (message.msg_type in _REQUESTS)
        self.orders.append(order)
        self._by_cl_ord_id[message.session, root] = order
        self.open_orders += 1
        if self.open_orders > self.peak_open_orders:
            self.peak_open_orders = self.open_orders
        return order

    def _find(self, session: str, orig: str, cl_ord_id: str, order_id: str) -> ReplayOrder | None:
        by_cl_ord_id = self._by_cl_ord_id
        order = by_cl_ord_id.get((session, orig)) if orig else None
        if order is None and cl_ord_id:
            order = by_cl_ord_id.get((session, cl_ord_id))
        if order is None and order_id and order_id not in NO_ORDER_ID:
            order = self._by_order_id.get((session, order_id))
        return order

    def _link(self, order: ReplayOrder, session: str, cl_ord_id: str) -> None:
        if cl_ord_id and (session, cl_ord_id) not in self._by_cl_ord_id:
            self._by_cl_ord_id[session, cl_ord_id] = order
            order.cl_ord_ids.append(cl_ord_id)

    def _take_terms(self, order: ReplayOrder, message: LogMessage) -> bool:
        """Symbol, side and account from the first message that has them; OrderQty, Price, OrdType and
        TimeInForce from the latest. Return True when the quantity changed."""
        tags = message.tags
        if not order.symbol:
            order.symbol = tags.symbol
            order.side = tags.side
        if not order.account:
            order.account = tags.account
        changed = False
        raw = tags.order_qty
        if raw and raw != order.qty_text:
            order.qty_text = raw
            order.order_qty = self._number(message, order, raw, 38)
            changed = True
        raw = tags.price
        if raw and raw != order.price_text:
            order.price_text = raw
            order.price = self._number(message, order, raw, 44)
        order.ord_type = tags.ord_type or order.ord_type
        order.time_in_force = tags.time_in_force or order.time_in_force
        order.updated = tags.sending_time or order.updated
        return changed

    def _set_status(self, order: ReplayOrder, status: str, message: LogMessage) -> None:
        if not status:
            self._anomaly(message, AnomalyKind.MISSING_TAG, "ExecutionReport without OrdStatus (39)", order)
            return
        was_open = order.status not in TERMINAL
        now_open = status not in TERMINAL
        if was_open != now_open:
            self.open_orders += 1 if now_open else -1
            if self.open_orders > self.peak_open_orders:
                self.peak_open_orders = self.open_orders
        order.status = status

    # -- helpers -----------------------------------------------------------------------------------

    def _number(self, message: LogMessage, order: ReplayOrder, raw: str, tag: int) -> Decimal | None:
        """A quantity or price; a value that is not a number is an anomaly (worded as the gateway words it)."""
        value = decimals.get(raw)
        if value is not None:
            return value
        if not raw:
            return None
        value = decimal_of(raw)
        if value is None:
            try:
                optional_decimal(DictFields({tag: raw}), tag)
            except FixReject as exc:  # the format (373=6) or a size the book cannot hold (373=5)
                self._anomaly(message, AnomalyKind.BAD_VALUE, exc.text, order)
        return value

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
            kind=kind,
            text=text,
            file=message.file,
            line=message.line,
            msg_type=message.msg_type,
            seq_num=message.seq_num,
            session=message.session,
            order=order.root if order else "",
        )
        self.anomalies.append(anomaly)
