"""The simulated venue's FIX side: orders, cancels, replaces, status and mass cancels in; reports out."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterable
from decimal import Decimal

import msgspec

from domain.clock import Clock
from domain.enums import CxlRejReason, CxlRejResponseTo, ExecType, OrdRejReason, OrdStatus, OrdType, TimeInForce
from domain.ids import Account, ClOrdId, ExecId, OrderId, SessionKey, Symbol
from domain.reports import CancelReject, ExecutionReport, MassCancelReport
from fixgw.codec import outbound
from fixgw.codec.fields import QfFields
from fixgw.codec.inbound import (
    decode_cancel_request,
    decode_mass_cancel_request,
    decode_new_order_single,
    decode_replace_request,
    decode_status_request,
)
from fixgw.errors import UnsupportedMessageType
from fixgw.session.application import FixApplication
from simulator.matching import MatchingEngine, MatchResult, SimOrder


class VenueSimulator:
    """Run members' orders through the matching engine and report every change to their owners."""

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
        """Handle NewOrderSingle (D), cancel (F), replace (G), status (H) and mass cancel (q)."""
        handler = {"D": self._new_order, "F": self._cancel, "G": self._replace, "H": self._status,
                   "q": self._mass_cancel}.get(msg_type)  # fmt: skip
        if handler is None:
            raise UnsupportedMessageType(msg_type)
        with self._lock:
            handler(session, fields)

    # -- operator actions (tests and demos drive these directly) -------------------------------------

    def cancel_unsolicited(self, cl_ord_id: str, text: str = "canceled by the venue") -> bool:
        """Cancel a resting order on the venue's own initiative (150=4 with no request); False if not resting."""
        with self._lock:
            order = next((o for (_, c), o in self._orders.items() if c == cl_ord_id), None)
            if order is None or not self.engine.book(order.symbol).cancel(order):
                return False
            self._send(self._report(order, ExecType.CANCELED, OrdStatus.CANCELED, text=text, closed=True))
            return True

    def end_of_day(self) -> int:
        """Close every resting DAY order (150=3 Done for day); return how many."""
        with self._lock:
            closed = 0
            for order in list(self._orders.values()):
                if order.time_in_force is TimeInForce.DAY and self.engine.book(order.symbol).cancel(order):
                    self._send(self._report(order, ExecType.DONE_FOR_DAY, OrdStatus.DONE_FOR_DAY, closed=True))
                    closed += 1
            return closed

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
                    self._send(self._report(order, ExecType.TRADE, _status(order), last=(trade.qty, trade.price)))
        if result.canceled_qty:
            text = "no liquidity left within the order's limit" if taker.cum_qty == 0 else "remainder canceled"
            self._send(self._report(taker, ExecType.CANCELED, OrdStatus.CANCELED, text=text, closed=True))

    # -- requests about resting orders ---------------------------------------------------------------

    def _cancel(self, session: SessionKey, fields: QfFields) -> None:
        request = decode_cancel_request(fields, session, self._clock)
        order = self._working(session, request.cl_ord_id, request.orig_cl_ord_id,
                              CxlRejResponseTo.ORDER_CANCEL_REQUEST)  # fmt: skip
        if order is None:
            return
        self.engine.book(order.symbol).cancel(order)
        self._rename(session, order, request.cl_ord_id)
        report = self._report(order, ExecType.CANCELED, OrdStatus.CANCELED, closed=True)
        self._send(msgspec.structs.replace(report, orig_cl_ord_id=request.orig_cl_ord_id))

    def _replace(self, session: SessionKey, fields: QfFields) -> None:
        request = decode_replace_request(fields, session, Account(""), self._clock)
        order = self._working(session, request.cl_ord_id, request.orig_cl_ord_id,
                              CxlRejResponseTo.ORDER_CANCEL_REPLACE_REQUEST)  # fmt: skip
        if order is None:
            return
        result = self.engine.book(order.symbol).replace(order, request.order_qty, request.price)
        assert result is not None  # _working checked that the order rests
        order.time_in_force = request.time_in_force
        self._rename(session, order, request.cl_ord_id)
        report = self._report(order, ExecType.REPLACED, _status(order))
        self._send(msgspec.structs.replace(report, orig_cl_ord_id=request.orig_cl_ord_id))
        self._report_match(order, result)

    def _working(
        self, session: SessionKey, cl_ord_id: ClOrdId, orig: ClOrdId, response_to: CxlRejResponseTo
    ) -> SimOrder | None:
        order = self._orders.get((session, orig))
        if order is not None and order.leaves_qty > 0 and self.engine.book(order.symbol)._is_resting(order):
            if (session, cl_ord_id) not in self._orders:
                return order
            reason, text = CxlRejReason.DUPLICATE_CL_ORD_ID, f"Duplicate ClOrdID {cl_ord_id!r}"
        elif order is None:
            reason, text = CxlRejReason.UNKNOWN_ORDER, f"Unknown order {orig!r}"
        else:
            reason, text = CxlRejReason.TOO_LATE_TO_CANCEL, f"Order {orig!r} is no longer working"
        self.app.send(session, outbound.order_cancel_reject(CancelReject(
            session=session, order_id=OrderId(order.order_id if order else "NONE"), cl_ord_id=cl_ord_id,
            orig_cl_ord_id=orig, ord_status=_status(order) if order else OrdStatus.REJECTED,
            response_to=response_to, reason=reason, text=text)), require_logon=False)  # fmt: skip
        return None

    def _rename(self, session: SessionKey, order: SimOrder, cl_ord_id: ClOrdId) -> None:
        order.cl_ord_id = cl_ord_id
        self._orders[session, cl_ord_id] = order

    def _status(self, session: SessionKey, fields: QfFields) -> None:
        query = decode_status_request(fields, session, self._clock)
        order = self._orders.get((session, query.cl_ord_id))
        if order is None:
            unknown = SimOrder("NONE", query.symbol, query.side, OrdType.LIMIT, Decimal(0), None, owner=session,
                               cl_ord_id=query.cl_ord_id)  # fmt: skip
            self._send(self._report(unknown, ExecType.ORDER_STATUS, OrdStatus.REJECTED,
                                    reason=OrdRejReason.UNKNOWN_ORDER, text="Unknown order"))  # fmt: skip
            return
        resting = self.engine.book(order.symbol)._is_resting(order)
        self._send(self._report(order, ExecType.ORDER_STATUS, _status(order, resting), closed=not resting))

    def _mass_cancel(self, session: SessionKey, fields: QfFields) -> None:
        request = decode_mass_cancel_request(fields, session, self._clock)
        in_scope = [
            o for (s, c), o in self._orders.items()
            if s == session and c == o.cl_ord_id and (request.request_type == "7" or o.symbol == request.symbol)
        ]  # fmt: skip
        canceled = [o for o in in_scope if self.engine.book(o.symbol).cancel(o)]
        for order in canceled:
            self._send(self._report(order, ExecType.CANCELED, OrdStatus.CANCELED, closed=True))
        accepted = request.request_type in ("1", "7")
        self.app.send(session, outbound.mass_cancel_report(MassCancelReport(
            session=session, cl_ord_id=request.cl_ord_id, order_id=OrderId(f"MC{next(self._order_ids)}"),
            request_type=request.request_type, response=request.request_type if accepted else "0",
            reject_reason=None if accepted else "0", total_affected=len(canceled))), require_logon=False)  # fmt: skip

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


def _status(order: SimOrder, resting: bool = True) -> OrdStatus:
    if order.leaves_qty == 0:
        return OrdStatus.FILLED
    if not resting:
        return OrdStatus.CANCELED
    return OrdStatus.PARTIALLY_FILLED if order.cum_qty else OrdStatus.NEW
