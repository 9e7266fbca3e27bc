"""The OMS engine: opens orders, applies their events, journals every change and emits client reports."""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any, Protocol

import msgspec

from domain.bus import MessageBus
from domain.clock import Clock
from domain.commands import SubmitOrder
from domain.enums import ExecType, OrdRejReason, OrdStatus
from domain.events import (
    OrderAccepted,
    OrderCanceled,
    OrderDenied,
    OrderEvent,
    OrderFilled,
    OrderRejected,
    OrderRouted,
)
from domain.ids import ExecId, OrderId, VenueId
from domain.order import InvalidTransition, Order
from domain.reports import ExecutionReport
from oms.book import Book

log = logging.getLogger("fixgw.oms")

_EXEC_TYPES: dict[type, ExecType] = {
    OrderDenied: ExecType.REJECTED,
    OrderRejected: ExecType.REJECTED,
    OrderAccepted: ExecType.NEW,
    OrderFilled: ExecType.TRADE,
    OrderCanceled: ExecType.CANCELED,
}
_ZERO = Decimal(0)


class Journal(Protocol):
    """Where the engine records book changes; a report is released only after its change is durable."""

    def append(
        self, order: dict[str, Any] | None, execution: dict[str, Any] | None = None,
        report: ExecutionReport | None = None,
    ) -> None:  # fmt: skip
        """Queue one change and the report that depends on it."""


