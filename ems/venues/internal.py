"""The internal venue: the simulator's exchange in the gateway's own process, for internalised flow.

Theory of operation: ``submit`` and ``request`` run on the order path, under the bus lock, and hand the
exchange the same typed commands its FIX front decodes (``simulator.venue``), under the same ClOrdIDs a FIX
venue would get. The exchange's reports become exactly the events ``fixgw.codec.inbound`` decodes from the FIX
venue's messages (``venue_event``), with no FIX in between, and go to ``oms.process``.

The events are delivered *after* the exchange has finished the command, in the order it made them: the OMS
reacts to events by sending more requests (a risk breach after a fill cancels the account's working orders), and
such a request re-enters ``request`` while events are being delivered. It is executed at once — the exchange is
consistent — and its events queue behind the ones still undelivered, as a FIX venue's would behind the reports
already on the wire. All events of one outermost call are journaled as one group (``atomic``), so that a crash
never commits one side of a trade without the other: the book of record, from which the venue's book is
rebuilt at start (``restore``), always holds whole commands.

Its OrderIDs (37) and ExecIDs (17) carry a nonce of the start time: the book keeps every execution by
(venue, ExecID) for good, and the exchange's counters start again at each start.
"""

from __future__ import annotations

import contextlib
from collections import deque
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from decimal import Decimal
from typing import Any, Final

import msgspec

from domain.bus import MessageBus
from domain.clock import Clock
from domain.commands import (
    CancelAtVenue,
    CancelOrder,
    QueryAtVenue,
    QueryOrder,
    ReplaceAtVenue,
    ReplaceOrder,
    SubmitOrder,
    VenueRequest,
)
from domain.enums import ExecType, OrdRejReason, OrdStatus
from domain.events import (
    CancelRejected,
    OrderAccepted,
    OrderCanceled,
    OrderDoneForDay,
    OrderExpired,
    OrderFilled,
    OrderRejected,
    OrderReplaced,
    OrderStatusReported,
)
from domain.ids import ClOrdId, SessionKey, VenueId
from domain.order import Order
from domain.reports import CancelReject, ExecutionReport
from simulator.exchange import Exchange, VenueReport
from simulator.matching import MatchingEngine, SimOrder

Atomic = Callable[[], AbstractContextManager[object]]
"""Opens a group of book changes that commit together (``oms.store.journal.Journal.atomic``)."""
RESTING: Final = frozenset(
    {OrdStatus.NEW, OrdStatus.PARTIALLY_FILLED, OrdStatus.PENDING_CANCEL, OrdStatus.PENDING_REPLACE}
)
"""States of an order that rests at its venue (a pending request has not changed it there yet)."""


