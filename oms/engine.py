"""The OMS engine: opens orders, runs their requests, applies their events, journals every change and
emits the client's reports.

Endpoints: ``oms.execute`` takes client commands (new, cancel, replace, status, mass cancel); ``oms.process``
takes events (from risk, the EMS and the venues). Everything a client is told goes through the journal, so
it is sent only after the change it reports is committed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from decimal import Decimal
from typing import Any, Protocol

import msgspec

from domain.bus import MessageBus
from domain.clock import Clock
from domain.commands import (
    AnswerAgain,
    CancelAtVenue,
    CancelOrder,
    CancelWorking,
    MassCancel,
    QueryAtVenue,
    QueryOrder,
    ReconcileVenue,
    ReplaceAtVenue,
    ReplaceOrder,
    SubmitOrder,
    SubmitRiskOrder,
    Unrecorded,
)
from domain.enums import CxlRejReason, CxlRejResponseTo, ExecType, OrdRejReason, OrdStatus, OrdType, Side, TimeInForce
from domain.events import (
    CancelRejected,
    CancelRequested,
    OrderAccepted,
    OrderCanceled,
    OrderDenied,
    OrderDoneForDay,
    OrderEvent,
    OrderExpired,
    OrderFilled,
    OrderRejected,
    OrderReplaced,
    OrderRouted,
    OrderStatusReported,
    OrderUpdated,
    ReplaceApproved,
    ReplaceDenied,
    ReplaceRequested,
    VenueEvent,
)
from domain.ids import RISK_SESSION, ClOrdId, ExecId, OrderId, SessionKey, VenueId, client_comp_id
from domain.latency import hops
from domain.order import InvalidTransition, Order
from domain.positions import Position, PositionBook
from domain.reports import BusinessReject, CancelReject, ClientReport, ExecutionReport, MassCancelReport
from oms.book import Book
from oms.exec_ids import ExecIds

log = logging.getLogger("fixgw.oms")

_EXEC_TYPES: dict[type, ExecType] = {
    OrderDenied: ExecType.REJECTED,
    OrderRejected: ExecType.REJECTED,
    OrderAccepted: ExecType.NEW,
    OrderFilled: ExecType.TRADE,
    OrderCanceled: ExecType.CANCELED,
    OrderDoneForDay: ExecType.DONE_FOR_DAY,
    OrderExpired: ExecType.EXPIRED,
    OrderReplaced: ExecType.REPLACED,
    CancelRequested: ExecType.PENDING_CANCEL,
    ReplaceRequested: ExecType.PENDING_REPLACE,
}
_ZERO = Decimal(0)
_MASS_CANCEL_TYPES = {"1", "7"}  # one security, all orders
ClientMessage = SubmitOrder | CancelOrder | ReplaceOrder | QueryOrder | MassCancel
_CLIENT_MESSAGES = (SubmitOrder, CancelOrder, ReplaceOrder, QueryOrder, MassCancel)
_CLIENT_MESSAGE_TYPES = frozenset({"D", "F", "G", "H", "q"})
Found = Callable[[Order | None], None]
"""Told a retired order as the book of record holds it (None when not found)."""
FindRetired = Callable[[SessionKey, ClOrdId | None, OrderId | None, Found], None]
"""Find a retired order by (session, ClOrdID) or OrderID off the order path, then call back under the bus lock."""


class Journal(Protocol):
    """Where the engine records book changes; a report is released only after its change is durable."""

    def append(
        self,
        order: dict[str, Any] | None = None,
        execution: dict[str, Any] | None = None,
        report: ClientReport | None = None,
        position: dict[str, Any] | None = None,
        audit: dict[str, Any] | None = None,
        *,
        owe: dict[str, Any] | None = None,
        owed: str | None = None,
    ) -> None:
        """Queue one change and the report that depends on it."""

    def atomic(self) -> AbstractContextManager[object]:
        """Make what is appended inside the block commit in one transaction."""


class OmsEngine:
    """The book of record's engine."""

    def __init__(
        self,
        bus: MessageBus,
        clock: Clock,
        journal: Journal,
        book: Book,
        positions: PositionBook | None = None,
        exec_ids: ExecIds | None = None,
    ) -> None:
        """``exec_ids``: this start's ExecIDs (the gateway's incarnation); a first start's by default (tests)."""
        self._bus = bus
        self._clock = clock
        self._journal = journal
        self.book = book
        self.positions = positions or PositionBook()
        self._exec_ids = exec_ids or ExecIds(1)
        self._asked = 0
        self._seq = 0
        self._requests_sent: dict[OrderId, int] = {}
        self._commands: dict[type, Callable[[Any], None]] = {
            SubmitOrder: self._handle_submit,
            CancelOrder: self._handle_cancel,
            ReplaceOrder: self._handle_replace,
            QueryOrder: self._handle_query,
            MassCancel: self._handle_mass_cancel,
            ReconcileVenue: self._handle_reconcile,
            CancelWorking: self._handle_cancel_working,
            SubmitRiskOrder: self._handle_risk_order,
            Unrecorded: self._handle_unrecorded,
            AnswerAgain: self._handle_answer_again,
        }
        self.admit: Callable[[SessionKey, str | None, str | None], str | None] | None = None
        """The message throttles (risk's ``admit``, wired in ``app``): None, or why a client message is refused."""
        self.find_retired: FindRetired | None = None
        """Looks a retired order up in the book of record off the order path (wired in ``app``)."""
        self._reconciling: set[OrderId] = set()
        self._cancel_once_working: dict[OrderId, str] = {}
        """Orders a ``CancelWorking`` found in flight, and why: canceled when an event leaves them working."""
        bus.register("oms.execute", self.execute)
        bus.register("oms.process", self.process)

    def restore(
        self,
        orders: list[Order],
        requests_sent: dict[OrderId, int],
        executions: list[dict[str, Any]],
        last_seq: int = 0,
        retired: Iterable[tuple[SessionKey, ClOrdId]] = (),
    ) -> None:
        """Load the book as it was committed (at start, before any session connects).

        ``orders``: those that may still change (or all); ``requests_sent``: how many requests each has sent its
        venue (its next request's ClOrdID there goes on from it); ``retired``: the ClOrdIDs of the others;
        ``last_seq``: the highest OrderID number ever used.
        """
        self._seq = last_seq
        for session, cl_ord_id in retired:
            self.book.retired.setdefault(session, set()).add(cl_ord_id)
        for order in orders:
            self._restore_order(order)
        for order_id, requests in requests_sent.items():
            if order_id in self.book.by_id:
                self._requests_sent[order_id] = requests
        for e in executions:  # positions are a fold over the executions, in the order they happened
            booked = self.book.by_id.get(OrderId(e["order_id"]))
            if booked is not None:  # a retired order's executions need no dedupe: its reports are ignored
                self.book.first_sighting(booked, VenueId(e["venue"]), ExecId(e["venue_exec_id"]))
            self.positions.apply_fill(
                e["account"], e["symbol"], Side(e["side"]), e["last_qty"], e["last_px"], e["commission"]
            )

    def _restore_order(self, order: Order) -> None:
        self.book.add(order)
        if order.orig_cl_ord_id is not None:
            self.book.by_client[order.session, order.orig_cl_ord_id] = order
        if order.venue is not None and order.venue_cl_ord_id is not None:
            self.book.route(order, order.venue, order.venue_cl_ord_id)
            if order.pending is not None:
                self.book.add_request(order, order.pending.cl_ord_id, order.pending.venue_cl_ord_id)
        self._seq = max(self._seq, int(order.order_id[1:]))

    def publish_restored(self, executions: list[dict[str, Any]]) -> None:
        """Tell subscribers (risk's exposure) what the restored book holds: every fill, then what still works."""
        for e in executions:  # of retired orders too: a fill's exposure needs only the execution's row
            order = self.book.by_id.get(OrderId(e["order_id"]))
            self._bus.publish(
                "events.order",
                OrderUpdated(
                    order_id=OrderId(e["order_id"]),
                    session=order.session if order else SessionKey(""),
                    account=e["account"],
                    symbol=e["symbol"],
                    side=Side(e["side"]),
                    price=order.price if order else None,
                    leaves_qty=_ZERO,
                    last_qty=e["last_qty"],
                    last_px=e["last_px"],
                    fee=e["commission"],
                    ts_ns=e["ts_ns"],
                ),
            )
        for order in self.book.by_id.values():
            if not order.status.is_terminal and order.status is not OrdStatus.PENDING_NEW:
                self._publish(order, None)

    # -- commands ----------------------------------------------------------------------------------

    def execute(self, command: object) -> None:
        """Handle a client command."""
        if self.admit is not None and isinstance(command, _CLIENT_MESSAGES) and self._throttled(command):
            return
        self._commands[type(command)](command)

    def _throttled(self, command: ClientMessage) -> bool:
        """Count a client message against the message throttles; True when one refused it (and it is answered)."""
        resent = not isinstance(command, MassCancel | QueryOrder) and command.poss_dup
        if resent and self.book.used(command.session, command.cl_ord_id):
            return False  # a resend of what was already processed: the handler ignores it, uncounted
        target = None
        if isinstance(command, CancelOrder | ReplaceOrder):
            target = self.book.by_client.get((command.session, command.orig_cl_ord_id))
        # The account and symbol the message is about, when there is one: a cancel counts for its order's account.
        about = command if isinstance(command, SubmitOrder | ReplaceOrder) else target
        assert self.admit is not None
        text = self.admit(command.session, about.account if about else None, about.symbol if about else None)
        if text is not None:
            self._refuse_throttled(command, target, text)
        return text is not None

    def _refuse_throttled(self, command: ClientMessage, target: Order | None, text: str) -> None:
        """The reject FIX has for each message type (Text names the throttle): never a silent drop."""
        if isinstance(command, SubmitOrder):
            self._refuse_new(command, OrdRejReason.OTHER, text, "THROTTLED")
        elif isinstance(command, CancelOrder | ReplaceOrder):
            to = (
                CxlRejResponseTo.ORDER_CANCEL_REQUEST
                if isinstance(command, CancelOrder)
                else CxlRejResponseTo.ORDER_CANCEL_REPLACE_REQUEST
            )
            self._cancel_reject(command, target, CxlRejReason.OTHER, text, response_to=to)
        elif isinstance(command, MassCancel):
            self._journal.append(
                None,
                None,
                MassCancelReport(
                    session=command.session,
                    cl_ord_id=command.cl_ord_id,
                    order_id=OrderId(f"MC-{command.cl_ord_id}"),
                    request_type=command.request_type,
                    response="0",
                    reject_reason="99",
                    text=text,
                ),
            )
        else:  # OrderStatusRequest has no reject of its own: BusinessMessageReject, 380=0 (FIX 4.4 has no 8)
            self._journal.append(
                None,
                None,
                BusinessReject(
                    session=command.session, cl_ord_id=command.cl_ord_id, ref_msg_type="H", reason=0, text=text
                ),
            )

    def _handle_risk_order(self, command: SubmitRiskOrder) -> None:
        """Book the risk engine's reducing order under ``RISK_SESSION`` and hand it to the EMS (not to risk)."""
        self._seq += 1
        order_id = OrderId(f"O{self._seq}")
        submit = SubmitOrder(
            session=RISK_SESSION,
            cl_ord_id=command.cl_ord_id,
            account=command.account,
            symbol=command.symbol,
            side=command.side,
            ord_type=OrdType.MARKET,
            order_qty=command.order_qty,
            price=None,
            time_in_force=TimeInForce.IMMEDIATE_OR_CANCEL,
            ts_received_ns=command.ts_ns,
            order_id=order_id,
        )
        order = Order(submit, order_id)
        order.text = command.reason  # the book's Text column says why the order exists
        self.book.add(order)
        self._journal.append(self._row(order))
        self._bus.send("ems.execute", submit)

    def _handle_submit(self, command: SubmitOrder) -> None:
        if self.book.used(command.session, command.cl_ord_id):
            if command.poss_dup:
                return  # a resend of a message already processed (after a restart): nothing to do again
            # 103=6: the first order with this ClOrdID stands; this one is not booked (FIX App D F.1.a).
            text = f"Duplicate ClOrdID (11) {command.cl_ord_id!r}: already used on this session"
            self._refuse_new(command, OrdRejReason.DUPLICATE_ORDER, text, "DUP")
            return
        self._seq += 1
        order_id = OrderId(f"O{self._seq}")
        command = msgspec.structs.replace(command, order_id=order_id)
        order = Order(command, order_id)
        self.book.add(order)
        self._journal.append(self._row(order))
        hops.mark("oms")
        self._bus.send("risk.execute", command)

    def _refuse_new(self, command: SubmitOrder, reason: OrdRejReason, text: str, exec_prefix: str) -> None:
        """Answer a NewOrderSingle that is not booked (OrderID NONE): 150=8 39=8 with ``reason`` (103)."""
        report = ExecutionReport(
            session=command.session,
            order_id=OrderId("NONE"),
            cl_ord_id=command.cl_ord_id,
            exec_id=self._exec_ids.next(exec_prefix),
            exec_type=ExecType.REJECTED,
            ord_status=OrdStatus.REJECTED,
            account=command.account,
            symbol=command.symbol,
            side=command.side,
            ord_type=command.ord_type,
            price=command.price,
            order_qty=command.order_qty,
            cum_qty=_ZERO,
            leaves_qty=_ZERO,
            avg_px=_ZERO,
            transact_time_ns=self._clock.now_ns(),
            ord_rej_reason=reason,
            text=text,
        )
        self._journal.append(None, None, report)

    def _handle_cancel(self, command: CancelOrder) -> None:
        order = self._target(command, CxlRejResponseTo.ORDER_CANCEL_REQUEST)
        if order is not None:
            self._request_cancel(order, command.cl_ord_id, command.orig_cl_ord_id, command.ts_received_ns)

    def _handle_replace(self, command: ReplaceOrder) -> None:
        order = self._target(command, CxlRejResponseTo.ORDER_CANCEL_REPLACE_REQUEST)
        if order is None:
            return
        if command.symbol != order.symbol or command.side != order.side:
            self._cancel_reject(
                command,
                order,
                CxlRejReason.BROKER_OPTION,
                "Symbol (55) and Side (54) of an order cannot be replaced; cancel it instead",
            )
            return
        # CumQty (14) goes with it: what the order already filled is position, not working quantity, to risk.
        self._bus.send("risk.execute", msgspec.structs.replace(command, order_id=order.order_id, cum_qty=order.cum_qty))

    def _target(
        self,
        command: CancelOrder | ReplaceOrder,
        response_to: CxlRejResponseTo,
        asked: bool = False,
        retired: Order | None = None,
    ) -> Order | None:
        """The order a cancel or replace is about, or None after answering 35=9.

        When the order named is retired, the answer waits for it to be looked up in the book of record, then
        this runs again with ``asked`` and what was found (``retired``): the 35=9 it got before it retired.
        """
        order = self.book.by_client.get((command.session, command.orig_cl_ord_id)) or retired
        if command.poss_dup and self.book.used(command.session, command.cl_ord_id):
            return None  # a resend of a request already processed (after a restart)
        if order is None and not asked:

            def again(found: Order | None) -> None:
                self._target(command, response_to, True, found)

            if self._ask_retired(command, command.orig_cl_ord_id, None, again):
                return None
        problem: tuple[CxlRejReason, str] | None = None
        if self.book.used(command.session, command.cl_ord_id):
            problem = CxlRejReason.DUPLICATE_CL_ORD_ID, f"Duplicate ClOrdID (11) {command.cl_ord_id!r}"
        elif order is None or order.cl_ord_id != command.orig_cl_ord_id:
            text = f"Unknown order: OrigClOrdID (41) {command.orig_cl_ord_id!r}"
            if order is not None and order.pending is None:
                text += f" is not the order's last accepted ClOrdID {order.cl_ord_id!r}"
            problem = (
                (
                    CxlRejReason.UNKNOWN_ORDER
                    if order is None or order.pending is None
                    else CxlRejReason.ALREADY_PENDING
                ),
                text,
            )
        elif order.pending is not None or order.status is OrdStatus.PENDING_NEW:
            problem = CxlRejReason.ALREADY_PENDING, f"Order {order.order_id} is {order.status.name}; retry later"
        elif order.status.is_terminal:
            problem = CxlRejReason.TOO_LATE_TO_CANCEL, f"Order {order.order_id} is already {order.status.name}"
        if problem is None:
            return order
        self._cancel_reject(command, order, *problem, response_to=response_to)
        return None

    def _cancel_reject(
        self,
        command: CancelOrder | ReplaceOrder,
        order: Order | None,
        reason: CxlRejReason,
        text: str,
        response_to: CxlRejResponseTo = CxlRejResponseTo.ORDER_CANCEL_REPLACE_REQUEST,
    ) -> None:
        reject = CancelReject(
            session=command.session,
            order_id=order.order_id if order else OrderId("NONE"),
            cl_ord_id=command.cl_ord_id,
            orig_cl_ord_id=command.orig_cl_ord_id,
            ord_status=order.status if order else OrdStatus.REJECTED,
            response_to=response_to,
            reason=reason,
            text=text,
        )
        self._journal.append(None, None, reject)

    def _request_cancel(self, order: Order, cl_ord_id: ClOrdId, orig: ClOrdId, ts_ns: int) -> None:
        event = CancelRequested(
            order_id=order.order_id,
            cl_ord_id=cl_ord_id,
            orig_cl_ord_id=orig,
            venue_cl_ord_id=self._next_request_id(order),
            ts_ns=ts_ns,
        )
        self._open_request(order, event)
        self._bus.send("ems.execute", self._venue_request(order, event))

    def _request_replace(self, approved: ReplaceApproved) -> None:
        command = approved.command
        order = self.book.by_id[command.order_id]
        event = ReplaceRequested(
            order_id=order.order_id,
            cl_ord_id=command.cl_ord_id,
            orig_cl_ord_id=command.orig_cl_ord_id,
            venue_cl_ord_id=self._next_request_id(order),
            ts_ns=command.ts_received_ns,
            order_qty=command.order_qty,
            price=command.price,
            ord_type=command.ord_type,
            time_in_force=command.time_in_force,
        )
        self._open_request(order, event)
        self._bus.send("ems.execute", self._venue_request(order, event))

    @staticmethod
    def _venue_request(order: Order, event: CancelRequested) -> CancelAtVenue | ReplaceAtVenue:
        """The message for the venue that carries a pending request (sent once, or again after a restart)."""
        assert order.venue is not None and order.venue_cl_ord_id is not None
        ids: dict[str, Any] = {
            "order_id": order.order_id,
            "venue": order.venue,
            "venue_cl_ord_id": event.venue_cl_ord_id,
            "venue_orig_cl_ord_id": order.venue_cl_ord_id,
            "symbol": order.symbol,
            "side": order.side,
        }
        if isinstance(event, ReplaceRequested):
            return ReplaceAtVenue(
                **ids,
                order_qty=event.order_qty,
                account=order.account,
                ord_type=event.ord_type,
                price=event.price,
                time_in_force=event.time_in_force,
            )
        return CancelAtVenue(**ids, order_qty=order.order_qty)

    def _open_request(self, order: Order, event: CancelRequested) -> None:
        order.apply(event)
        self.book.add_request(order, event.cl_ord_id, event.venue_cl_ord_id)
        msg_type = "G" if isinstance(event, ReplaceRequested) else "F"
        audit = _request_audit(order, msg_type, event.venue_cl_ord_id, event.ts_ns)
        self._journal.append(self._row(order), None, self._report(order, event), audit=audit)

    def _next_request_id(self, order: Order) -> ClOrdId:
        sent = self._requests_sent.get(order.order_id, 0) + 1
        self._requests_sent[order.order_id] = sent
        return ClOrdId(f"{order.order_id}.{sent}")

    def cancel_by_operator(self, order_id: OrderId, ts_ns: int) -> str | None:
        """Cancel an order on an operator's word (the client sees an unsolicited cancel); else say why not."""
        order = self.book.by_id.get(order_id)
        if order is None and self._issued(order_id):
            return f"order {order_id} is closed: only a working order can be canceled"
        if order is None:
            return f"unknown order {order_id}"
        if order.pending is not None or order.status not in (OrdStatus.NEW, OrdStatus.PARTIALLY_FILLED):
            return f"order {order_id} is {order.status.name}: only a working order can be canceled"
        self._request_cancel(order, order.cl_ord_id, order.cl_ord_id, ts_ns)
        return None

    def _handle_cancel_working(self, command: CancelWorking) -> None:
        for order in list(self.book.by_id.values()):  # an internal venue answers at once: orders may retire
            if order.status.is_terminal or not _in_cancel_scope(order, command):
                continue
            if _working(order):
                log.warning("canceling order %s: %s", order.order_id, command.reason)
                self._request_cancel(order, order.cl_ord_id, order.cl_ord_id, self._clock.now_ns())
            else:
                # In flight (39=A, or a 35=F/G pending): a cancel now would cross the venue's answer and be
                # refused (35=9 102=3), so the answer decides: if it leaves the order working, cancel it then.
                self._cancel_once_working[order.order_id] = command.reason

    def _cancel_once_it_works(self, order: Order) -> None:
        """Cancel an order a ``CancelWorking`` found in flight, now that it works; forget it once it is closed."""
        if order.status.is_terminal:
            del self._cancel_once_working[order.order_id]
        elif _working(order):
            reason = self._cancel_once_working.pop(order.order_id)
            log.warning("canceling order %s now that the venue has answered: %s", order.order_id, reason)
            self._request_cancel(order, order.cl_ord_id, order.cl_ord_id, self._clock.now_ns())

    def _handle_unrecorded(self, command: Unrecorded) -> None:
        """The book refused what one received message changed (issue 12): undo in memory what never left and
        answer its sender; what did leave (a trade at an internal venue) is left to an operator, loudly."""
        text = f"not applied: the book of record refused it (quarantine Q{command.quarantine_id}: {command.reason})"
        answered = False
        for order_id in command.order_ids:
            order = self.book.by_id.get(order_id)
            if order is None:
                continue
            if command.msg_type == "D" and order.status is OrdStatus.PENDING_NEW:
                # Its send to the venue waited for the commit that failed: it never left. Refused unbooked, and
                # nothing of it written again (its own row may be what the book refuses).
                order.apply(
                    OrderDenied(
                        order_id=order.order_id, reason=OrdRejReason.OTHER, text=text, ts_ns=self._clock.now_ns()
                    )
                )
                self._publish(order, None)
                self.book.close(order, self._clock.now_ns())
                self._forget(order.order_id)
                submit = _resubmission(order)
                self._refuse_new(submit, OrdRejReason.OTHER, text, "NONE")
                answered = True
            elif (
                command.msg_type in ("F", "G")
                and order.pending is not None
                and (order.pending.cl_ord_id == command.cl_ord_id)
            ):  # the request never left either: the order goes back to what it was
                refused = CancelRejected(
                    venue=None,
                    venue_cl_ord_id=None,
                    order_id=order.order_id,
                    reason=CxlRejReason.OTHER,
                    text=text,
                    ts_ns=self._clock.now_ns(),
                )
                self._apply(refused)
                answered = True
            else:
                log.error(
                    "order %s changed in memory but the book of record refused the change (quarantine Q%d): "
                    "reconcile it with its venue",
                    order.order_id,
                    command.quarantine_id,
                )
        if not answered and command.session is not None and command.cl_ord_id is not None:
            self._refuse_unrecorded(command, text)

    def _refuse_unrecorded(self, command: Unrecorded, text: str) -> None:
        """A client message whose changes were refused and no order stands for: a BusinessMessageReject (35=j
        380=0), the reject every message type has."""
        assert command.session is not None and command.cl_ord_id is not None
        if command.msg_type in _CLIENT_MESSAGE_TYPES:
            self._journal.append(
                None,
                None,
                BusinessReject(
                    session=command.session,
                    cl_ord_id=command.cl_ord_id,
                    ref_msg_type=command.msg_type or "",
                    reason=0,
                    text=text,
                ),
            )

    def _handle_query(self, command: QueryOrder) -> None:
        order = self.book.by_client.get((command.session, command.cl_ord_id))
        if order is None and command.order_id:
            found = self.book.by_id.get(command.order_id)
            order = found if found is not None and found.session == command.session else None
        answer: Found = lambda found: self._retired_status(command, found)  # noqa: E731
        if order is None and self._ask_retired(command, command.cl_ord_id, command.order_id, answer):
            return
        if order is None:
            self._journal.append(None, None, self._unknown_order_status(command))
            return
        self._journal.append(None, None, self._report(order, None, exec_type=ExecType.ORDER_STATUS))

    def _ask_retired(
        self,
        command: QueryOrder | CancelOrder | ReplaceOrder,
        cl_ord_id: ClOrdId,
        order_id: OrderId | None,
        then: Found,
    ) -> bool:
        """Look up the retired order named by ``cl_ord_id`` (or ``order_id``) and call ``then``; False if none is.

        The answer comes after the commit of the request's receipt, so it is owed durably in between: the owed
        row commits with the receipt and is deleted with the answer; a restart answers again (``AnswerAgain``).
        """
        session = command.session
        retired = self.book.retired.get(session)
        named = retired is not None and cl_ord_id in retired
        if self.find_retired is None or not (named or (order_id is not None and self._issued(order_id))):
            return False
        self._asked += 1  # unique for good, as ExecIDs are: this start's incarnation and a count
        key = f"ASK-{self._exec_ids.incarnation}-{self._asked}"
        self._journal.append(owe=owed_row(key, command, self._clock.now_ns()))

        def answer(found: Order | None) -> None:
            with self._journal.atomic():
                then(found)
                self._journal.append(owed=key)

        self.find_retired(session, cl_ord_id if named else None, None if named else order_id, answer)
        return True

    def _handle_answer_again(self, command: AnswerAgain) -> None:
        """Answer again a request owed when the gateway stopped: the owed row goes with what answers it now."""
        with self._journal.atomic():
            self._journal.append(owed=command.key)
            self._commands[type(command.command)](command.command)

    def _issued(self, order_id: OrderId) -> bool:
        number = order_id[1:]
        return order_id[:1] == "O" and number.isdigit() and 0 < int(number) <= self._seq

    def _retired_status(self, command: QueryOrder, order: Order | None) -> None:
        if order is None or order.session != command.session:
            self._journal.append(None, None, self._unknown_order_status(command))
            return
        self._journal.append(None, None, self._report(order, None, exec_type=ExecType.ORDER_STATUS))

    def _unknown_order_status(self, command: QueryOrder) -> ExecutionReport:
        return ExecutionReport(
            session=command.session,
            order_id=OrderId("NONE"),
            cl_ord_id=command.cl_ord_id,
            exec_id=self._exec_ids.next("STATUS"),
            exec_type=ExecType.ORDER_STATUS,
            ord_status=OrdStatus.REJECTED,
            account=None,
            symbol=command.symbol,
            side=command.side,
            ord_type=None,
            price=None,
            order_qty=_ZERO,
            cum_qty=_ZERO,
            leaves_qty=_ZERO,
            avg_px=_ZERO,
            transact_time_ns=self._clock.now_ns(),
            ord_rej_reason=OrdRejReason.UNKNOWN_ORDER,
            text=f"Unknown order: ClOrdID (11) {command.cl_ord_id!r}",
        )

    def _handle_mass_cancel(self, command: MassCancel) -> None:
        report = MassCancelReport(
            session=command.session,
            cl_ord_id=command.cl_ord_id,
            order_id=OrderId(f"MC-{command.cl_ord_id}"),
            request_type=command.request_type,
            response="0",
        )
        if command.request_type not in _MASS_CANCEL_TYPES or (command.request_type == "1" and not command.symbol):
            text = f"MassCancelRequestType (530) {command.request_type!r} is not supported; use 1 or 7"
            self._journal.append(None, None, msgspec.structs.replace(report, reject_reason="0", text=text))
            return
        affected = [o for o in self.book.by_id.values() if self._in_scope(o, command)]
        for order in affected:
            self._request_cancel(order, order.cl_ord_id, order.cl_ord_id, command.ts_received_ns)
        accepted = msgspec.structs.replace(report, response=command.request_type, total_affected=len(affected))
        self._journal.append(None, None, accepted)

    @staticmethod
    def _in_scope(order: Order, command: MassCancel) -> bool:
        return (
            _working(order)
            and order.session == command.session
            and (command.request_type == "7" or order.symbol == command.symbol)
        )

    def _handle_reconcile(self, command: ReconcileVenue) -> None:
        """Ask the venue about orders whose last message to it may have been lost with a restart or a drop."""
        in_flight = (OrdStatus.PENDING_NEW, OrdStatus.PENDING_CANCEL, OrdStatus.PENDING_REPLACE)
        for order in list(self.book.by_id.values()):  # an internal venue answers at once: orders may retire
            if order.venue == command.venue and order.status in in_flight and order.venue_cl_ord_id is not None:
                self._reconciling.add(order.order_id)
                self._bus.send(
                    "ems.execute",
                    QueryAtVenue(
                        order_id=order.order_id,
                        venue=order.venue,
                        venue_cl_ord_id=order.venue_cl_ord_id,
                        venue_orig_cl_ord_id=order.venue_cl_ord_id,
                        symbol=order.symbol,
                        side=order.side,
                        order_qty=order.order_qty,
                    ),
                )

    def _on_status(self, event: OrderStatusReported) -> None:
        """Send again what the venue never received; everything it did receive, it reports by resend."""
        order = self.book.by_venue.get((event.venue, event.venue_cl_ord_id))
        if order is None or order.order_id not in self._reconciling:
            return
        self._reconciling.discard(order.order_id)
        unknown_at_venue = event.ord_status is OrdStatus.REJECTED and event.venue_order_id == "NONE"
        if unknown_at_venue and order.status is OrdStatus.PENDING_NEW:
            log.warning("order %s never reached venue %s: sending it again", order.order_id, event.venue)
            self._bus.send("ems.execute", _resubmission(order))
        elif (
            order.pending is not None
            and event.venue_cl_ord_id == order.venue_cl_ord_id
            and event.ord_status in (OrdStatus.NEW, OrdStatus.PARTIALLY_FILLED)
        ):
            log.warning(
                "request %s for order %s never reached venue %s: sending it again",
                order.pending.venue_cl_ord_id,
                order.order_id,
                event.venue,
            )
            self._bus.send("ems.execute", self._venue_request(order, order.pending))

    # -- events ------------------------------------------------------------------------------------

    def process(self, event: object) -> None:
        """Apply an event to its order, journal the change and report it to the client."""
        if isinstance(event, OrderRouted):
            self._on_routed(event)
        elif isinstance(event, ReplaceApproved):
            self._request_replace(event)
        elif isinstance(event, ReplaceDenied):
            order = self.book.by_id.get(event.command.order_id)
            self._cancel_reject(event.command, order, CxlRejReason.BROKER_OPTION, event.text)
        elif isinstance(event, OrderStatusReported):
            self._on_status(event)
        else:
            self._apply(event)  # type: ignore[arg-type]

    def _apply(self, event: OrderEvent) -> None:
        order = self._find(event)
        if order is None:
            return
        if isinstance(event, VenueEvent) and not self.book.first_sighting(order, event.venue, event.venue_exec_id):
            return  # a resent (PossDup) or replayed report: already applied
        request = order.pending
        try:
            order.apply(event)
        except InvalidTransition as exc:
            if isinstance(event, VenueEvent) and event.poss_dup:
                # A venue resending (43=Y) what it reported before our restart: applied then, nothing to do now.
                log.info(
                    "resent report for order %s already applied: %s (ExecID %s)",
                    order.order_id,
                    exc,
                    event.venue_exec_id,
                )
            else:
                log.error("rejected event for order %s: %s (event %r)", order.order_id, exc, event)
            return
        if isinstance(event, CancelRejected):
            assert request is not None
            report: ClientReport = self._venue_cancel_reject(order, request, event)
        else:
            report = self._report(order, event)
        execution = position = None
        if isinstance(event, OrderFilled):
            execution = self._execution_row(order, event, report.exec_id)  # type: ignore[union-attr]
            filled = self.positions.apply_fill(
                order.account, order.symbol, order.side, event.last_qty, event.last_px, event.commission
            )
            position = position_row(filled, event.ts_ns)
        self._journal.append(self._row(order), execution, report, position)
        self._publish(order, event)
        if self._cancel_once_working and order.order_id in self._cancel_once_working:
            self._cancel_once_it_works(order)
        for retired in self.book.close(order, self._clock.now_ns()):
            self._forget(retired)

    def _forget(self, order_id: OrderId) -> None:
        # A later question about it is answered from its row in the book of record (oms.store.retired).
        self._requests_sent.pop(order_id, None)
        self._reconciling.discard(order_id)
        self._cancel_once_working.pop(order_id, None)

    def _venue_cancel_reject(self, order: Order, request: CancelRequested, event: CancelRejected) -> CancelReject:
        response_to = (
            CxlRejResponseTo.ORDER_CANCEL_REPLACE_REQUEST
            if isinstance(request, ReplaceRequested)
            else CxlRejResponseTo.ORDER_CANCEL_REQUEST
        )
        return CancelReject(
            session=order.session,
            order_id=order.order_id,
            cl_ord_id=request.cl_ord_id,
            orig_cl_ord_id=request.orig_cl_ord_id,
            ord_status=order.status,
            response_to=response_to,
            reason=event.reason,
            text=event.text,
        )

    def _on_routed(self, event: OrderRouted) -> None:
        order = self.book.by_id[event.order_id]
        self.book.route(order, event.venue, event.venue_cl_ord_id)
        self._journal.append(self._row(order), audit=_request_audit(order, "D", event.venue_cl_ord_id, event.ts_ns))
        self._publish(order, event)

    def _find(self, event: OrderEvent) -> Order | None:
        if isinstance(event, OrderDenied | CancelRequested):
            return self.book.by_id.get(event.order_id)
        if isinstance(event, CancelRejected) and event.order_id is not None:
            return self.book.by_id.get(event.order_id)
        assert not isinstance(event, CancelRequested)
        key = (event.venue, event.venue_cl_ord_id)
        order = self.book.by_venue.get(key)  # type: ignore[arg-type]
        if order is None:
            log.warning("venue %s reported on unknown ClOrdID %s", event.venue, event.venue_cl_ord_id)
        return order

    def _publish(self, order: Order, event: object) -> None:
        fill = event if isinstance(event, OrderFilled) else None
        self._bus.publish(
            "events.order",
            OrderUpdated(
                order_id=order.order_id,
                session=order.session,
                account=order.account,
                symbol=order.symbol,
                side=order.side,
                price=order.price,
                leaves_qty=order.leaves_qty if not order.status.is_terminal else _ZERO,
                last_qty=fill.last_qty if fill else None,
                last_px=fill.last_px if fill else None,
                fee=fill.commission if fill else _ZERO,
                ts_ns=self._clock.now_ns(),
            ),
        )

    # -- rows and reports --------------------------------------------------------------------------

    def _report(self, order: Order, event: OrderEvent | None, exec_type: ExecType | None = None) -> ExecutionReport:
        fill = event if isinstance(event, OrderFilled) else None
        cl_ord_id, orig = self._report_ids(order, event)
        return ExecutionReport(
            session=order.session,
            order_id=order.order_id,
            cl_ord_id=cl_ord_id,
            exec_id=self._exec_ids.next(order.order_id),
            exec_type=exec_type or _EXEC_TYPES[type(event)],
            ord_status=order.status,
            account=order.account,
            symbol=order.symbol,
            side=order.side,
            ord_type=order.ord_type,
            price=order.price,
            order_qty=order.order_qty,
            cum_qty=order.cum_qty,
            leaves_qty=order.leaves_qty,
            avg_px=order.avg_px,
            last_qty=fill.last_qty if fill else None,
            last_px=fill.last_px if fill else None,
            transact_time_ns=event.ts_ns if event is not None else self._clock.now_ns(),
            ord_rej_reason=order.ord_rej_reason if isinstance(event, OrderDenied | OrderRejected) else None,
            text=order.text if isinstance(event, OrderDenied | OrderRejected | OrderCanceled) else None,
            orig_cl_ord_id=orig,
        )

    @staticmethod
    def _report_ids(order: Order, event: OrderEvent | None) -> tuple[ClOrdId, ClOrdId | None]:
        """ClOrdID (11) and OrigClOrdID (41) of a report: the request's for pending acks and their outcome."""
        if isinstance(event, CancelRequested):
            return event.cl_ord_id, event.orig_cl_ord_id if event.orig_cl_ord_id != event.cl_ord_id else None
        if isinstance(event, OrderCanceled | OrderReplaced) and order.orig_cl_ord_id not in (None, order.cl_ord_id):
            return order.cl_ord_id, order.orig_cl_ord_id
        return order.cl_ord_id, None

    def _row(self, order: Order) -> dict[str, Any]:
        return {
            "order_id": order.order_id,
            "seq": int(order.order_id[1:]),
            "session": order.session,
            "cl_ord_id": order.cl_ord_id,
            "orig_cl_ord_id": order.orig_cl_ord_id,
            "account": order.account,
            "symbol": order.symbol,
            "side": order.side.value,
            "ord_type": order.ord_type.value,
            "time_in_force": order.time_in_force.value,
            "price": order.price,
            "order_qty": order.order_qty,
            "cum_qty": order.cum_qty,
            "leaves_qty": order.leaves_qty,
            "avg_px": order.avg_px,
            "status": order.status.value,
            "venue": order.venue,
            "venue_cl_ord_id": order.venue_cl_ord_id,
            "venue_order_id": order.venue_order_id,
            "ord_rej_reason": order.ord_rej_reason.value if order.ord_rej_reason else None,
            "text": order.text,
            "requests_sent": self._requests_sent.get(order.order_id, 0),
            "pending": encode_pending(order.pending),
            "created_ns": order.created_ns,
            "updated_ns": order.updated_ns,
        }

    @staticmethod
    def _execution_row(order: Order, event: OrderFilled, exec_id: ExecId) -> dict[str, Any]:
        return {
            "exec_id": exec_id,
            "order_id": order.order_id,
            "venue": event.venue,
            "venue_exec_id": event.venue_exec_id,
            "account": order.account,
            "symbol": order.symbol,
            "side": order.side.value,
            "last_qty": event.last_qty,
            "last_px": event.last_px,
            "ts_ns": event.ts_ns,
            "commission": event.commission,
        }


