"""The simulated venue's FIX side: NewOrderSingle and OrderCancelRequest in, ExecutionReports out."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterable
from decimal import Decimal

import msgspec

from domain.clock import Clock
from domain.enums import CxlRejReason, CxlRejResponseTo, ExecType, OrdRejReason, OrdStatus, OrdType
from domain.ids import Account, ClOrdId, ExecId, OrderId, SessionKey, Symbol
from domain.reports import CancelReject, ExecutionReport
from fixgw.codec import outbound
from fixgw.codec.fields import QfFields
from fixgw.codec.inbound import decode_new_order_single, required
from fixgw.errors import UnsupportedMessageType
from fixgw.session.application import FixApplication
from simulator.matching import MatchingEngine, MatchResult, SimOrder


class VenueSimulator:
    """Run client orders through the matching engine and report every change to their owners."""

    def __init__(self, clock: Clock, engine: MatchingEngine, symbols: Iterable[str]) -> None:
        self._clock = clock
        self.engine = engine
        self._symbols = frozenset(symbols)
        self._orders: dict[tuple[SessionKey, ClOrdId], SimOrder] = {}
        self._order_ids = itertools.count(1)
        self._exec_ids = itertools.count(1)
        self._lock = threading.Lock()
        self.app = FixApplication(self, "venue")

    def on_logon(self, session: SessionKey) -> None:
        """Nothing to do when a member logs on."""

    def on_logout(self, session: SessionKey) -> None:
        """Orders stay on the book when a member disconnects (no cancel-on-disconnect at this venue)."""

    def on_message(self, session: SessionKey, msg_type: str, fields: QfFields) -> None:
        """Handle NewOrderSingle (D) and OrderCancelRequest (F)."""
        with self._lock:
            if msg_type == "D":
                self._new_order(session, fields)
            elif msg_type == "F":
                self._cancel(session, fields)
            else:
                raise UnsupportedMessageType(msg_type)

    # -- new orders --------------------------------------------------------------------------------

    def _new_order(self, session: SessionKey, fields: QfFields) -> None:
        command = decode_new_order_single(fields, session, Account(""), self._clock)
        order = SimOrder(
            order_id=f"V{next(self._order_ids)}", symbol=command.symbol, side=command.side,
            ord_type=command.ord_type, order_qty=command.order_qty, price=command.price,
            time_in_force=command.time_in_force, owner=session, cl_ord_id=command.cl_ord_id,
            account=command.account,
        )  # fmt: skip
        problem = self._validate(session, order)
        if problem is not None:
            self._send(self._report(order, ExecType.REJECTED, OrdStatus.REJECTED, reason=problem[0], text=problem[1]))
            return
        self._orders[session, ClOrdId(order.cl_ord_id)] = order
        self._send(self._report(order, ExecType.NEW, OrdStatus.NEW))
        self._report_match(order, self.engine.submit(order))

    def _validate(self, session: SessionKey, order: SimOrder) -> tuple[OrdRejReason, str] | None:
        if order.symbol not in self._symbols:
            return OrdRejReason.UNKNOWN_SYMBOL, f"Unknown symbol {order.symbol!r} at this venue"
        if (session, order.cl_ord_id) in self._orders:
            return OrdRejReason.DUPLICATE_ORDER, f"Duplicate ClOrdID {order.cl_ord_id!r}"
        if order.order_qty <= 0:
            return OrdRejReason.INCORRECT_QUANTITY, f"OrderQty must be positive, got {order.order_qty}"
        if order.ord_type is OrdType.LIMIT and (order.price is None or order.price <= 0):
            return OrdRejReason.OTHER, "a limit order needs a positive Price (44)"
        return None

    def _report_match(self, taker: SimOrder, result: MatchResult) -> None:
        for trade in result.trades:
            for order in (trade.maker, taker):
                if order.owner is not None:
                    status = OrdStatus.FILLED if order.leaves_qty == 0 else OrdStatus.PARTIALLY_FILLED
                    self._send(self._report(order, ExecType.TRADE, status, last=(trade.qty, trade.price)))
        if result.canceled_qty:
            text = "no liquidity left within the order's limit" if taker.cum_qty == 0 else "remainder canceled"
            self._send(self._report(taker, ExecType.CANCELED, OrdStatus.CANCELED, text=text, closed=True))

    # -- cancels ---------------------------------------------------------------------------------

    def _cancel(self, session: SessionKey, fields: QfFields) -> None:
        cl_ord_id = ClOrdId(required(fields, 11))
        orig = ClOrdId(required(fields, 41))
        order = self._orders.get((session, orig))
        if order is None or not self.engine.book(order.symbol).cancel(order):
            status = OrdStatus.REJECTED if order is None else _status(order)
            reason = CxlRejReason.UNKNOWN_ORDER if order is None else CxlRejReason.TOO_LATE_TO_CANCEL
            text = f"Unknown order {orig!r}" if order is None else f"Order {orig!r} is no longer working"
            self.app.send(session, outbound.order_cancel_reject(CancelReject(
                session=session, order_id=OrderId(order.order_id if order else "NONE"), cl_ord_id=cl_ord_id,
                orig_cl_ord_id=orig, ord_status=status, response_to=CxlRejResponseTo.ORDER_CANCEL_REQUEST,
                reason=reason, text=text)))  # fmt: skip
            return
        report = self._report(order, ExecType.CANCELED, OrdStatus.CANCELED, closed=True)
        self._send(_with_cancel_ids(report, cl_ord_id, orig))

    # -- reports ---------------------------------------------------------------------------------

    def _report(
        self,
        order: SimOrder,
        exec_type: ExecType,
        status: OrdStatus,
        *,
        last: tuple[Decimal, Decimal] | None = None,
        reason: OrdRejReason | None = None,
        text: str | None = None,
        closed: bool = False,
    ) -> ExecutionReport:
        assert isinstance(order.owner, str)
        leaves = Decimal(0) if closed or status is OrdStatus.REJECTED else order.leaves_qty
        return ExecutionReport(
            session=SessionKey(order.owner), order_id=OrderId(order.order_id), cl_ord_id=ClOrdId(order.cl_ord_id),
            exec_id=ExecId(f"E{next(self._exec_ids)}"), exec_type=exec_type, ord_status=status,
            account=Account(order.account) if order.account else None, symbol=Symbol(order.symbol),
            side=order.side, ord_type=order.ord_type, price=order.price, order_qty=order.order_qty,
            cum_qty=order.cum_qty, leaves_qty=leaves, avg_px=order.avg_px,
            last_qty=last[0] if last else None, last_px=last[1] if last else None,
            transact_time_ns=self._clock.now_ns(), ord_rej_reason=reason, text=text,
        )  # fmt: skip

    def _send(self, report: ExecutionReport) -> None:
        self.app.send(report.session, outbound.execution_report(report), require_logon=False)


def _status(order: SimOrder) -> OrdStatus:
    if order.leaves_qty == 0:
        return OrdStatus.FILLED
    return OrdStatus.PARTIALLY_FILLED if order.cum_qty else OrdStatus.NEW


def _with_cancel_ids(report: ExecutionReport, cl_ord_id: ClOrdId, orig: ClOrdId) -> ExecutionReport:
    return msgspec.structs.replace(report, cl_ord_id=cl_ord_id, orig_cl_ord_id=orig)
