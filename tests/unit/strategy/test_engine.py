"""The engine and its runners: conflated tops, reports routed by session, commands posted to the OMS with their
tick, local refusals, stop."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pytest

from domain.bus import MessageBus
from domain.channels import OMS_EXECUTE
from domain.clock import LiveClock
from domain.commands import CancelWorking, SubmitOrder
from domain.enums import Side
from domain.ids import Account, SessionKey, Symbol, strategy_session
from domain.latency import Tick, hops, ticks
from domain.reports import ClientReport
from strategy.base import OrderMaker, StrategyCommand, TopOfBook
from strategy.engine import StrategyEngine
from strategy.errors import StrategyStateError, UnknownStrategy

D = Decimal
MSFT = Symbol("MSFT")


class Book:
    """A consolidated book whose top a test sets (one level a side of 100)."""

    def __init__(self) -> None:
        self.top: tuple[Decimal, Decimal] = (D("99.99"), D("100.01"))

    def depth(self, symbol: Symbol) -> tuple[list[tuple[Decimal, Decimal]], list[tuple[Decimal, Decimal]]]:
        bid, ask = self.top
        return [(bid, D(100))], [(ask, D(100))]


class Recorder:
    """A strategy that records what it is given; it thinks slowly about its second top until released; each top
    after the first answers with one order."""

    def __init__(self) -> None:
        self.name = "S1"
        self.symbols = (MSFT,)
        self.tops: list[TopOfBook] = []
        self.reports: list[ClientReport] = []
        self.refused: list[str] = []
        self.thinking = threading.Event()
        self.release = threading.Event()
        self.stopping = False
        self.orders = OrderMaker(strategy_session("S1"), Account("A1"), LiveClock(), 1)
        self.seen = threading.Condition()

    def on_start(self, now_ns: int) -> Sequence[StrategyCommand]:
        return ()

    def on_top(self, top: TopOfBook) -> Sequence[StrategyCommand]:
        with self.seen:
            self.tops.append(top)
            self.seen.notify_all()
        if len(self.tops) == 2:
            self.thinking.set()
            assert self.release.wait(5)
        if len(self.tops) == 1:
            return ()
        return [self.orders.new(MSFT, Side.BUY, D(100), top.bid or D(1))]

    def on_report(self, report: ClientReport) -> Sequence[StrategyCommand]:
        with self.seen:
            self.reports.append(report)
            self.seen.notify_all()
        return ()

    def on_refused(self, command: StrategyCommand, text: str) -> Sequence[StrategyCommand]:
        with self.seen:
            self.refused.append(text)
            self.seen.notify_all()
        return ()

    def on_timer(self, now_ns: int) -> Sequence[StrategyCommand]:
        return ()

    def next_timer_ns(self) -> int | None:
        return None

    def on_stop(self) -> None:
        self.stopping = True

    def done(self) -> bool:
        return self.stopping

    def status(self) -> dict[str, object]:
        return {"tops": len(self.tops)}

    def wait_for(self, what: Any) -> None:
        with self.seen:
            assert self.seen.wait_for(what, 5)


class Gateway:
    """A bus whose OMS records the commands it is sent, with the tick each carried."""

    def __init__(self, accepting: str | None = None) -> None:
        self.bus = MessageBus()
        self.commands: list[tuple[object, Tick | None]] = []
        self.got = threading.Condition()
        self.bus.register(OMS_EXECUTE, self._record)
        self.book = Book()
        self.strategy = Recorder()
        self.engine = StrategyEngine(
            self.bus, LiveClock(), self.book.depth, {"S1": lambda: self.strategy}, accepting=lambda: accepting
        )

    def _record(self, command: object) -> None:
        with self.got:
            self.commands.append((command, hops.carried()))
            self.got.notify_all()

    def change(self, bid: str, ask: str) -> None:
        """What the market data thread does after applying a message: the book changed."""
        self.book.top = (D(bid), D(ask))
        ticks.received(1, 2)
        self.engine.on_book_change(MSFT, ())

    def orders(self) -> list[tuple[SubmitOrder, Tick | None]]:
        return [(c, t) for c, t in self.commands if isinstance(c, SubmitOrder)]


@pytest.fixture
def gateway() -> Any:
    running = Gateway()
    yield running
    running.strategy.release.set()
    if running.engine.status("S1").get("runner") == "running":
        running.engine.stop("S1", timeout=5)


def test_when_the_strategy_is_thinking_then_tops_are_conflated_to_the_latest(gateway: Gateway) -> None:
    gateway.engine.start("S1")
    gateway.strategy.wait_for(lambda: len(gateway.strategy.tops) == 1)  # the current top, read at start
    gateway.change("99.98", "100.01")
    assert gateway.strategy.thinking.wait(5)
    for bid in ("99.97", "99.96", "99.95", "99.94"):
        gateway.change(bid, "100.01")
    gateway.strategy.release.set()
    gateway.strategy.wait_for(lambda: len(gateway.strategy.tops) == 3)
    assert [t.bid for t in gateway.strategy.tops] == [D("99.99"), D("99.98"), D("99.94")]
    status = gateway.engine.status("S1")
    assert status["conflated"] == 3 and status["tops"] == 3


def test_when_the_top_is_unchanged_then_nothing_is_offered(gateway: Gateway) -> None:
    gateway.strategy.release.set()
    gateway.engine.start("S1")
    gateway.strategy.wait_for(lambda: len(gateway.strategy.tops) == 1)
    gateway.change("99.98", "100.01")
    gateway.strategy.wait_for(lambda: len(gateway.strategy.tops) == 2)
    gateway.change("99.98", "100.01")  # a deeper level changed: same top
    gateway.change("99.97", "100.01")
    gateway.strategy.wait_for(lambda: len(gateway.strategy.tops) == 3)
    assert [t.bid for t in gateway.strategy.tops] == [D("99.99"), D("99.98"), D("99.97")]


def test_commands_go_to_the_oms_carrying_a_copy_of_their_tick(gateway: Gateway) -> None:
    gateway.strategy.release.set()
    gateway.engine.start("S1")
    gateway.change("99.98", "100.01")
    with gateway.got:
        assert gateway.got.wait_for(lambda: gateway.orders(), 5)
    order, tick = gateway.orders()[0]
    assert order.session == "STRATEGY:S1" and order.account == "A1"
    assert tick is not None and tick.arrived == 1 and tick.decoded == 2 and tick.decided >= tick.applied > 0
    assert hops.carried() is None  # only the strategy's thread carried it, and only while posting


def test_reports_of_strategy_sessions_go_to_their_strategy_and_the_rest_come_back(gateway: Gateway) -> None:
    gateway.strategy.release.set()
    gateway.engine.start("S1")
    mine, other = _report(strategy_session("S1")), _report(SessionKey("FIX.4.4:FIXGW->CLIENT1"))
    assert gateway.engine.deliver([other, mine, other]) == [other, other]
    gateway.strategy.wait_for(lambda: gateway.strategy.reports == [mine])
    assert gateway.engine.deliver([other]) == [other]


def test_when_the_book_cannot_commit_then_orders_are_refused_to_the_strategy_not_posted() -> None:
    refusing = Gateway(accepting="book of record unavailable")
    refusing.strategy.release.set()
    refusing.engine.start("S1")
    refusing.change("99.98", "100.01")
    refusing.strategy.wait_for(lambda: refusing.strategy.refused == ["book of record unavailable"])
    assert refusing.orders() == []
    refusing.engine.stop("S1", timeout=5)


def test_start_cancels_leftovers_and_stop_cancels_its_working_orders(gateway: Gateway) -> None:
    gateway.strategy.release.set()
    gateway.engine.start("S1")
    with pytest.raises(StrategyStateError):
        gateway.engine.start("S1")
    assert gateway.engine.stop("S1", timeout=5)
    cancels = [c for c, _ in gateway.commands if isinstance(c, CancelWorking)]
    assert [c.client for c in cancels] == ["STRATEGY:S1", "STRATEGY:S1"]  # at start (an earlier run's), at stop
    assert gateway.engine.status("S1")["runner"] == "stopped"
    with pytest.raises(StrategyStateError):
        gateway.engine.stop("S1")
    with pytest.raises(UnknownStrategy):
        gateway.engine.start("NOPE")


def _report(session: SessionKey) -> Any:
    from domain.reports import BusinessReject

    return BusinessReject(session=session, cl_ord_id="X", ref_msg_type="D", reason=0, text="t")  # type: ignore[arg-type]
