"""The flow against a venue simulator (no sockets): the house follows the fair value, takers fill members' orders
and only the members hear of it, every step is published, and the same seed replays the same market."""

from __future__ import annotations

import dataclasses
import threading
import time
from decimal import Decimal

from domain.clock import TestClock
from domain.enums import ExecType, Side
from domain.ids import ClOrdId, SessionKey, Symbol
from domain.marketdata import (
    BookIncrement,
    BookSnapshot,
    MarketDataRequest,
    MDEntryType,
    SubscriptionRequestType,
)
from domain.reports import ExecutionReport
from matching.book import MatchingEngine
from matching.changes import BookChanges
from simulator.flow import FlowParams
from simulator.flow_runner import FlowRunner
from simulator.marketdata import MarketDataMessage
from simulator.venue import VenueSimulator
from tests.factories import new_order
from tests.mdbook import ReferenceBooks

MEMBER = SessionKey("FIX.4.4:VENUE->FIXGW")
MD = SessionKey("FIX.4.4:VENUEMD->FIXGW")
SYMBOLS = {"MSFT": Decimal("100.00"), "AAPL": Decimal("50.00")}
PARAMS = FlowParams(
    seed=7,
    step_ms=100,
    vol_bps_per_sqrt_s=10.0,
    taker_rate_per_s=4.0,
    taker_min_qty=Decimal(100),
    taker_max_qty=Decimal(300),
    taker_lot=Decimal(100),
    tick=Decimal("0.01"),
    depth=5,
)
LEVEL_QTY = Decimal(500)


class Capturing(VenueSimulator):
    """A seeded simulator that keeps what it would send instead of sending it."""

    def __init__(self) -> None:
        self.reports: list[object] = []
        self.market: list[tuple[SessionKey, MarketDataMessage]] = []
        changes = BookChanges()
        engine = MatchingEngine(changes)
        for symbol, reference in SYMBOLS.items():
            engine.seed(symbol, reference, PARAMS.tick, PARAMS.depth, LEVEL_QTY)
        super().__init__(TestClock(1), engine, SYMBOLS, changes)

    def _send(self, report: object) -> None:  # type: ignore[override]
        self.reports.append(report)

    def _send_market_data(self, session: SessionKey, message: MarketDataMessage) -> None:
        self.market.append((session, message))


def runner(params: FlowParams = PARAMS) -> tuple[Capturing, FlowRunner]:
    venue = Capturing()
    return venue, FlowRunner(venue, SYMBOLS, params, LEVEL_QTY)


def test_runner_when_no_takers_then_each_book_is_the_house_ladder_around_its_fair_value() -> None:
    venue, flow = runner(dataclasses.replace(PARAMS, taker_rate_per_s=0.0))
    moved = set()
    for _ in range(300):
        for step in flow.step():
            bids, asks = venue.engine.book(step.symbol).depth()
            assert [p for p, _ in bids] == [step.fair - PARAMS.tick * n for n in range(1, 6)]
            assert [p for p, _ in asks] == [step.fair + PARAMS.tick * n for n in range(1, 6)]
            assert {q for _, q in bids + asks} == {LEVEL_QTY}
            moved.add((step.symbol, step.fair))
    assert len(moved) > 20  # the fair values did walk


def test_runner_when_member_bids_inside_the_spread_then_a_seller_fills_it_and_only_the_member_hears() -> None:
    venue, flow = runner(dataclasses.replace(PARAMS, vol_bps_per_sqrt_s=0.0))
    with venue.locked():
        bid = new_order(session=MEMBER, cl_ord_id=ClOrdId("B1"), price=Decimal("100.00"), order_qty=Decimal(1000))
        venue.execute(bid)
    for _ in range(100):
        steps = flow.step()
        if any(t.side is Side.SELL for s in steps for t in s.takers if t.symbol == "MSFT"):
            break
    fills = [r for r in venue.reports if isinstance(r, ExecutionReport) and r.exec_type is ExecType.TRADE]
    assert fills and all(f.session == MEMBER and f.cl_ord_id == "B1" for f in fills)
    assert all(f.last_px == Decimal("100.00") for f in fills)
    assert {r.session for r in venue.reports if isinstance(r, ExecutionReport)} == {MEMBER}
    assert flow.member_qty == sum(f.last_qty or 0 for f in fills) > 0


def test_runner_when_stepping_then_each_step_is_published_and_a_subscriber_rebuilds_the_books() -> None:
    venue, flow = runner()
    request = MarketDataRequest(
        session=MD,
        md_req_id="S1",
        subscription=SubscriptionRequestType.SUBSCRIBE,
        depth=0,
        entry_types=(MDEntryType.BID, MDEntryType.OFFER, MDEntryType.TRADE),
        symbols=tuple(Symbol(s) for s in SYMBOLS),
    )
    with venue.locked():
        venue.market_data.request(request)  # type: ignore[union-attr]
    rebuilt = ReferenceBooks()
    for _ in range(200):
        flow.step()
        for _, message in venue.market:
            if isinstance(message, BookSnapshot):
                rebuilt.on_snapshot(message)
            else:
                assert isinstance(message, BookIncrement)
                rebuilt.on_increment(message)
        venue.market.clear()
        for symbol in SYMBOLS:
            assert rebuilt.book(symbol).levels() == venue.engine.book(symbol).depth()
    printed = sum(qty for s in SYMBOLS for _, qty in rebuilt.book(s).trades)
    assert printed == flow.taken_qty > 0 and flow.takers > 20


def test_runner_when_same_seed_then_same_market_step_after_step() -> None:
    def tape(params: FlowParams) -> list[object]:
        venue, flow = runner(params)
        seen: list[object] = []
        for _ in range(150):
            steps = flow.step()
            seen.append((steps, {s: venue.engine.book(s).depth() for s in SYMBOLS}))
        return seen

    assert tape(PARAMS) == tape(PARAMS)
    assert tape(PARAMS) != tape(dataclasses.replace(PARAMS, seed=8))


def test_runner_when_run_on_a_thread_then_it_steps_until_stopped() -> None:
    _, flow = runner(dataclasses.replace(PARAMS, step_ms=5))
    stopping = threading.Event()
    thread = threading.Thread(target=flow.run, args=(stopping,))
    thread.start()
    deadline = time.monotonic() + 10
    while flow.steps < 20 and time.monotonic() < deadline:
        time.sleep(0.005)
    stopping.set()
    thread.join(timeout=5)
    assert not thread.is_alive() and flow.steps >= 20
