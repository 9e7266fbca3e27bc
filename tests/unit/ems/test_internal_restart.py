"""The internal venue across a restart: its book rebuilt from the book of record, in-flight requests settled.

Real OMS, risk, EMS and internal venue on one bus; the journal keeps every change in memory, and a "crash" keeps
only the changes before some point, as a commit would have. A restart builds everything again from those rows,
as ``app.gateway`` does from SQL.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from domain.bus import MessageBus
from domain.channels import OMS_EXECUTE
from domain.clock import TestClock
from domain.commands import CancelOrder, ReconcileVenue, ReplaceOrder
from domain.enums import ExecType, OrdStatus, OrdType, Side, TimeInForce
from domain.ids import ClOrdId, OrderId, SessionKey, Symbol, VenueId
from domain.order import Order
from domain.reports import ExecutionReport
from ems.engine import EmsEngine
from ems.router import Router
from ems.venues.internal import RESTING, InternalVenue
from ems.venues.priority import time_priority
from matching.book import MatchingEngine
from oms.book import Book
from oms.engine import OmsEngine
from oms.store.repository import order_from_row
from risk.engine import RiskEngine
from risk.limits import Instrument, RiskLimits
from tests.factories import new_order
from tests.unit.oms.snapshots import last_rows, snapshot

POOL = VenueId("POOL")
CLIENT = SessionKey("FIX.4.4:FIXGW->CLIENT1")


class Journal:
    """The book's changes in the order they were appended; audit rows numbered as the messages table does."""

    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []
        self.groups: list[int] = []
        """Where each atomic group began (an index into ``entries``)."""
        self._audit_id = 0

    def append(
        self,
        order: Any = None,
        execution: Any = None,
        report: Any = None,
        position: Any = None,
        audit: Any = None,
        **_: Any,
    ) -> None:
        if audit is not None:
            self._audit_id += 1
            audit = audit | {"id": self._audit_id}
        self.entries.append({"order": order, "execution": execution, "report": report, "audit": audit})

    def atomic(self) -> Any:
        journal = self

        class Group:
            def __enter__(self) -> None:
                journal.groups.append(len(journal.entries))

            def __exit__(self, *_: object) -> None:
                pass

        return Group()

    def reports(self, start: int = 0) -> list[ExecutionReport]:
        return [e["report"] for e in self.entries[start:] if isinstance(e["report"], ExecutionReport)]