def _working(order: Order) -> bool:
    """Working at the venue with no request of ours in flight: a cancel may be sent now."""
    return order.status in (OrdStatus.NEW, OrdStatus.PARTIALLY_FILLED) and order.pending is None


def _in_cancel_scope(order: Order, command: CancelWorking) -> bool:
    in_scope = (
        command.everything
        or order.account == command.account
        or (command.client is not None and client_comp_id(order.session) == command.client)
    )
    # Cancel-on-disconnect takes day orders only (59=0 or absent): a GTC order outlives its session by design.
    return in_scope and (not command.day_only or order.time_in_force is TimeInForce.DAY)


def _resubmission(order: Order) -> SubmitOrder:
    """The order as it was submitted, to send to its venue again under the same ClOrdID."""
    return SubmitOrder(
        session=order.session,
        cl_ord_id=order.cl_ord_id,
        account=order.account,
        symbol=order.symbol,
        side=order.side,
        ord_type=order.ord_type,
        order_qty=order.order_qty,
        price=order.price,
        time_in_force=order.time_in_force,
        ts_received_ns=order.created_ns,
        order_id=order.order_id,
    )


def position_row(position: Position, ts_ns: int) -> dict[str, Any]:
    """The row of a position in the book."""
    return {
        "account": position.account,
        "symbol": position.symbol,
        "qty": position.qty,
        "avg_cost": position.avg_cost,
        "realized_pnl": position.realized_pnl,
        "fees": position.fees,
        "mark": position.mark,
        "bought_qty": position.bought_qty,
        "sold_qty": position.sold_qty,
        "updated_ns": ts_ns,
    }


