"""Cancels and replaces: from a client, an operator, a mass cancel or a kill switch, to the order's venue.

A request is checked against the order it names (FIX 4.4 Appendix D: the last accepted ClOrdID, one request in
flight at a time, too late once closed), a replace against risk as well; then it opens on the order (Pending
Cancel / Pending Replace, acknowledged 150=6 / 150=E), is journaled with its audit row and goes to the EMS under a
ClOrdID of ours at the venue, ``<OrderID>.<n>``. Its outcome comes back from the venue as an event.
"""

from __future__ import annotations

import logging
from typing import Any

import msgspec

from domain.bus import MessageBus
from domain.channels import EMS_EXECUTE
from domain.clock import Clock
from domain.commands import CancelAtVenue, CancelOrder, CancelWorking, MassCancel, ReplaceAtVenue, ReplaceOrder
from domain.enums import CxlRejReason, CxlRejResponseTo, OrdStatus, TimeInForce
from domain.errors import OrderNotWorking, UnknownOrder
from domain.events import CancelRequested, ReplaceRequested
from domain.ids import ClOrdId, OrderId, client_comp_id
from domain.latency import hops
from domain.order import Order
from oms.book import Book
from oms.counts import OrderCounts
from oms.lookups import RetiredLookups
from oms.ports import Journal, PreTrade
from oms.reports import Reports
from oms.rows import order_row, request_audit

log = logging.getLogger("fixgw.oms")

_MASS_CANCEL_TYPES = {"1", "7"}  # one security, all orders


class Requests:
    """Check, open and send the cancels and replaces of orders in the book."""

    def __init__(
        self,
        bus: MessageBus,
        clock: Clock,
        journal: Journal,
        book: Book,
        reports: Reports,
        risk: PreTrade,
        lookups: RetiredLookups,
        counts: OrderCounts | None = None,
    ) -> None:
        self._bus = bus
        self._clock = clock
        self._journal = journal
        self._book = book
        self._reports = reports
        self._risk = risk
        self._lookups = lookups
        self._counts = counts or OrderCounts()
        self._cancel_once_working: dict[OrderId, str] = {}
        """Orders a ``CancelWorking`` found in flight, and why: canceled when an event leaves them working."""

    def cancel(self, command: CancelOrder) -> None:
        """A client's OrderCancelRequest (35=F)."""
        order = self._target(command, CxlRejResponseTo.ORDER_CANCEL_REQUEST)
        if order is not None:
            self._open_cancel(order, command.cl_ord_id, command.orig_cl_ord_id, command.ts_received_ns)

    def replace(self, command: ReplaceOrder) -> None:
        """A client's OrderCancelReplaceRequest (35=G): checked against its order, then by risk."""
        order = self._target(command, CxlRejResponseTo.ORDER_CANCEL_REPLACE_REQUEST)
        if order is None:
            return
        if command.symbol != order.symbol or command.side != order.side:
            text = "Symbol (55) and Side (54) of an order cannot be replaced; cancel it instead"
            self._journal.append(report=self._reports.cancel_reject(command, order, CxlRejReason.BROKER_OPTION, text))
            return
        # CumQty (14) goes with it: what the order already filled is position, not working quantity, to risk.
        command = msgspec.structs.replace(command, order_id=order.order_id, cum_qty=order.cum_qty)
        denial = self._risk.check(command)
        hops.mark_tick("risk")  # a strategy's replace carries its tick through here (domain.latency)
        if denial is not None:  # 35=9 434=2; the order stays as it was, in the book and at the venue
            self._counts.denials[denial.check] += 1
            reject = self._reports.cancel_reject(command, order, CxlRejReason.BROKER_OPTION, denial.text)
            self._journal.append(report=reject)
            return
        event = ReplaceRequested(
            order_id=order.order_id,
            cl_ord_id=command.cl_ord_id,
            orig_cl_ord_id=command.orig_cl_ord_id,
            venue_cl_ord_id=_next_request_id(order),
            ts_ns=command.ts_received_ns,
            order_qty=command.order_qty,
            price=command.price,
            ord_type=command.ord_type,
            time_in_force=command.time_in_force,
        )
        self._open(order, event)

    def mass_cancel(self, command: MassCancel) -> None:
        """A client's OrderMassCancelRequest (35=q): types 1 (one security) and 7 (all orders) of its session."""
        if command.request_type not in _MASS_CANCEL_TYPES or (command.request_type == "1" and not command.symbol):
            text = f"MassCancelRequestType (530) {command.request_type!r} is not supported; use 1 or 7"
            self._journal.append(report=self._reports.mass_cancel(command, reject_reason="0", text=text))
            return
        affected = [o for o in self._book.by_id.values() if _in_mass_cancel(o, command)]
        for order in affected:
            self._open_cancel(order, order.cl_ord_id, order.cl_ord_id, command.ts_received_ns)
        self._journal.append(report=self._reports.mass_cancel(command, affected=len(affected)))

    def cancel_working(self, command: CancelWorking) -> None:
        """Cancel every working order in a scope (kill switch, risk breach, cancel-on-disconnect)."""
        for order in list(self._book.by_id.values()):
            if order.status.is_terminal or not _in_cancel_scope(order, command):
                continue
            if working(order):
                log.warning("canceling order %s: %s", order.order_id, command.reason)
                self._open_cancel(order, order.cl_ord_id, order.cl_ord_id, self._clock.now_ns())
            else:
                # In flight (39=A, or a 35=F/G pending): a cancel now would cross the venue's answer and be
                # refused (35=9 102=3), so the answer decides: if it leaves the order working, cancel it then.
                self._cancel_once_working[order.order_id] = command.reason

    def by_operator(self, order_id: OrderId, issued: bool) -> None:
        """Cancel an order on an operator's word (the client sees an unsolicited cancel).

        Raises ``UnknownOrder`` (``issued``: whether this book ever gave that OrderID) or ``OrderNotWorking``.
        """
        order = self._book.by_id.get(order_id)
        if order is None and issued:
            raise OrderNotWorking(f"order {order_id} is closed: only a working order can be canceled")
        if order is None:
            raise UnknownOrder(f"unknown order {order_id}")
        if not working(order):
            raise OrderNotWorking(f"order {order_id} is {order.status.name}: only a working order can be canceled")
        self._open_cancel(order, order.cl_ord_id, order.cl_ord_id, self._clock.now_ns())

    def after_event(self, order: Order) -> None:
        """An event moved ``order``: cancel it now if a ``CancelWorking`` found it in flight and it works."""
        if not self._cancel_once_working or order.order_id not in self._cancel_once_working:
            return
        if order.status.is_terminal:
            del self._cancel_once_working[order.order_id]
        elif working(order):
            reason = self._cancel_once_working.pop(order.order_id)
            log.warning("canceling order %s now that the venue has answered: %s", order.order_id, reason)
            self._open_cancel(order, order.cl_ord_id, order.cl_ord_id, self._clock.now_ns())

    def forget(self, order_id: OrderId) -> None:
        """``order_id`` left memory (retired)."""
        self._cancel_once_working.pop(order_id, None)

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
        book = self._book
        order = book.by_client.get((command.session, command.orig_cl_ord_id)) or retired
        if command.poss_dup and book.used(command.session, command.cl_ord_id):
            return None  # a resend of a request already processed (after a restart)
        if order is None and not asked:

            def again(found: Order | None) -> None:
                self._target(command, response_to, True, found)

            if self._lookups.ask(command, command.orig_cl_ord_id, None, again):
                return None
        problem = _problem(book, command, order)
        if problem is None:
            return order
        self._journal.append(report=self._reports.cancel_reject(command, order, *problem, response_to=response_to))
        return None

    def _open_cancel(self, order: Order, cl_ord_id: ClOrdId, orig: ClOrdId, ts_ns: int) -> None:
        event = CancelRequested(
            order_id=order.order_id,
            cl_ord_id=cl_ord_id,
            orig_cl_ord_id=orig,
            venue_cl_ord_id=_next_request_id(order),
            ts_ns=ts_ns,
        )
        self._open(order, event)

    def _open(self, order: Order, event: CancelRequested) -> None:
        """Open the request on the order, journal it (its ack, 150=6 or 150=E, and its audit row), send it."""
        order.apply(event)
        self._book.add_request(order, event.cl_ord_id, event.venue_cl_ord_id)
        msg_type = "G" if isinstance(event, ReplaceRequested) else "F"
        self._journal.append(
            order=order_row(order),
            report=self._reports.execution(order, event),
            audit=request_audit(order, msg_type, event.venue_cl_ord_id, event.ts_ns),
        )
        self._bus.send(EMS_EXECUTE, venue_request(order, event))