class InternalVenue:
    """A venue in the gateway's process: orders match at once, events go straight to the OMS."""

    def __init__(
        self,
        venue_id: VenueId,
        bus: MessageBus,
        clock: Clock,
        engine: MatchingEngine,
        symbols: Iterable[str],
        atomic: Atomic = contextlib.nullcontext,
    ) -> None:
        """``engine``: the book, empty or seeded; ``symbols``: what it lists (others are rejected, 103=1)."""
        self.venue_id = venue_id
        self._bus = bus
        self._clock = clock
        self._atomic = atomic
        self._member = SessionKey(f"{venue_id}:internal")
        """The exchange knows the gateway as its one member."""
        nonce = f"{clock.now_ns():x}"
        self.exchange = Exchange(
            clock,
            engine,
            symbols,
            self._reports_append,
            order_id_prefix=f"{nonce}-V",
            exec_id_prefix=f"{nonce}-E",
            keep_closed=False,
        )
        self._reports: deque[VenueReport] = deque()
        self._delivering = False

    def submit(self, order: SubmitOrder, venue_cl_ord_id: ClOrdId) -> str | None:
        """Match a new order under ``venue_cl_ord_id``; its events follow at once. Never refused here."""
        self.exchange.execute(msgspec.structs.replace(order, session=self._member, cl_ord_id=venue_cl_ord_id))
        self._deliver()
        return None

    def request(self, request: VenueRequest) -> str | None:
        """Execute a cancel, replace or status request; its events follow at once. Never refused here."""
        self.exchange.execute(self._command(request))
        self._deliver()
        return None

    def restore(self, orders: Iterable[Order]) -> int:
        """Rest the book of record's working orders at this venue again, in the order given; return how many.

        Give them in time priority (``time_priority``). Orders still pending new are not restored: the OMS asks
        about them (``ReconcileVenue``) and sends them again.
        """
        restored = 0
        for order in orders:
            if order.venue == self.venue_id and order.status in RESTING and order.venue_cl_ord_id is not None:
                self.exchange.restore(self._sim_order(order))
                restored += 1
        return restored

    def _sim_order(self, order: Order) -> SimOrder:
        assert order.venue_cl_ord_id is not None
        return SimOrder(
            order_id=order.venue_order_id or order.order_id,
            symbol=order.symbol,
            side=order.side,
            ord_type=order.ord_type,
            order_qty=order.order_qty,
            price=order.price,
            time_in_force=order.time_in_force,
            owner=self._member,
            cl_ord_id=order.venue_cl_ord_id,
            account=order.account,
            cum_qty=order.cum_qty,
            filled_value=order.cum_qty * order.avg_px,
        )

    def _command(self, request: VenueRequest) -> CancelOrder | ReplaceOrder | QueryOrder:
        """The command a FIX venue would decode from our 35=F, 35=G or 35=H (``fixgw.codec.outbound``)."""
        now = self._clock.now_ns()
        if isinstance(request, QueryAtVenue):  # 35=H names the order by its current ClOrdID
            return QueryOrder(
                session=self._member,
                cl_ord_id=request.venue_orig_cl_ord_id,
                order_id=None,
                symbol=request.symbol,
                side=request.side,
                ts_received_ns=now,
            )
        if isinstance(request, CancelAtVenue):
            return CancelOrder(
                session=self._member,
                cl_ord_id=request.venue_cl_ord_id,
                orig_cl_ord_id=request.venue_orig_cl_ord_id,
                symbol=request.symbol,
                side=request.side,
                ts_received_ns=now,
            )
        assert isinstance(request, ReplaceAtVenue)
        return ReplaceOrder(
            session=self._member,
            cl_ord_id=request.venue_cl_ord_id,
            orig_cl_ord_id=request.venue_orig_cl_ord_id,
            account=request.account,
            symbol=request.symbol,
            side=request.side,
            ord_type=request.ord_type,
            order_qty=request.order_qty,
            price=request.price,
            time_in_force=request.time_in_force,
            ts_received_ns=now,
        )

    def _reports_append(self, report: VenueReport) -> None:
        self._reports.append(report)

    def _deliver(self) -> None:
        if self._delivering:
            return  # a request made while events are being delivered: its events queue behind them
        self._delivering = True
        try:
            with self._atomic():
                reports = self._reports
                while reports:
                    event = venue_event(self.venue_id, reports.popleft(), self._clock)
                    if event is not None:
                        self._bus.send("oms.process", event)
        finally:
            self._delivering = False
        # The OMS has seen every event: it answers any later request about a closed order itself.
        self.exchange.forget_closed()


def time_priority(orders: Iterable[Order], requests: Iterable[dict[str, Any]]) -> list[Order]:
    """``orders`` in the time priority they had at their venue, from the audit rows of what was sent there.

    ``requests``: the audit rows (id, order_id, msg_type, body) of the orders (35=D) and replaces (35=G) sent
    to the venue, in the order they were written. An order's place in the queue dates from its last 35=D,
    or from its last replace that lost it: the exchange keeps an order's place when a replace only lowers the
    quantity (``simulator.matching.OrderBook.replace``). A 35=G row holds the order's terms when the replace
    was sent, so a replace was applied exactly when the terms differ at the next row (or now), and it lost the
    place when the price changed or the quantity grew. Rows get ids in the order the OMS wrote them, which
    is the order the venue executed them in.
    """
    rows: dict[str, list[dict[str, Any]]] = {}
    for row in requests:
        rows.setdefault(row["order_id"], []).append(row)
    keyed = [(_priority(order, rows.get(order.order_id, [])), int(order.order_id[1:]), order) for order in orders]
    return [order for *_, order in sorted(keyed, key=lambda k: (k[0], k[1]))]


def _priority(order: Order, rows: list[dict[str, Any]]) -> int:
    since = 0
    sent: tuple[int, tuple[Decimal, Decimal | None]] | None = None  # the last replace and the terms before it
    for row in sorted(rows, key=lambda r: int(r["id"])):
        if row["msg_type"] == "D":
            since, sent = int(row["id"]), None
            continue
        body = msgspec.json.decode(row["body"])
        terms = (Decimal(body["order_qty"]), None if body["price"] == "None" else Decimal(body["price"]))
        if sent is not None and _lost_place(sent[1], terms):
            since = sent[0]
        sent = (int(row["id"]), terms)
    if sent is not None and _lost_place(sent[1], (order.order_qty, order.price)):
        since = sent[0]
    return since


