"""Crash recovery on the OMS's side: the book as it was committed, and settling what was in flight at a venue.

Theory of operation. At start the store reads one ``RecoverySnapshot`` (``oms.store.recovery``): the orders that
may still change (with the request each has in flight), the ClOrdIDs of the retired ones, every execution, the
highest OrderID number. ``restore`` loads it before any session connects; ``publish_restored`` then tells risk what
the book holds. On every venue logon (``ReconcileVenue``) the orders whose last message to that venue may have
been lost (pending new, cancel or replace) are asked about (35=H); what the venue never received is sent again
under the same ClOrdID (``on_status``), and what it did receive it reports by resend.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import msgspec

from domain.bus import MessageBus
from domain.channels import EMS_EXECUTE, ORDER_UPDATES
from domain.commands import AnswerAgain, QueryAtVenue, ReconcileVenue, SubmitOrder
from domain.enums import OrdStatus, Side
from domain.events import OrderStatusReported, OrderUpdated
from domain.ids import Account, ClOrdId, ExecId, OrderId, SessionKey, Symbol, VenueId
from domain.order import Order
from domain.positions import PositionBook
from domain.reports import ClientReport
from oms.book import Book
from oms.requests import venue_request

log = logging.getLogger("fixgw.oms")
_ZERO = Decimal(0)
_IN_FLIGHT = (OrdStatus.PENDING_NEW, OrdStatus.PENDING_CANCEL, OrdStatus.PENDING_REPLACE)
_REQUEST_ANSWERABLE = (
    OrdStatus.NEW,
    OrdStatus.PARTIALLY_FILLED,
    OrdStatus.FILLED,
    OrdStatus.CANCELED,
    OrdStatus.EXPIRED,
    OrdStatus.DONE_FOR_DAY,
)
"""What a venue's status answer (150=I) may say of an order whose cancel or replace it never received: the request
goes to it again, and it answers (accepts it, or refuses it with 35=9 when the order is closed)."""


class Fill(msgspec.Struct, frozen=True, kw_only=True):
    """An execution as the book of record holds it."""

    order_id: OrderId
    venue: VenueId
    venue_exec_id: ExecId
    account: Account
    symbol: Symbol
    side: Side
    last_qty: Decimal
    last_px: Decimal
    commission: Decimal
    ts_ns: int


@dataclass
class RecoverySnapshot:
    """Everything a start needs of the book of record, read in one step (``oms.store.recovery.recover``)."""

    incarnation: int
    """This start's number (ExecIDs): counted and committed by the read itself."""
    orders: list[Order]
    """The orders that may still change, oldest first, with the request each has in flight."""
    executions: list[Fill]
    """Every execution, in the order they happened (positions are their fold)."""
    last_seq: int
    """The highest OrderID number ever used."""
    retired: list[tuple[SessionKey, ClOrdId]]
    """The ClOrdIDs of the orders that can no longer change: still taken on their session."""
    controls: list[dict[str, Any]]
    """The risk controls in force (kill switches, trading states)."""
    resume: dict[SessionKey, int]
    """Per session, the last MsgSeqNum received whose processing is committed (its store's day only)."""
    undelivered: list[ClientReport]
    """Reports committed but maybe never handed to their session: sent again with PossResend=Y."""
    owed: list[AnswerAgain]
    """Answers owed when the gateway stopped (``oms.lookups``)."""
    undelivered_ids: list[int] = field(default_factory=list)
    """The audit row (``messages.id``) of each of ``undelivered``: the text it is sent as again is recorded against
    it."""
    venue_requests: dict[VenueId, list[dict[str, Any]]] = field(default_factory=dict)
    """Per internal venue, the audit rows of the orders and replaces sent there for its working orders (their
    time priority on its book)."""


