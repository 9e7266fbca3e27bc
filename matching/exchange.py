"""The simulated venue without its FIX side: typed commands in, ``domain.reports`` out.

Theory of operation: each member's order is a ``SimOrder`` keyed by (member, ClOrdID); a replace or cancel adds
the request's ClOrdID as another key of the same order, as FIX chains do. Every change is reported to the
order's owner through ``sink``, in the order it happened: the acceptance (150=0), then for each trade the
maker's fill and the taker's (150=F; the house's own seeded liquidity has no owner and gets no report), then
the cancel of an IOC or market remainder (150=4). A request about an order that is not resting is answered
with an OrderCancelReject (35=9) and the CxlRejReason (102) FIX 4.4 names for it.

Two fronts use it: ``simulator.venue`` (a FIX acceptor: decode, execute, encode) and ``ems.venues.internal``
(the same matching in the gateway's process, reports turned straight into events). Not thread-safe: the
front serialises calls.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

import msgspec

from domain.clock import Clock
from domain.commands import CancelOrder, MassCancel, QueryOrder, ReplaceOrder, SubmitOrder
from domain.enums import (
    CxlRejReason,
    CxlRejResponseTo,
    ExecType,
    OrdRejReason,
    OrdStatus,
    OrdType,
    Side,
    TimeInForce,
)
from domain.ids import Account, ClOrdId, ExecId, OrderId, SessionKey, Symbol
from domain.reports import CancelReject, ExecutionReport, MassCancelReport
from matching.behaviour import VenueBehaviour
from matching.book import MatchingEngine, MatchResult, SimOrder

VenueReport = ExecutionReport | CancelReject | MassCancelReport
Sink = Callable[[VenueReport], None]
ExchangeCommand = SubmitOrder | CancelOrder | ReplaceOrder | QueryOrder | MassCancel
_ZERO = Decimal(0)


class Exchange:
    """Run members' orders through the matching engine and report every change to their owners."""

    def __init__(
        self,
        clock: Clock,
        engine: MatchingEngine,
        symbols: Iterable[str],
        sink: Sink,
        *,
        order_id_prefix: str = "V",
        exec_id_prefix: str = "E",
        keep_closed: bool = True,
        behaviour: VenueBehaviour | None = None,
    ) -> None:
        """``*_prefix``: what the venue's OrderIDs (37) and ExecIDs (17) start with, before a running number.

        ``keep_closed``: remember filled, canceled and done orders for good (a late request about one is
        answered "too late", 102=0), or only until ``forget_closed`` (memory stays flat however long it runs).

        ``behaviour``: fees on fills and a reject ratio on new orders (``matching.behaviour``); members' fills are
        then kept, net by symbol, until ``drain_member_fills`` (for adverse selection and the house's refill).
        """
        self._clock = clock
        self.engine = engine
        self._symbols = frozenset(symbols)
        self._sink = sink
        self._orders: dict[tuple[SessionKey, ClOrdId], SimOrder] = {}
        self._order_ids = itertools.count(1)
        self._exec_ids = itertools.count(1)
        self._order_id_prefix = order_id_prefix
        self._exec_id_prefix = exec_id_prefix
        self._closed: list[SimOrder] | None = None if keep_closed else []
        self._older: list[SimOrder] = []
        """Closed before the last ``forget_closed``: dropped at the next."""
        self._renamed: dict[SimOrder, list[ClOrdId]] = {}
        """The earlier ClOrdIDs of orders renamed by a cancel or replace (kept only when forgetting)."""
        self.accepted: defaultdict[str, int] = defaultdict(int)
        """Orders accepted (150=0), by symbol; with the counts below, what monitoring reads (``/metrics``)."""
        self.refused = 0
        """New orders refused (150=8)."""
        self.trades: defaultdict[str, int] = defaultdict(int)
        """Matches, by symbol (one trade, however many of its sides are members' orders)."""
        self.behaviour = behaviour
        self._member_fills: dict[str, Decimal] = {}
        self._handlers: dict[type, Callable[[Any], None]] = {
            SubmitOrder: self._new_order,
            CancelOrder: self._cancel,
            ReplaceOrder: self._replace,
            QueryOrder: self._status,
            MassCancel: self._mass_cancel,
        }

    def execute(self, command: ExchangeCommand) -> None:
        """Handle a member's new order, cancel, replace, status request or mass cancel."""
        self._handlers[type(command)](command)

    def order(self, member: SessionKey, cl_ord_id: str) -> SimOrder | None:
        """The member's order known by ``cl_ord_id`` (any ClOrdID of its chain), if any."""
        return self._orders.get((member, ClOrdId(cl_ord_id)))

    def drain_member_fills(self) -> dict[str, Decimal]:
        """Members' fills since the last drain: symbol -> net quantity bought (negative: sold); with a behaviour
        only."""
        fills, self._member_fills = self._member_fills, {}
        return fills

    def forget_closed(self) -> None:
        """Drop the orders closed before the previous call, under every ClOrdID of their chain (``keep_closed``).

        Two generations: an order closed since the previous call is still known, so a request that crossed its
        close is answered "too late" (102=0), not "unknown".
        """
        if self._closed is None:
            return
        for order in self._older:
            owner = SessionKey(str(order.owner))
            for cl_ord_id in (ClOrdId(order.cl_ord_id), *self._renamed.pop(order, ())):
                self._orders.pop((owner, cl_ord_id), None)
        self._older, self._closed = self._closed, []

    def restore(self, order: SimOrder) -> None:
        """Rest a member's working order as it was (after a restart), behind those restored before it.

        It does not match: the book it comes from was not crossed. Its ``order_id`` and ``cl_ord_id`` are the
        ones the member knows it by.
        """
        assert isinstance(order.owner, str) and order.leaves_qty > 0
        self._orders[SessionKey(order.owner), ClOrdId(order.cl_ord_id)] = order
        self.engine.book(order.symbol).rest(order)

    # -- operator actions (tests and demos drive these directly) -------------------------------------

    def cancel_unsolicited(self, cl_ord_id: str, text: str = "canceled by the venue") -> bool:
        """Cancel a resting order on the venue's own initiative (150=4 with no request); False if not resting."""
        order = next((o for (_, c), o in self._orders.items() if c == cl_ord_id), None)
        if order is None or not self.engine.book(order.symbol).cancel(order):
            return False
        self._sink(self._report(order, ExecType.CANCELED, OrdStatus.CANCELED, text=text, closed=True))
        return True

    def end_of_day(self) -> int:
        """Close every resting DAY order (150=3 Done for day); return how many."""
        closed = 0
        for order in list(self._orders.values()):
            if order.time_in_force is TimeInForce.DAY and self.engine.book(order.symbol).cancel(order):
                self._sink(self._report(order, ExecType.DONE_FOR_DAY, OrdStatus.DONE_FOR_DAY, closed=True))
                closed += 1
        return closed

    # -- new orders --------------------------------------------------------------------------------

    def _new_order(self, command: SubmitOrder) -> None:
        order = SimOrder(
            order_id=f"{self._order_id_prefix}{next(self._order_ids)}",
            symbol=command.symbol,
            side=command.side,
            ord_type=command.ord_type,
            order_qty=command.order_qty,
            price=command.price,
            time_in_force=command.time_in_force,
            owner=command.session,
            cl_ord_id=command.cl_ord_id,
            account=command.account,
        )
        problem = self._validate(command.session, order)
        if problem is not None:
            self.refused += 1
            self._sink(self._report(order, ExecType.REJECTED, OrdStatus.REJECTED, reason=problem[0], text=problem[1]))
            return
        self.accepted[order.symbol] += 1
        self._orders[command.session, command.cl_ord_id] = order
        self._sink(self._report(order, ExecType.NEW, OrdStatus.NEW))
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
        if self.behaviour is not None and self.behaviour.rejects_new_order():  # one draw per valid new order
            return OrdRejReason.OTHER, self.behaviour.reject_text()
        return None

    def submit_house(self, order: SimOrder) -> MatchResult:
        """Match an order of the venue's own (no owner, e.g. a noise taker of ``simulator.flow``): each member's
        order it trades with gets its fill (150=F), the house itself gets no report; a remainder rests or is
        dropped as the order's terms say."""
        if order.owner is not None:
            raise ValueError(f"a house order has no owner, {order.order_id} has {order.owner!r}")
        result = self.engine.submit(order)
        self._report_trades(order, result)
        return result

    def _report_match(self, taker: SimOrder, result: MatchResult) -> None:
        self._report_trades(taker, result)
        if result.canceled_qty:
            text = "no liquidity left within the order's limit" if taker.cum_qty == 0 else "remainder canceled"
            self._sink(self._report(taker, ExecType.CANCELED, OrdStatus.CANCELED, text=text, closed=True))

    def _report_trades(self, taker: SimOrder, result: MatchResult) -> None:
        """The maker's fill, then the taker's, of each trade: to those that have an owner (the house has none)."""
        if result.trades:
            self.trades[taker.symbol] += len(result.trades)
        for trade in result.trades:
            for order in (trade.maker, taker):
                if order.owner is not None:
                    self._sink(self._report(order, ExecType.TRADE, _status(order), last=(trade.qty, trade.price)))
                    if self.behaviour is not None:
                        signed = trade.qty if order.side is Side.BUY else -trade.qty
                        self._member_fills[order.symbol] = self._member_fills.get(order.symbol, _ZERO) + signed

    # -- requests about resting orders ---------------------------------------------------------------

    def _cancel(self, request: CancelOrder) -> None:
        order = self._working(request, CxlRejResponseTo.ORDER_CANCEL_REQUEST)
        if order is None:
            return
        self.engine.book(order.symbol).cancel(order)
        self._rename(request.session, order, request.cl_ord_id)
        report = self._report(order, ExecType.CANCELED, OrdStatus.CANCELED, closed=True)
        self._sink(msgspec.structs.replace(report, orig_cl_ord_id=request.orig_cl_ord_id))

    def _replace(self, request: ReplaceOrder) -> None:
        order = self._working(request, CxlRejResponseTo.ORDER_CANCEL_REPLACE_REQUEST)
        if order is None:
            return
        result = self.engine.book(order.symbol).replace(order, request.order_qty, request.price)
        assert result is not None  # _working checked that the order rests
        order.time_in_force = request.time_in_force
        self._rename(request.session, order, request.cl_ord_id)
        report = self._report(order, ExecType.REPLACED, _status(order))
        self._sink(msgspec.structs.replace(report, orig_cl_ord_id=request.orig_cl_ord_id))
        self._report_match(order, result)

    def _working(self, request: CancelOrder | ReplaceOrder, response_to: CxlRejResponseTo) -> SimOrder | None:
        """The resting order a cancel or replace is about, or None after answering 35=9."""
        session, cl_ord_id, orig = request.session, request.cl_ord_id, request.orig_cl_ord_id
        order = self._orders.get((session, orig))
        if order is not None and order.leaves_qty > 0 and self.engine.book(order.symbol).is_resting(order):
            if (session, cl_ord_id) not in self._orders:
                return order
            reason, text = CxlRejReason.DUPLICATE_CL_ORD_ID, f"Duplicate ClOrdID {cl_ord_id!r}"
        elif order is None:
            reason, text = CxlRejReason.UNKNOWN_ORDER, f"Unknown order {orig!r}"
        else:
            reason, text = CxlRejReason.TOO_LATE_TO_CANCEL, f"Order {orig!r} is no longer working"
        self._sink(
            CancelReject(
                session=session,
                order_id=OrderId(order.order_id if order else "NONE"),
                cl_ord_id=cl_ord_id,
                orig_cl_ord_id=orig,
                ord_status=_status(order) if order else OrdStatus.REJECTED,
                response_to=response_to,
                reason=reason,
                text=text,
            )
        )
        return None

    def _rename(self, session: SessionKey, order: SimOrder, cl_ord_id: ClOrdId) -> None:
        if self._closed is not None:
            self._renamed.setdefault(order, []).append(ClOrdId(order.cl_ord_id))
        order.cl_ord_id = cl_ord_id
        self._orders[session, cl_ord_id] = order

    def _status(self, query: QueryOrder) -> None:
        order = self._orders.get((query.session, query.cl_ord_id))
        if order is None:
            unknown = SimOrder(
                "NONE",
                query.symbol,
                query.side,
                OrdType.LIMIT,
                _ZERO,
                None,
                owner=query.session,
                cl_ord_id=query.cl_ord_id,
            )
            self._sink(
                self._report(
                    unknown,
                    ExecType.ORDER_STATUS,
                    OrdStatus.REJECTED,
                    reason=OrdRejReason.UNKNOWN_ORDER,
                    text="Unknown order",
                )
            )
            return
        resting = self.engine.book(order.symbol).is_resting(order)
        self._sink(self._report(order, ExecType.ORDER_STATUS, _status(order, resting), closed=not resting))

    def _mass_cancel(self, request: MassCancel) -> None:
        in_scope = [
            o
            for (s, c), o in self._orders.items()
            if s == request.session and c == o.cl_ord_id and (request.request_type == "7" or o.symbol == request.symbol)
        ]
        canceled = [o for o in in_scope if self.engine.book(o.symbol).cancel(o)]
        for order in canceled:
            self._sink(self._report(order, ExecType.CANCELED, OrdStatus.CANCELED, closed=True))
        accepted = request.request_type in ("1", "7")
        self._sink(
            MassCancelReport(
                session=request.session,
                cl_ord_id=request.cl_ord_id,
                order_id=OrderId(f"MC{next(self._order_ids)}"),
                request_type=request.request_type,
                response=request.request_type if accepted else "0",
                reject_reason=None if accepted else "0",
                total_affected=len(canceled),
            )
        )

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
        leaves = _ZERO if closed or status is OrdStatus.REJECTED else order.leaves_qty
        if self._closed is not None and status.is_terminal and exec_type is not ExecType.ORDER_STATUS:
            self._closed.append(order)
        fee = self.behaviour.commission(*last) if last is not None and self.behaviour is not None else None
        return ExecutionReport(
            session=SessionKey(order.owner),
            order_id=OrderId(order.order_id),
            cl_ord_id=ClOrdId(order.cl_ord_id),
            exec_id=ExecId(f"{self._exec_id_prefix}{next(self._exec_ids)}"),
            exec_type=exec_type,
            ord_status=status,
            account=Account(order.account) if order.account else None,
            symbol=Symbol(order.symbol),
            side=order.side,
            ord_type=order.ord_type,
            price=order.price,
            order_qty=order.order_qty,
            cum_qty=order.cum_qty,
            leaves_qty=leaves,
            avg_px=order.avg_px,
            last_qty=last[0] if last else None,
            last_px=last[1] if last else None,
            transact_time_ns=self._clock.now_ns(),
            ord_rej_reason=reason,
            text=text,
            commission=fee[0] if fee else None,
            comm_type=fee[1] if fee else None,
        )


def _status(order: SimOrder, resting: bool = True) -> OrdStatus:
    if order.leaves_qty == 0:
        return OrdStatus.FILLED
    if not resting:
        return OrdStatus.CANCELED
    return OrdStatus.PARTIALLY_FILLED if order.cum_qty else OrdStatus.NEW