def _request_audit(order: Order, msg_type: str, venue_cl_ord_id: ClOrdId, ts_ns: int) -> dict[str, Any]:
    """The audit row of a request we send to the venue (its FIX text is in the venue session's log)."""
    body = {
        "order_id": order.order_id,
        "venue_cl_ord_id": venue_cl_ord_id,
        "symbol": order.symbol,
        "side": order.side.value,
        "order_qty": str(order.order_qty),
        "price": str(order.price),
    }
    return {
        "ts_ns": ts_ns,
        "direction": "out",
        "session": order.venue or "",
        "msg_type": msg_type,
        "seq": None,
        "order_id": order.order_id,
        "cl_ord_id": venue_cl_ord_id,
        "body": msgspec.json.encode(body).decode(),
    }


def owed_row(key: str, command: QueryOrder | CancelOrder | ReplaceOrder, ts_ns: int) -> dict[str, Any]:
    """The ``pending_lookups`` row of an answer owed to ``command``."""
    kind = "query" if isinstance(command, QueryOrder) else "cancel" if isinstance(command, CancelOrder) else "replace"
    return {
        "key": key,
        "session": command.session,
        "kind": kind,
        "command": msgspec.json.encode(command).decode(),
        "ts_ns": ts_ns,
    }


def encode_pending(request: CancelRequested | None) -> str | None:
    """The pending request as JSON for the book (so a restart knows what is in flight)."""
    if request is None:
        return None
    kind = "replace" if isinstance(request, ReplaceRequested) else "cancel"
    return msgspec.json.encode({"kind": kind, "request": request}).decode()


def decode_pending(text: str | None) -> CancelRequested | None:
    """Read back what ``encode_pending`` wrote."""
    if not text:
        return None
    raw = msgspec.json.decode(text)
    request_type = ReplaceRequested if raw["kind"] == "replace" else CancelRequested
    return msgspec.convert(raw["request"], request_type)
