"""The strategy engine: the gateway's strategies, each an internal client session (``STRATEGY:<NAME>``) run by a
``StrategyRunner`` on its own thread.

It is fed from two places and feeds one. The market data session calls ``on_book_change`` after every change of a
symbol's books (``marketdata.feed.VenueFeeds.listen``): when the consolidated best bid or offer changed, each
running strategy that follows the symbol is offered the new top of book, stamped with its market data message's
tick (``domain.latency``). The journal delivers every committed report (``Gateway._deliver``): ``deliver`` takes
those addressed to a strategy's session and hands back the rest for the FIX clients. Strategies' commands go to
``OMS_EXECUTE`` from their own threads (``strategy.runner``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from domain.bus import MessageBus
from domain.channels import OMS_EXECUTE
from domain.clock import Clock
from domain.commands import CancelWorking
from domain.ids import SessionKey, Symbol, strategy_session
from domain.latency import Tick, ticks
from domain.marketdata import MDEntry
from domain.reports import ClientReport
from strategy.base import LEVELS, Level, Strategy, TopOfBook
from strategy.errors import StrategyStateError, UnknownStrategy
from strategy.runner import StrategyRunner

log = logging.getLogger("fixgw.strategy")

StrategyFactory = Callable[[], Strategy]
"""Builds a fresh strategy for one run (its state starts anew at each start)."""
Depth = Callable[[Symbol], tuple[Sequence[Level], Sequence[Level]]]
"""The best ``LEVELS`` bid and offer levels of a symbol, consolidated over the usable books."""


class StrategyEngine:
    """Start, stop and feed the gateway's strategies."""

    def __init__(
        self,
        bus: MessageBus,
        clock: Clock,
        depth: Depth,
        factories: Mapping[str, StrategyFactory],
        *,
        accepting: Callable[[], str | None] = lambda: None,
        stop_timeout_s: float = 5.0,
    ) -> None:
        """``depth``: the first ``LEVELS`` levels a side of a symbol's consolidated book (the live books);
        ``factories``: each configured strategy by name; ``accepting``: None while the book of record takes new
        orders, else why not."""
        self._bus = bus
        self._clock = clock
        self._depth = depth
        self._factories = dict(factories)
        self._accepting = accepting
        self._stop_timeout_s = stop_timeout_s
        self.sessions = frozenset(strategy_session(name) for name in factories)
        """Every strategy's session, running or not: their reports never go to a FIX session."""
        self._lock = threading.Lock()
        self._runners: dict[str, StrategyRunner] = {}
        """Running or stopping, by name; the last run of each, once it ended."""
        self._by_session: dict[SessionKey, StrategyRunner] = {}
        self._following: dict[Symbol, tuple[StrategyRunner, ...]] = {}
        """Replaced, never changed in place: the market data thread reads it without a lock."""
        self._last_top: dict[Symbol, tuple[tuple[Level, ...], tuple[Level, ...]]] = {}
        self._closed = False

    # -- operators ------------------------------------------------------------------------------------

    def names(self) -> list[str]:
        """Every configured strategy."""
        return sorted(self._factories)

    def start(self, name: str) -> None:
        """Start ``name``: cancel whatever an earlier run of its session left working, then run a fresh one."""
        factory = self._factory(name)
        with self._lock:
            if self._closed:
                raise StrategyStateError(f"strategy {name} not started: the gateway is stopping")
            if (old := self._runners.get(name)) is not None and old.running:
                raise StrategyStateError(f"strategy {name} is already {old.state}")
            strategy = factory()
            session = strategy_session(name)
            self._bus.post(OMS_EXECUTE, CancelWorking(client=session, reason=f"strategy {name} starting"))
            runner = StrategyRunner(
                strategy,
                session,
                self._bus,
                self._clock,
                read_top=self._read_top,
                accepting=self._accepting,
                on_exit=self._ended,
                stop_timeout_s=self._stop_timeout_s,
            )
            self._runners[name] = runner
            self._by_session = {**self._by_session, session: runner}
            self._follow(runner)
            runner.start()
        log.info("strategy %s started", name)

    def stop(self, name: str, timeout: float | None = None) -> bool:
        """Stop ``name`` and cancel its working orders; True when it ended within ``timeout`` (default: the stop
        timeout and a second)."""
        self._factory(name)
        with self._lock:
            runner = self._runners.get(name)
            if runner is None or not runner.running:
                raise StrategyStateError(f"strategy {name} is not running")
            self._unfollow(runner)
        runner.stop()
        return runner.wait(self._stop_timeout_s + 1.0 if timeout is None else timeout)

    def stop_all(self) -> None:
        """Stop every running strategy, and start none from now on (the gateway stops)."""
        with self._lock:
            self._closed = True
        for name, runner in list(self._runners.items()):
            if runner.running:
                self.stop(name)

    def status(self, name: str) -> dict[str, Any]:
        """One strategy: its last run's status, or ``stopped`` if it never ran."""
        self._factory(name)
        runner = self._runners.get(name)
        if runner is None:
            return {"name": name, "runner": "stopped", "session": strategy_session(name)}
        return {"name": name, "session": runner.session} | runner.status()

    def summary(self) -> list[dict[str, Any]]:
        """Every configured strategy, in brief."""
        keys = ("name", "session", "runner", "state", "symbol", "account", "inventory", "pnl", "fills")
        return [{k: v for k, v in self.status(name).items() if k in keys} for name in self.names()]

    # -- feeds ---------------------------------------------------------------------------------------------

    def on_book_change(self, symbol: Symbol, trades: tuple[MDEntry, ...]) -> None:
        """A symbol's books changed (the market data thread): offer its new top of book to its followers."""
        runners = self._following.get(symbol)
        if not runners:
            return
        levels = self._levels(symbol)
        if self._last_top.get(symbol) == levels:
            return  # deeper levels or a trade: the top levels are as they were
        self._last_top[symbol] = levels
        top = _top(symbol, levels, self._clock.now_ns(), ticks.stamp())
        for runner in runners:
            runner.offer_top(top)

    def deliver(self, reports: list[ClientReport]) -> list[ClientReport]:
        """Hand each strategy the committed reports addressed to its session; return the others, in order."""
        sessions = self.sessions
        if not any(report.session in sessions for report in reports):
            return reports
        others: list[ClientReport] = []
        mine: dict[SessionKey, list[ClientReport]] = {}
        for report in reports:
            if report.session in sessions:
                mine.setdefault(report.session, []).append(report)
            else:
                others.append(report)
        for session, batch in mine.items():
            runner = self._by_session.get(session)
            if runner is not None:  # a strategy that is not running hears nothing (its next run reads the book)
                runner.offer_reports(batch)
        return others

    # -- inside --------------------------------------------------------------------------------------------

    def _factory(self, name: str) -> StrategyFactory:
        factory = self._factories.get(name)
        if factory is None:
            known = ", ".join(self.names()) or "none configured"
            raise UnknownStrategy(f"no strategy {name!r} in [strategies] ({known})")
        return factory

    def _read_top(self, symbol: Symbol) -> TopOfBook:
        return _top(symbol, self._levels(symbol), self._clock.now_ns(), None)

    def _levels(self, symbol: Symbol) -> tuple[tuple[Level, ...], tuple[Level, ...]]:
        bids, asks = self._depth(symbol)
        return tuple(bids[:LEVELS]), tuple(asks[:LEVELS])

    def _follow(self, runner: StrategyRunner) -> None:
        following = dict(self._following)
        for symbol in runner.strategy.symbols:
            following[symbol] = (*following.get(symbol, ()), runner)
        self._following = following

    def _unfollow(self, runner: StrategyRunner) -> None:
        following: dict[Symbol, tuple[StrategyRunner, ...]] = {}
        for symbol, runners in self._following.items():
            if kept := tuple(r for r in runners if r is not runner):
                following[symbol] = kept
        self._following = following

    def _ended(self, runner: StrategyRunner) -> None:
        with self._lock:
            self._unfollow(runner)
            if self._by_session.get(runner.session) is runner:
                self._by_session = {s: r for s, r in self._by_session.items() if r is not runner}
        log.info("strategy %s ended: %s", runner.strategy.name, runner.state)


def _top(
    symbol: Symbol, levels: tuple[tuple[Level, ...], tuple[Level, ...]], ts_ns: int, tick: Tick | None
) -> TopOfBook:
    bids, asks = levels
    bid = bids[0][0] if bids else None
    ask = asks[0][0] if asks else None
    return TopOfBook(symbol, bid, ask, ts_ns, tick, bids, asks)