class Recovery:
    """Load the committed book into memory; reconcile with each venue as it logs on."""

    def __init__(self, bus: MessageBus, book: Book, positions: PositionBook) -> None:
        self._bus = bus
        self._book = book
        self._positions = positions
        self._reconciling: set[OrderId] = set()

    def restore(self, snapshot: RecoverySnapshot) -> int:
        """Load the book as it was committed (at start, before any session connects); return the last OrderID
        number in use."""
        book = self._book
        last_seq = snapshot.last_seq
        for session, cl_ord_id in snapshot.retired:
            book.retired.setdefault(session, set()).add(cl_ord_id)
        for order in snapshot.orders:
            book.add(order)
            if order.orig_cl_ord_id is not None:
                book.by_client[order.session, order.orig_cl_ord_id] = order
            if order.venue is not None and order.venue_cl_ord_id is not None:
                book.route(order, order.venue, order.venue_cl_ord_id)
                if order.pending is not None:
                    book.add_request(order, order.pending.cl_ord_id, order.pending.venue_cl_ord_id)
            last_seq = max(last_seq, int(order.order_id[1:]))
        for e in snapshot.executions:  # positions are a fold over the executions, in the order they happened
            booked = book.by_id.get(e.order_id)
            if booked is not None:  # a retired order's executions need no dedupe: its reports are ignored
                book.first_sighting(booked, e.venue, e.venue_exec_id)
            self._positions.apply_fill(e.account, e.symbol, e.side, e.last_qty, e.last_px, e.commission)
        return last_seq

    def publish_restored(self, snapshot: RecoverySnapshot, now_ns: int) -> None:
        """Tell subscribers (risk's exposure) what the restored book holds: every fill, then what still works."""
        for e in snapshot.executions:  # of retired orders too: a fill's exposure needs only the execution
            order = self._book.by_id.get(e.order_id)
            update = OrderUpdated(
                order_id=e.order_id,
                session=order.session if order else SessionKey(""),
                account=e.account,
                symbol=e.symbol,
                side=e.side,
                price=order.price if order else None,
                leaves_qty=_ZERO,
                last_qty=e.last_qty,
                last_px=e.last_px,
                fee=e.commission,
                ts_ns=e.ts_ns,
            )
            self._bus.publish(ORDER_UPDATES, update)
        for order in self._book.by_id.values():
            if not order.status.is_terminal and order.status is not OrdStatus.PENDING_NEW:
                self._bus.publish(ORDER_UPDATES, updated(order, None, now_ns))

    def reconcile(self, command: ReconcileVenue) -> None:
        """Ask the venue about orders whose last message to it may have been lost with a restart or a drop."""
        for order in list(self._book.by_id.values()):
            if order.venue == command.venue and order.status in _IN_FLIGHT and order.venue_cl_ord_id is not None:
                self._reconciling.add(order.order_id)
                query = QueryAtVenue(
                    order_id=order.order_id,
                    venue=order.venue,
                    venue_cl_ord_id=order.venue_cl_ord_id,
                    venue_orig_cl_ord_id=order.venue_cl_ord_id,
                    symbol=order.symbol,
                    side=order.side,
                    order_qty=order.order_qty,
                )
                self._bus.send(EMS_EXECUTE, query)

    def on_status(self, event: OrderStatusReported) -> None:
        """Send again what the venue never received; everything it did receive, it reports by resend."""
        order = self._book.by_venue.get((event.venue, event.venue_cl_ord_id))
        if order is None or order.order_id not in self._reconciling:
            return
        self._reconciling.discard(order.order_id)
        unknown_at_venue = event.ord_status is OrdStatus.REJECTED and event.venue_order_id == "NONE"
        if unknown_at_venue and order.status is OrdStatus.PENDING_NEW:
            log.warning("order %s never reached venue %s: sending it again", order.order_id, event.venue)
            self._bus.send(EMS_EXECUTE, resubmission(order))
        elif (
            order.pending is not None
            and event.venue_cl_ord_id == order.venue_cl_ord_id
            and event.ord_status in _REQUEST_ANSWERABLE
        ):
            # The venue still knows the order by the ClOrdID before the request: it never took the request. Sent
            # again even when the order is closed there (filled while the request was lost with a crash): the venue
            # then refuses it (35=9, too late), and that answer is the client's. Without it the client's cancel or
            # replace would stay pending for ever (FIX 4.4 Vol. 4: every 35=F/G gets a 35=8 or a 35=9).
            log.warning(
                "request %s for order %s never reached venue %s: sending it again",
                order.pending.venue_cl_ord_id,
                order.order_id,
                event.venue,
            )
            self._bus.send(EMS_EXECUTE, venue_request(order, order.pending))

    def forget(self, order_id: OrderId) -> None:
        """``order_id`` left memory (retired)."""
        self._reconciling.discard(order_id)


def updated(order: Order, fill: Any, now_ns: int) -> OrderUpdated:
    """The ``ORDER_UPDATES`` message for ``order`` after a change (``fill``: the ``OrderFilled`` that made it)."""
    return OrderUpdated(
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
        ts_ns=now_ns,
        venue=order.venue,
        status=order.status,
        arrival_bid=order.arrival_bid,
        arrival_ask=order.arrival_ask,
    )


def resubmission(order: Order) -> SubmitOrder:
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