class Node:
    """The gateway's order path with an internal venue, started on the committed part of an earlier journal."""

    def __init__(self, clock: TestClock, committed: list[dict[str, Any]] | None = None) -> None:
        self.clock = clock
        self.journal = Journal()
        self.bus = MessageBus(unit=self.journal.atomic)  # one unit of work per message, as in the gateway
        instruments = {s: Instrument(reference_price=Decimal(100)) for s in ("MSFT", "IBM")}
        risk = RiskEngine(self.bus, clock, RiskLimits(), instruments)
        restored = None
        if committed is not None:
            executions = [e["execution"] for e in committed if e["execution"] is not None]
            restored = snapshot(last_rows(e["order"] for e in committed), executions)
        self.oms = OmsEngine(self.bus, clock, self.journal, Book(), risk=risk, snapshot=restored)  # type: ignore[arg-type]
        self.engine = MatchingEngine()
        self.venue = InternalVenue(POOL, self.bus, clock, self.engine, ["MSFT", "IBM"])
        EmsEngine(self.bus, clock, Router({}, POOL), {POOL: self.venue})
        if committed is not None and restored is not None:
            working = [o for o in restored.orders if o.venue == POOL and o.status in RESTING]
            requests = [e["audit"] for e in committed if e["audit"] is not None and e["audit"]["msg_type"] in "DG"]
            self.venue.restore(time_priority(working, requests))
        self.engine.seed("MSFT", Decimal("100.00"), Decimal("0.01"), 3, Decimal(500))

    def reconcile(self) -> None:
        self.bus.post(OMS_EXECUTE, ReconcileVenue(venue=POOL))

    def buy(self, cl: str, qty: int, price: str, side: Side = Side.BUY, symbol: str = "MSFT", **kw: Any) -> None:
        self.bus.post(
            OMS_EXECUTE,
            new_order(
                cl_ord_id=ClOrdId(cl),
                order_id=OrderId(""),
                side=side,
                order_qty=Decimal(qty),
                price=Decimal(price),
                symbol=Symbol(symbol),
                ts_received_ns=self.clock.now_ns(),
                **kw,
            ),
        )

    def sell(self, cl: str, qty: int, price: str, **kw: Any) -> None:
        self.buy(cl, qty, price, Side.SELL, **kw)

    def cancel(self, cl: str, orig: str) -> None:
        order = self.order(orig)
        self.bus.post(
            OMS_EXECUTE,
            CancelOrder(
                session=CLIENT,
                cl_ord_id=ClOrdId(cl),
                orig_cl_ord_id=ClOrdId(orig),
                symbol=order.symbol,
                side=order.side,
                ts_received_ns=1,
            ),
        )

    def replace(self, cl: str, orig: str, qty: int, price: str) -> None:
        order = self.order(orig)
        self.bus.post(
            OMS_EXECUTE,
            ReplaceOrder(
                session=CLIENT,
                cl_ord_id=ClOrdId(cl),
                orig_cl_ord_id=ClOrdId(orig),
                account=order.account,
                symbol=order.symbol,
                side=order.side,
                ord_type=OrdType.LIMIT,
                order_qty=Decimal(qty),
                price=Decimal(price),
                time_in_force=TimeInForce.DAY,
                ts_received_ns=1,
            ),
        )

    def order(self, cl: str) -> Order:
        """The order as the book holds it: in memory while it can change, else its last row (it is retired)."""
        order = self.oms.book.by_client.get((CLIENT, ClOrdId(cl)))
        if order is not None:
            return order
        return order_from_row(
            next(
                e["order"]
                for e in reversed(self.journal.entries)
                if e["order"] is not None and e["order"]["cl_ord_id"] == cl
            )
        )

    def queue(self, symbol: str, side: Side, price: str) -> list[tuple[str, Decimal]]:
        """(client ClOrdID, LeavesQty) of the gateway's orders resting at ``price``, front of the queue first."""
        book = self.engine.book(symbol)
        levels = book.bids if side is Side.BUY else book.asks
        resting = levels.levels.get(Decimal(price) * levels.sign, [])
        by_venue = self.oms.book.by_venue
        return [(by_venue[POOL, ClOrdId(o.cl_ord_id)].cl_ord_id, o.leaves_qty) for o in resting if o.owner]


def restart(node: Node, cut: int | None = None) -> Node:
    """Start again on what was committed: everything, or the entries before ``cut``."""
    node.clock.advance(1_000_000)
    return Node(node.clock, node.journal.entries[:cut])


def answered(node: Node) -> int:
    """Where the venue's answer to the last order or request sent to it begins in the journal.

    Cut there, a restart finds the order or request in flight. The internal venue's answer commits in the
    transaction of the message that caused it, so this cannot happen to it; it does to a FIX venue's, whose answer
    comes in a message of its own, and the same reconciliation settles it: this checks that.
    """
    return 1 + max(i for i, e in enumerate(node.journal.entries) if e["audit"] and e["audit"]["msg_type"] in "DFG")


def test_restart_when_orders_rest_then_back_in_time_priority_with_their_fills_and_no_matching() -> None:
    node = Node(TestClock())
    for cl in ("A", "B", "C"):
        node.buy(cl, 100, "99.50")
    node.replace("A2", "A", 200, "99.50")  # more quantity: A goes behind C
    node.replace("A3", "A2", 150, "99.50")  # then less: A stays there
    node.replace("B2", "B", 50, "99.50")  # less quantity: B keeps its place
    node.sell("D", 300, "50", symbol="IBM")
    node.buy("E", 100, "50", symbol="IBM")  # D is partially filled, as maker
    node.buy("F", 600, "100.01")  # 500 from the house; 100 rest at 100.01
    before = (node.queue("MSFT", Side.BUY, "99.50"), node.queue("IBM", Side.SELL, "50"))

    again = restart(node)

    assert before == ([("B2", 50), ("C", 100), ("A3", 150)], [("D", 200)])
    assert (again.queue("MSFT", Side.BUY, "99.50"), again.queue("IBM", Side.SELL, "50")) == before
    assert again.queue("MSFT", Side.BUY, "100.01") == [("F", 100)]
    assert again.engine.book("MSFT").depth()[1][0] == (Decimal("100.02"), 500)  # no house ask crossing F
    assert again.journal.entries == []
    assert (again.order("D").cum_qty, again.order("F").cum_qty) == (100, 500)