class OmsEngine:
    """Endpoints ``oms.execute`` (client commands) and ``oms.process`` (events about orders)."""

    def __init__(self, bus: MessageBus, clock: Clock, journal: Journal, book: Book, last_seq: int = 0) -> None:
        self._bus = bus
        self._clock = clock
        self._journal = journal
        self.book = book
        self._seq = last_seq
        self._reports_sent: dict[OrderId, int] = {}
        bus.register("oms.execute", self.execute)
        bus.register("oms.process", self.process)

    def restore(
        self, orders: list[Order], reports_sent: dict[OrderId, int], executions: list[tuple[VenueId, ExecId]]
    ) -> None:
        """Load the book as it was committed (at start, before any session connects)."""
        for order in orders:
            self.book.add(order)
            if order.venue is not None and order.venue_cl_ord_id is not None:
                self.book.route(order, order.venue, order.venue_cl_ord_id)
            self._seq = max(self._seq, int(order.order_id[1:]))
        self._reports_sent.update(reports_sent)
        self.book.executions.update(executions)

    # -- commands ----------------------------------------------------------------------------------

    def execute(self, command: SubmitOrder) -> None:
        """Open an order for ``command`` and send it to pre-trade risk."""
        if (command.session, command.cl_ord_id) in self.book.by_client:
            self._reject_duplicate(command)
            return
        self._seq += 1
        order_id = OrderId(f"O{self._seq}")
        command = msgspec.structs.replace(command, order_id=order_id)
        order = Order(command, order_id)
        self.book.add(order)
        self._journal.append(self._row(order))
        self._bus.send("risk.execute", command)

    def _reject_duplicate(self, command: SubmitOrder) -> None:
        # 103=6: the first order with this ClOrdID stands; this one is not booked (FIX App D F.1.a).
        report = ExecutionReport(
            session=command.session, order_id=OrderId("NONE"), cl_ord_id=command.cl_ord_id,
            exec_id=ExecId(f"DUP-{command.session}-{command.cl_ord_id}-{self._clock.now_ns()}"),
            exec_type=ExecType.REJECTED, ord_status=OrdStatus.REJECTED, account=command.account,
            symbol=command.symbol, side=command.side, ord_type=command.ord_type, price=command.price,
            order_qty=command.order_qty, cum_qty=_ZERO, leaves_qty=_ZERO, avg_px=_ZERO,
            transact_time_ns=self._clock.now_ns(), ord_rej_reason=OrdRejReason.DUPLICATE_ORDER,
            text=f"Duplicate ClOrdID (11) {command.cl_ord_id!r}: already used on this session",
        )  # fmt: skip
        self._journal.append(None, None, report)

    # -- events ------------------------------------------------------------------------------------

    def process(self, event: OrderEvent | OrderRouted) -> None:
        """Apply an event to its order, journal the change and report it to the client."""
        if isinstance(event, OrderRouted):
            self._on_routed(event)
            return
        order = self._find(event)
        if order is None:
            return
        if isinstance(event, OrderFilled) and not self.book.first_sighting(event.venue, event.venue_exec_id):
            return  # a resent (PossDup) or replayed fill: already counted
        try:
            order.apply(event)
        except InvalidTransition as exc:
            log.error("rejected event for order %s: %s (event %r)", order.order_id, exc, event)
            return
        report = self._report(order, event)
        self._journal.append(self._row(order), self._execution_row(order, event, report), report)

    def _on_routed(self, event: OrderRouted) -> None:
        order = self.book.by_id[event.order_id]
        self.book.route(order, event.venue, event.venue_cl_ord_id)
        self._journal.append(self._row(order))

    def _find(self, event: OrderEvent) -> Order | None:
        if isinstance(event, OrderDenied):
            return self.book.by_id.get(event.order_id)
        order = self.book.by_venue.get((event.venue, event.venue_cl_ord_id))
        if order is None:
            log.warning("venue %s reported on unknown ClOrdID %s", event.venue, event.venue_cl_ord_id)
        return order

    # -- rows and reports --------------------------------------------------------------------------

    def _report(self, order: Order, event: OrderEvent) -> ExecutionReport:
        sent = self._reports_sent.get(order.order_id, 0) + 1
        self._reports_sent[order.order_id] = sent
        fill = event if isinstance(event, OrderFilled) else None
        return ExecutionReport(
            session=order.session, order_id=order.order_id, cl_ord_id=order.cl_ord_id,
            exec_id=ExecId(f"{order.order_id}-{sent}"), exec_type=_EXEC_TYPES[type(event)],
            ord_status=order.status, account=order.account, symbol=order.symbol, side=order.side,
            ord_type=order.ord_type, price=order.price, order_qty=order.order_qty, cum_qty=order.cum_qty,
            leaves_qty=order.leaves_qty, avg_px=order.avg_px,
            last_qty=fill.last_qty if fill else None, last_px=fill.last_px if fill else None,
            transact_time_ns=event.ts_ns,
            ord_rej_reason=order.ord_rej_reason if isinstance(event, OrderDenied | OrderRejected) else None,
            text=order.text if not isinstance(event, OrderAccepted | OrderFilled) else None,
        )  # fmt: skip

    def _row(self, order: Order) -> dict[str, Any]:
        return {
            "order_id": order.order_id, "seq": int(order.order_id[1:]), "session": order.session,
            "cl_ord_id": order.cl_ord_id, "account": order.account, "symbol": order.symbol,
            "side": order.side.value, "ord_type": order.ord_type.value,
            "time_in_force": order.time_in_force.value, "price": order.price, "order_qty": order.order_qty,
            "cum_qty": order.cum_qty, "leaves_qty": order.leaves_qty, "avg_px": order.avg_px,
            "status": order.status.value, "venue": order.venue, "venue_cl_ord_id": order.venue_cl_ord_id,
            "venue_order_id": order.venue_order_id,
            "ord_rej_reason": order.ord_rej_reason.value if order.ord_rej_reason else None,
            "text": order.text, "reports_sent": self._reports_sent.get(order.order_id, 0),
            "created_ns": order.created_ns, "updated_ns": order.updated_ns,
        }  # fmt: skip

    @staticmethod
    def _execution_row(order: Order, event: OrderEvent, report: ExecutionReport) -> dict[str, Any] | None:
        if not isinstance(event, OrderFilled):
            return None
        return {
            "exec_id": report.exec_id, "order_id": order.order_id, "venue": event.venue,
            "venue_exec_id": event.venue_exec_id, "symbol": order.symbol, "side": order.side.value,
            "last_qty": event.last_qty, "last_px": event.last_px, "ts_ns": event.ts_ns,
        }  # fmt: skip