def venue_request(order: Order, event: CancelRequested) -> CancelAtVenue | ReplaceAtVenue:
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


def working(order: Order) -> bool:
    """Working at the venue with no request of ours in flight: a cancel may be sent now."""
    return order.status in (OrdStatus.NEW, OrdStatus.PARTIALLY_FILLED) and order.pending is None


def _next_request_id(order: Order) -> ClOrdId:
    order.requests_sent += 1
    return ClOrdId(f"{order.order_id}.{order.requests_sent}")


def _problem(book: Book, command: CancelOrder | ReplaceOrder, order: Order | None) -> tuple[CxlRejReason, str] | None:
    """Why a cancel or replace cannot apply to ``order`` (CxlRejReason (102) and Text), or None."""
    if book.used(command.session, command.cl_ord_id):
        return CxlRejReason.DUPLICATE_CL_ORD_ID, f"Duplicate ClOrdID (11) {command.cl_ord_id!r}"
    if order is None or order.cl_ord_id != command.orig_cl_ord_id:
        text = f"Unknown order: OrigClOrdID (41) {command.orig_cl_ord_id!r}"
        if order is not None and order.pending is None:
            text += f" is not the order's last accepted ClOrdID {order.cl_ord_id!r}"
        pending = order is not None and order.pending is not None
        return (CxlRejReason.ALREADY_PENDING if pending else CxlRejReason.UNKNOWN_ORDER), text
    if order.pending is not None or order.status is OrdStatus.PENDING_NEW:
        return CxlRejReason.ALREADY_PENDING, f"Order {order.order_id} is {order.status.name}; retry later"
    if order.status.is_terminal:
        return CxlRejReason.TOO_LATE_TO_CANCEL, f"Order {order.order_id} is already {order.status.name}"
    return None


def _in_mass_cancel(order: Order, command: MassCancel) -> bool:
    return (
        working(order)
        and order.session == command.session
        and (command.request_type == "7" or order.symbol == command.symbol)
    )


def _in_cancel_scope(order: Order, command: CancelWorking) -> bool:
    in_scope = (
        command.everything
        or order.account == command.account
        or (command.client is not None and client_comp_id(order.session) == command.client)
    )
    # Cancel-on-disconnect takes day orders only (59=0 or absent): a GTC order outlives its session by design.
    return in_scope and (not command.day_only or order.time_in_force is TimeInForce.DAY)