def test_restart_when_resting_orders_restored_then_they_fill_cancel_and_replace() -> None:
    node = Node(TestClock())
    for cl in ("A", "B", "C"):
        node.buy(cl, 100, "99.50")
    node.replace("A2", "A", 200, "99.50")
    node.sell("D", 300, "50", symbol="IBM")
    node.buy("E", 100, "50", symbol="IBM")
    again = restart(node)

    again.sell("S", 1650, "99.50", time_in_force=TimeInForce.IMMEDIATE_OR_CANCEL)  # the house's 1500 bids, then ours
    again.cancel("C2", "C")
    again.replace("D2", "D", 250, "51")
    again.buy("G", 200, "51", symbol="IBM")

    assert [(o, again.order(o).status, again.order(o).cum_qty) for o in ("B", "C2", "A2", "S", "D2", "G")] == [
        ("B", OrdStatus.FILLED, 100),
        ("C2", OrdStatus.CANCELED, 50),
        ("A2", OrdStatus.NEW, 0),
        ("S", OrdStatus.FILLED, 1650),
        ("D2", OrdStatus.FILLED, 250),
        ("G", OrdStatus.PARTIALLY_FILLED, 150),
    ]
    assert again.queue("MSFT", Side.BUY, "99.50") == [("A2", 200)]
    ids = [e["execution"]["venue_exec_id"] for e in node.journal.entries + again.journal.entries if e["execution"]]
    assert len(ids) == len(set(ids)) == 11


def test_restart_when_cancel_was_in_flight_then_sent_again_and_canceled() -> None:
    node = Node(TestClock())
    node.buy("A", 100, "99.50")
    node.cancel("A2", "A")
    again = restart(node, cut=answered(node))
    assert again.order("A").status is OrdStatus.PENDING_CANCEL
    assert again.queue("MSFT", Side.BUY, "99.50") == [("A", 100)]

    again.reconcile()

    [report] = again.journal.reports()
    assert (report.exec_type, report.ord_status, report.cl_ord_id, report.orig_cl_ord_id) == (
        ExecType.CANCELED,
        OrdStatus.CANCELED,
        "A2",
        "A",
    )
    assert again.queue("MSFT", Side.BUY, "99.50") == []


def test_restart_when_replace_was_in_flight_then_sent_again_and_replaced() -> None:
    node = Node(TestClock())
    node.buy("A", 100, "99.50")
    node.buy("B", 100, "99.50")
    node.replace("A2", "A", 100, "99.60")
    again = restart(node, cut=answered(node))
    assert again.order("A").status is OrdStatus.PENDING_REPLACE

    again.reconcile()

    [report] = again.journal.reports()
    assert (report.exec_type, report.cl_ord_id, report.price) == (ExecType.REPLACED, "A2", Decimal("99.60"))
    assert (again.queue("MSFT", Side.BUY, "99.60"), again.queue("MSFT", Side.BUY, "99.50")) == (
        [("A2", 100)],
        [("B", 100)],
    )


def test_restart_when_new_order_was_in_flight_then_sent_again_and_filled_once() -> None:
    node = Node(TestClock())
    node.buy("A", 100, "100.01")
    again = restart(node, cut=answered(node))
    assert again.order("A").status is OrdStatus.PENDING_NEW

    again.reconcile()

    assert [(r.exec_type, r.ord_status) for r in again.journal.reports()] == [
        (ExecType.NEW, OrdStatus.NEW),
        (ExecType.TRADE, OrdStatus.FILLED),
    ]
    assert again.order("A").cum_qty == 100


def test_trade_between_gateway_orders_when_journaled_then_both_sides_in_one_group() -> None:
    node = Node(TestClock())
    node.sell("A", 100, "50", symbol="IBM")
    start = len(node.journal.entries)

    node.buy("B", 60, "50", symbol="IBM")
    node.buy("C", 60, "50", symbol="IBM")

    fills = [i for i, e in enumerate(node.journal.entries) if e["execution"] is not None and i >= start]
    assert len(fills) == 4
    for maker, taker in (fills[:2], fills[2:]):
        group = max(g for g in node.journal.groups if g <= maker)  # each message is one unit: both sides in it
        assert group >= start and not any(group < g <= taker for g in node.journal.groups)
