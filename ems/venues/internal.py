"""The internal venue: the matching engine in the gateway's own process, for internalised flow.

Theory of operation: ``submit`` and ``request`` run on the order path, inside the bus's dispatch, and hand the
exchange (``matching.exchange``) the same typed commands its FIX front decodes (``simulator.venue``), under the same
ClOrdIDs a FIX venue would get. The exchange's reports become exactly the events ``fixgw.codec.inbound`` decodes
from a FIX venue's messages (``ems.venues.reports``) and are sent to ``OMS_PROCESS``: the bus runs them after the
current message, in the order the exchange made them, and in the same unit of work (one transaction): a crash never
commits one side of a trade without the other, so the book of record, from which this venue's book is rebuilt at
start (``restore``), always holds whole commands.

Its OrderIDs (37) and ExecIDs (17) carry a nonce of the start time: the book keeps every execution by
(venue, ExecID) for good, and the exchange's counters start again at each start. Closed orders are forgotten a
command later (two generations), so that a request that crossed the close (sent before the OMS saw it) is still
answered "too late", as by a FIX venue, and memory stays flat.

A venue with a behaviour (``matching.behaviour``, ``[venues.NAME.behaviour]``) charges fees, rejects a seeded
fraction of new orders, keeps its house liquidity whole around the fair values of the gateway's shared
``HouseMarket`` (moving them against the gateway after its fills, with adverse selection), and, with an added
latency, runs each request later on its delay line (``matching.delay``), entering the bus then as a FIX venue's
report would: a request in flight at a crash is settled by ``ReconcileVenue`` at the next start, as any other.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Final

import msgspec

from domain.bus import MessageBus
from domain.channels import OMS_PROCESS, OmsEvent
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
from domain.enums import OrdStatus
from domain.ids import ClOrdId, SessionKey, VenueId
from domain.latency import Tick, hops, now_ns
from domain.order import Order
from ems.venues.reports import venue_event
from matching.behaviour import Behaviour, VenueBehaviour
from matching.book import MatchingEngine, SimOrder
from matching.delay import DelayLine
from matching.exchange import Exchange, ExchangeCommand, VenueReport
from matching.market import HouseMarket

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
        *,
        after_command: Callable[[], None] | None = None,
        defer: Callable[[Callable[[], None]], None] | None = None,
        behaviour: VenueBehaviour | None = None,
        house: HouseMarket | None = None,
    ) -> None:
        """``engine``: the book, empty or seeded; ``symbols``: what it lists (others are rejected, 103=1);
        ``after_command``: called after each command, its events sent (e.g. to publish what it did to the books);
        ``defer``: runs an action after the journal's commit (``Journal.after_commit``): where a strategy's order
        ends its tick-to-trade here (none: not measured); ``behaviour``: how it differs from a clean venue (None: it
        is clean, and cannot be changed while running); ``house``: the market its house liquidity follows, which the
        caller has it join once its book is seeded."""
        self.venue_id = venue_id
        self.behaviour = behaviour
        self.house = house
        self._delay = DelayLine(f"venue-latency-{venue_id}")
        self._after_command = after_command
        self._bus = bus
        self._clock = clock
        self._defer = defer
        self._member = SessionKey(f"{venue_id}:internal")
        """The exchange knows the gateway as its one member."""
        self._reports: list[VenueReport] = []
        """What the exchange reported during the command it is executing."""
        nonce = f"{clock.now_ns():x}"
        self.exchange = Exchange(
            clock,
            engine,
            symbols,
            self._reports.append,
            order_id_prefix=f"{nonce}-V",
            exec_id_prefix=f"{nonce}-E",
            keep_closed=False,
            behaviour=behaviour,
        )

    def submit(self, order: SubmitOrder, venue_cl_ord_id: ClOrdId) -> None:
        """Match a new order under ``venue_cl_ord_id``; its events follow. Never refused here."""
        self._handle(msgspec.structs.replace(order, session=self._member, cl_ord_id=venue_cl_ord_id))

    def available(self) -> bool:
        """Always: it runs inside the gateway."""
        return True

    def request(self, request: VenueRequest) -> None:
        """Execute a cancel, replace or status request; its events follow. Never refused here."""
        self._handle(self._command(request))

    def set_behaviour(self, settings: Behaviour) -> None:
        """Apply ``settings`` from the next request on (under the bus lock: between two messages of the domain)."""
        if self.behaviour is None:
            raise ValueError(
                f"venue {self.venue_id} has no behaviour to change: add a [venues.{self.venue_id}.behaviour] section"
            )
        with self._bus.entered():
            self.behaviour.set(settings)

    def stop(self) -> None:
        """Stop the delay line (requests still delayed are dropped: the OMS reconciles them at the next start)."""
        self._delay.stop()

    def _handle(self, command: ExchangeCommand) -> None:
        behaviour = self.behaviour
        if behaviour is not None and (behaviour.latency_ns or self._delay.pending()):
            behaviour.counters.delayed += 1
            self._delay.run_after(behaviour.latency_ns, lambda: self._run_delayed(command))
            return
        self._execute(command)
        self._finish_tick()

    def _run_delayed(self, command: ExchangeCommand) -> None:
        with self._bus.entered():  # on the delay line's thread: enter the domain as a FIX venue's report does
            self._execute(command)

    def _execute(self, command: ExchangeCommand) -> None:
        self.exchange.forget_closed()  # what closed before the last command (see the module's docstring)
        self.exchange.execute(command)
        if self.behaviour is not None:
            fills = self.exchange.drain_member_fills()
            if self.house is not None:
                self.house.after_command(fills, self.behaviour)
        self._deliver()

    def _finish_tick(self) -> None:
        """A strategy's order answering a market data update: here it has reached the venue before its commit
        (no write-ahead to an internal venue), so its tick-to-trade ends when that commit is done."""
        tick = hops.carried()
        if tick is not None and self._defer is not None:
            self._defer(lambda: _committed(tick))

    def restore(self, orders: Iterable[Order]) -> int:
        """Rest the book of record's working orders at this venue again, in the order given; return how many.

        Give them in time priority (``ems.venues.priority``). Orders still pending new are not restored: the OMS
        asks about them (``ReconcileVenue``) and sends them again.
        """
        restored = 0
        for order in orders:
            if order.venue == self.venue_id and order.status in RESTING and order.venue_cl_ord_id is not None:
                self.exchange.restore(self._sim_order(order))
                restored += 1
        return restored

    def _deliver(self) -> None:
        """Hand the OMS what the command made, all at once and in order (``MessageBus.send_all``): a request the
        OMS makes on seeing one of them (a risk breach after a fill) is executed after the command, and its
        events queue behind these, as a FIX venue's would behind the reports already on the wire."""
        reports = self._reports[:]  # the exchange appends to this very list: it is emptied, never replaced
        self._reports.clear()
        events: list[OmsEvent] = [e for r in reports if (e := venue_event(self.venue_id, r, self._clock)) is not None]
        self._bus.send_all(OMS_PROCESS, events)
        if self._after_command is not None:
            self._after_command()

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


def _committed(tick: Tick) -> None:
    tick.finish(now_ns())