def _lost_place(before: tuple[Decimal, Decimal | None], after: tuple[Decimal, Decimal | None]) -> bool:
    return after[1] != before[1] or after[0] > before[0]


def venue_event(venue: VenueId, report: VenueReport, clock: Clock) -> object | None:
    """The event ``fixgw.codec.inbound`` decodes from this report as a FIX venue sends it; None for others."""
    if isinstance(report, CancelReject):  # as decode_cancel_reject: the request is found by its ClOrdID
        return CancelRejected(
            venue=venue,
            venue_cl_ord_id=report.cl_ord_id,
            reason=report.reason,
            text=report.text or "cancel rejected by venue",
            ts_ns=clock.now_ns(),
        )
    if not isinstance(report, ExecutionReport):
        return None  # a mass cancel report: the OMS never asks this venue for one
    build = _EVENTS.get(report.exec_type)
    return build(venue, report) if build is not None else None


def _rejected(venue: VenueId, r: ExecutionReport) -> OrderRejected:
    return OrderRejected(
        venue=venue,
        venue_cl_ord_id=r.cl_ord_id,
        venue_order_id=r.order_id,
        venue_exec_id=r.exec_id,
        ts_ns=r.transact_time_ns,
        reason=r.ord_rej_reason or OrdRejReason.OTHER,
        text=r.text or "rejected by venue",
    )


def _filled(venue: VenueId, r: ExecutionReport) -> OrderFilled:
    assert r.last_qty is not None and r.last_px is not None
    return OrderFilled(
        venue=venue,
        venue_cl_ord_id=r.cl_ord_id,
        venue_order_id=r.order_id,
        venue_exec_id=r.exec_id,
        ts_ns=r.transact_time_ns,
        last_qty=r.last_qty,
        last_px=r.last_px,
    )


def _status(venue: VenueId, r: ExecutionReport) -> OrderStatusReported:
    return OrderStatusReported(
        venue=venue,
        venue_cl_ord_id=r.cl_ord_id,
        venue_order_id=r.order_id,
        venue_exec_id=r.exec_id,
        ts_ns=r.transact_time_ns,
        ord_status=r.ord_status,
        cum_qty=r.cum_qty or _ZERO,
        text=r.text or "",
    )


_ZERO = Decimal(0)
_EVENTS: Final[dict[ExecType, Callable[[VenueId, ExecutionReport], object]]] = {
    ExecType.NEW: lambda v, r: OrderAccepted(
        venue=v,
        venue_cl_ord_id=r.cl_ord_id,
        venue_order_id=r.order_id,
        venue_exec_id=r.exec_id,
        ts_ns=r.transact_time_ns,
    ),
    ExecType.TRADE: _filled,
    ExecType.REJECTED: _rejected,
    ExecType.CANCELED: lambda v, r: OrderCanceled(
        venue=v,
        venue_cl_ord_id=r.cl_ord_id,
        venue_order_id=r.order_id,
        venue_exec_id=r.exec_id,
        ts_ns=r.transact_time_ns,
        text=r.text or "",
    ),
    ExecType.DONE_FOR_DAY: lambda v, r: OrderDoneForDay(
        venue=v,
        venue_cl_ord_id=r.cl_ord_id,
        venue_order_id=r.order_id,
        venue_exec_id=r.exec_id,
        ts_ns=r.transact_time_ns,
        text=r.text or "",
    ),
    ExecType.EXPIRED: lambda v, r: OrderExpired(
        venue=v,
        venue_cl_ord_id=r.cl_ord_id,
        venue_order_id=r.order_id,
        venue_exec_id=r.exec_id,
        ts_ns=r.transact_time_ns,
        text=r.text or "",
    ),
    ExecType.REPLACED: lambda v, r: OrderReplaced(
        venue=v,
        venue_cl_ord_id=r.cl_ord_id,
        venue_order_id=r.order_id,
        venue_exec_id=r.exec_id,
        ts_ns=r.transact_time_ns,
        order_qty=r.order_qty,
        price=r.price,
    ),
    ExecType.ORDER_STATUS: _status,
}
"""Per ExecType (150), as ``fixgw.codec.inbound._EXEC_TYPE_DECODERS``."""
