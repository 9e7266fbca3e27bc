"""The OMS engine: opens orders, applies their events, journals every change and reports it to the client.

Two doors, as every engine has (STYLE 2.5): ``execute`` takes commands (``OMS_EXECUTE``: client messages, the risk
engine's post-trade orders, operators, venue logons, the journal's quarantine) and ``process`` takes events
(``OMS_PROCESS``: from venues and the EMS). Everything a client is told goes through the journal, so it is sent only
after the change it reports is committed.

A NewOrderSingle, in order: the message throttles (``PreTrade.admit``), the duplicate ClOrdID check, booking
(Pending New, with the consolidated bid and offer of that moment from ``Quotes``: the arrival price), the pre-trade
catalogue (``PreTrade.check``, a direct call: the answer is needed at once), then the
EMS (``EMS_EXECUTE``) or a rejected report. Cancels and replaces are ``oms.requests``; questions about retired
orders ``oms.lookups``; start-up and venue reconciliation ``oms.recovery``; every report ``oms.reports``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import msgspec

from domain.bus import MessageBus
from domain.channels import EMS_EXECUTE, OMS_EXECUTE, OMS_PROCESS, ORDER_UPDATES, OmsCommand, OmsEvent
from domain.clock import Clock
from domain.commands import (
    AnswerAgain,
    CancelOrder,
    CancelWorking,
    MassCancel,
    QueryOrder,
    ReconcileVenue,
    ReplaceOrder,
    SubmitOrder,
    SubmitRiskOrder,
    Unrecorded,
)
from domain.enums import CxlRejReason, ExecType, OrdRejReason, OrdStatus, OrdType, TimeInForce
from domain.events import (
    CancelRejected,
    CancelRequested,
    OrderDenied,
    OrderEvent,
    OrderFilled,
    OrderRouted,
    OrderStatusReported,
    VenueEvent,
)
from domain.ids import RISK_SESSION, OrderId
from domain.latency import hops
from domain.marketdata import NoQuotes, Quotes
from domain.order import InvalidTransition, Order
from domain.positions import PositionBook
from oms.book import Book
from oms.counts import OUTCOMES, OrderCounts
from oms.exec_ids import ExecIds
from oms.lookups import RetiredLookups
from oms.ports import FindRetired, Journal, NoRisk, PreTrade
from oms.recovery import Recovery, RecoverySnapshot, resubmission, updated
from oms.reports import Reports
from oms.requests import Requests
from oms.rows import execution_row, order_row, position_row, request_audit

log = logging.getLogger("fixgw.oms")

ClientMessage = SubmitOrder | CancelOrder | ReplaceOrder | QueryOrder | MassCancel
_CLIENT_MESSAGES = (SubmitOrder, CancelOrder, ReplaceOrder, QueryOrder, MassCancel)
_CLIENT_MESSAGE_TYPES = frozenset({"D", "F", "G", "H", "q"})


class OmsEngine:
    """The book of record's engine."""

    def __init__(
        self,
        bus: MessageBus,
        clock: Clock,
        journal: Journal,
        book: Book,
        *,
        risk: PreTrade | None = None,
        find_retired: FindRetired | None = None,
        snapshot: RecoverySnapshot | None = None,
        positions: PositionBook | None = None,
        quotes: Quotes | None = None,
    ) -> None:
        """``risk``: asked about every client message and order (none refused by default: tests); ``find_retired``:
        looks retired orders up in the book of record; ``snapshot``: the committed book to start from, and this
        start's incarnation (ExecIDs); an empty book and a first start by default; ``quotes``: the live books, whose
        bid and offer each order is booked with (none by default: no market data)."""
        self._bus = bus
        self._clock = clock
        self._journal = journal
        self.book = book
        self.positions = positions or PositionBook()
        self._risk = risk or NoRisk()
        self.counts = OrderCounts()
        """What monitoring reads (``/metrics``): orders by session and outcome, denials by check, venue answers."""
        self._bid_ask = (quotes if quotes is not None else NoQuotes()).bid_ask
        self._reports = Reports(clock, ExecIds(snapshot.incarnation if snapshot is not None else 1))
        self._recovery = Recovery(bus, book, self.positions)
        self._seq = self._recovery.restore(snapshot) if snapshot is not None else 0
        self._lookups = RetiredLookups(
            clock, journal, book, self._reports.incarnation, find_retired, issued=self._issued
        )
        self._requests = Requests(bus, clock, journal, book, self._reports, self._risk, self._lookups, self.counts)
        self._commands: dict[type, Callable[[Any], None]] = {
            SubmitOrder: self._submit,
            CancelOrder: self._requests.cancel,
            ReplaceOrder: self._requests.replace,
            QueryOrder: self._query,
            MassCancel: self._requests.mass_cancel,
            CancelWorking: self._requests.cancel_working,
            SubmitRiskOrder: self._risk_order,
            ReconcileVenue: self._recovery.reconcile,
            Unrecorded: self._unrecorded,
            AnswerAgain: self._answer_again,
        }
        bus.register(OMS_EXECUTE, self.execute)
        bus.register(OMS_PROCESS, self.process)
        if snapshot is not None:
            self._recovery.publish_restored(snapshot, clock.now_ns())

    def execute(self, command: OmsCommand) -> None:
        """Handle a command: a client message only once the message throttles admit it."""
        if isinstance(command, _CLIENT_MESSAGES) and self._throttled(command):
            return
        self._commands[type(command)](command)

    def process(self, event: OmsEvent) -> None:
        """Apply an event to its order, journal the change and report it to the client."""
        if isinstance(event, OrderRouted):
            self._routed(event)
        elif isinstance(event, OrderStatusReported):
            self._recovery.on_status(event)
        else:
            self._apply(event)

    def cancel_by_operator(self, order_id: OrderId) -> None:
        """Cancel a working order on an operator's word (its client sees an unsolicited cancel).

        Raises ``UnknownOrder`` or ``OrderNotWorking`` (``domain.errors``); call it holding ``bus.entered()``.
        """
        self._requests.by_operator(order_id, self._issued(order_id))

    # -- commands --------------------------------------------------------------------------------

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
        denial = self._risk.admit(command.session, about.account if about else None, about.symbol if about else None)
        if denial is not None:
            self.counts.denials[denial.check] += 1
            self._journal.append(report=self._reports.throttled(command, target, denial.text))
        return denial is not None

    def _submit(self, command: SubmitOrder) -> None:
        if self.book.used(command.session, command.cl_ord_id):
            if command.poss_dup:
                return  # a resend of a message already processed (after a restart): nothing to do again
            # 103=6: the first order with this ClOrdID stands; this one is not booked (FIX App D F.1.a).
            text = f"Duplicate ClOrdID (11) {command.cl_ord_id!r}: already used on this session"
            self._journal.append(report=self._reports.refusal(command, OrdRejReason.DUPLICATE_ORDER, text, "DUP"))
            return
        order = self._book(command)
        hops.mark("oms")
        command = msgspec.structs.replace(command, order_id=order.order_id)
        denial = self._risk.check(command)
        hops.mark("risk")
        if denial is not None:
            self.counts.denials[denial.check] += 1
            self._apply(
                OrderDenied(order_id=order.order_id, reason=denial.reason, text=denial.text, ts_ns=self._clock.now_ns())
            )
            return
        self._bus.send(EMS_EXECUTE, command)

    def _risk_order(self, command: SubmitRiskOrder) -> None:
        """Book the risk engine's reducing order under ``RISK_SESSION`` and hand it to the EMS (not to risk)."""
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
        )
        order = self._book(submit, text=command.reason)  # the book's Text column says why the order exists
        self._bus.send(EMS_EXECUTE, msgspec.structs.replace(submit, order_id=order.order_id))

    def _book(self, command: SubmitOrder, text: str | None = None) -> Order:
        """Open the order (Pending New) under the next OrderID, with the bid and offer of now, and journal it."""
        self._seq += 1
        self.counts.booked[command.session] += 1
        order = Order(command, OrderId(f"O{self._seq}"))
        order.text = text
        order.arrival_bid, order.arrival_ask = self._bid_ask(command.symbol)  # in memory: no I/O on the order path
        self.book.add(order)
        self._journal.append(order=order_row(order))
        return order

    def _query(self, command: QueryOrder) -> None:
        order = self.book.by_client.get((command.session, command.cl_ord_id))
        if order is None and command.order_id:
            found = self.book.by_id.get(command.order_id)
            order = found if found is not None and found.session == command.session else None

        def retired(found: Order | None) -> None:
            mine = found is not None and found.session == command.session
            status = self._reports.execution(found, None, ExecType.ORDER_STATUS) if mine else None  # type: ignore[arg-type]
            self._journal.append(report=status or self._reports.unknown_status(command))

        if order is None and self._lookups.ask(command, command.cl_ord_id, command.order_id, retired):
            return
        if order is None:
            self._journal.append(report=self._reports.unknown_status(command))
        else:
            self._journal.append(report=self._reports.execution(order, None, ExecType.ORDER_STATUS))

    def _answer_again(self, command: AnswerAgain) -> None:
        """Answer again a request owed when the gateway stopped: the owed row goes with what answers it now."""
        with self._journal.atomic():
            self._journal.append(owed=command.key)
            self._commands[type(command.command)](command.command)

    def _unrecorded(self, command: Unrecorded) -> None:
        """The book refused what one received message changed (issue 12): undo in memory what never left and
        answer its sender; what did leave (a trade at an internal venue) is left to an operator, loudly."""
        text = f"not applied: the book of record refused it (quarantine Q{command.quarantine_id}: {command.reason})"
        answered = False
        for order_id in command.order_ids:
            order = self.book.by_id.get(order_id)
            if order is None:
                continue
            now = self._clock.now_ns()
            if command.msg_type == "D" and order.status is OrdStatus.PENDING_NEW:
                # Its send to the venue waited for the commit that failed: it never left. Refused unbooked, and
                # nothing of it written again (its own row may be what the book refuses).
                order.apply(OrderDenied(order_id=order.order_id, reason=OrdRejReason.OTHER, text=text, ts_ns=now))
                self._bus.publish(ORDER_UPDATES, updated(order, None, now))
                self._forget(self.book.close(order, now))
                refusal = self._reports.refusal(resubmission(order), OrdRejReason.OTHER, text, "NONE")
                self._journal.append(report=refusal)
                answered = True
            elif (
                command.msg_type in ("F", "G")
                and order.pending is not None
                and (order.pending.cl_ord_id == command.cl_ord_id)
            ):  # the request never left either: the order goes back to what it was
                self._apply(
                    CancelRejected(
                        venue=None,
                        venue_cl_ord_id=None,
                        order_id=order.order_id,
                        reason=CxlRejReason.OTHER,
                        text=text,
                        ts_ns=now,
                    )
                )
                answered = True
            else:
                log.error(
                    "order %s changed in memory but the book of record refused the change (quarantine Q%d): "
                    "reconcile it with its venue",
                    order.order_id,
                    command.quarantine_id,
                )
        if not answered and command.session and command.cl_ord_id and command.msg_type in _CLIENT_MESSAGE_TYPES:
            reject = self._reports.business_reject(command.session, command.cl_ord_id, command.msg_type or "", text)
            self._journal.append(report=reject)

    # -- events ----------------------------------------------------------------------------------

    def _apply(self, event: OrderEvent) -> None:
        order = self._find(event)
        if order is None:
            return
        if isinstance(event, VenueEvent) and not self.book.first_sighting(order, event.venue, event.venue_exec_id):
            return  # a resent (PossDup) or replayed report: already applied
        request = order.pending
        status = order.status
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
            report: Any = self._reports.venue_cancel_reject(order, request, event)
            if event.venue is not None:
                self.counts.cancel_rejects[event.venue] += 1
        else:
            report = self._reports.execution(order, event)
        execution = position = None
        if isinstance(event, OrderFilled):
            self.counts.fills[event.venue] += 1
            # The quote of the moment the fill is booked (TCA): in memory, like the arrival price.
            execution = execution_row(order, event, report.exec_id, self._bid_ask(order.symbol))
            filled = self.positions.apply_fill(
                order.account, order.symbol, order.side, event.last_qty, event.last_px, event.commission
            )
            position = position_row(filled, event.ts_ns)
        self._journal.append(order=order_row(order), execution=execution, report=report, position=position)
        self._bus.publish(
            ORDER_UPDATES, updated(order, event if isinstance(event, OrderFilled) else None, self._clock.now_ns())
        )
        if order.status is not status and order.status in OUTCOMES:  # just closed (a final state stays final)
            self.counts.closed(order, event)
        self._requests.after_event(order)
        self._forget(self.book.close(order, self._clock.now_ns()))

    def _routed(self, event: OrderRouted) -> None:
        order = self.book.by_id[event.order_id]
        self.book.route(order, event.venue, event.venue_cl_ord_id)
        order.route_reason = event.route_reason
        audit = request_audit(order, "D", event.venue_cl_ord_id, event.ts_ns)
        self._journal.append(order=order_row(order), audit=audit)
        self._bus.publish(ORDER_UPDATES, updated(order, None, self._clock.now_ns()))

    def _find(self, event: OrderEvent) -> Order | None:
        if isinstance(event, OrderDenied | CancelRequested):
            return self.book.by_id.get(event.order_id)
        if isinstance(event, CancelRejected) and event.order_id is not None:
            return self.book.by_id.get(event.order_id)
        assert not isinstance(event, CancelRequested)
        order = self.book.by_venue.get((event.venue, event.venue_cl_ord_id))  # type: ignore[arg-type]
        if order is None:
            log.warning("venue %s reported on unknown ClOrdID %s", event.venue, event.venue_cl_ord_id)
        return order

    def _forget(self, retired: list[OrderId]) -> None:
        # A later question about one is answered from its row in the book of record (oms.lookups).
        for order_id in retired:
            self._requests.forget(order_id)
            self._recovery.forget(order_id)

    def _issued(self, order_id: OrderId) -> bool:
        number = order_id[1:]
        return order_id[:1] == "O" and number.isdigit() and 0 < int(number) <= self._seq
