"""One strategy on a thread of its own: the latest top of book per symbol, its reports in order, its timers; its
commands posted to the OMS as a FIX client's are.

Theory of operation. Three threads feed it and none waits on it: the market data session offers each new top of
book (``offer_top``), the journal's writer its committed reports (``offer_reports``), an operator a stop. Tops are
*conflated*: one slot per symbol, overwritten while the strategy is still thinking (each overwrite counted in
``conflated``), so it always decides on the latest book and never works through a backlog. Reports are never
conflated: every one is handed over, in order, before the tops of the same wake-up, so the strategy knows what
its orders did before it looks at the market again.

Each command is posted to ``OMS_EXECUTE`` (``MessageBus.post``: the bus lock, one unit of work) on this thread, so
the OMS, the risk catalogue and the EMS run here, as on a client's session thread. A command that answers a market
data update carries a copy of its tick (``domain.latency``) through that chain, to the venue that sends it. A new
order or replace is not posted while the book of record cannot commit (``accepting``): the strategy hears of it at
once (``on_refused``), as a FIX client would get 35=j 380=4.

Stopping: the strategy is told (``on_stop``) and sends nothing more; every working order of its session is canceled
(``CancelWorking``, which also cancels an order in flight once the venue has answered); the thread ends when the
strategy has nothing working, or after ``stop_timeout_s``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from domain.bus import MessageBus
from domain.channels import OMS_EXECUTE
from domain.clock import Clock
from domain.commands import CancelWorking, ReplaceOrder, SubmitOrder
from domain.ids import SessionKey, Symbol
from domain.latency import Tick, hops, now_ns
from domain.reports import ClientReport
from strategy.base import Strategy, StrategyCommand, TopOfBook

log = logging.getLogger("fixgw.strategy")

REFRESH_S = 1.0
"""A strategy that heard nothing for this long reads its tops again (a book that went stale tells no listener)."""


class StrategyRunner:
    """Drive one strategy on its own thread."""

    def __init__(
        self,
        strategy: Strategy,
        session: SessionKey,
        bus: MessageBus,
        clock: Clock,
        *,
        read_top: Callable[[Symbol], TopOfBook],
        accepting: Callable[[], str | None] = lambda: None,
        on_exit: Callable[[StrategyRunner], None] = lambda _: None,
        stop_timeout_s: float = 5.0,
    ) -> None:
        """``read_top``: the current top of book of a symbol (no tick); ``accepting``: None while new orders may go,
        else why not; ``on_exit``: called from the thread as it ends."""
        self.strategy = strategy
        self.session = session
        self._bus = bus
        self._clock = clock
        self._read_top = read_top
        self._accepting = accepting
        self._on_exit = on_exit
        self._stop_timeout_s = stop_timeout_s
        self._wake = threading.Condition()
        self._tops: dict[Symbol, TopOfBook] = {}
        self._reports: list[ClientReport] = []
        self._stop_asked = False
        self._busy = threading.Lock()
        """Held while the strategy runs, and by readers of its status."""
        self._ended = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"strategy-{strategy.name}", daemon=True)
        self.state = "starting"
        self.error: str | None = None
        self.conflated = 0
        """Tops overwritten before the strategy saw them."""
        self.tops = 0
        self.reports = 0
        self.started_ns = 0

    # -- from other threads ---------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the thread; the strategy first sees the current top of book of each of its symbols."""
        self.started_ns = self._clock.now_ns()
        for symbol in self.strategy.symbols:
            self._tops[symbol] = self._read_top(symbol)
        self._thread.start()

    def offer_top(self, top: TopOfBook) -> None:
        """A new top of book (the market data thread): it replaces one the strategy has not seen yet."""
        with self._wake:
            if top.symbol in self._tops:
                self.conflated += 1
            self._tops[top.symbol] = top
            self._wake.notify()

    def offer_reports(self, reports: list[ClientReport]) -> None:
        """Reports committed to the book of record (the journal's thread), in their order."""
        with self._wake:
            self._reports.extend(reports)
            self._wake.notify()

    def stop(self) -> None:
        """Ask the strategy to stop (its working orders are canceled); see ``wait``."""
        with self._wake:
            self._stop_asked = True
            self._wake.notify()

    def wait(self, timeout: float) -> bool:
        """Wait for the thread to end; False on timeout."""
        return self._ended.wait(timeout)

    @property
    def running(self) -> bool:
        """The thread has not ended."""
        return not self._ended.is_set()

    def status(self) -> dict[str, Any]:
        """The strategy's status and the runner's counters."""
        with self._busy:
            status = dict(self.strategy.status())
        return status | {
            "runner": self.state,
            "error": self.error,
            "conflated": self.conflated,
            "tops": self.tops,
            "reports": self.reports,
            "started_ns": self.started_ns,
        }

    # -- the thread -------------------------------------------------------------------------------------

    def _run(self) -> None:
        try:
            self._loop()
            self.state = "stopped"
        except Exception as exc:  # a strategy's bug stops that strategy, never the gateway
            log.exception("strategy %s failed; canceling its orders", self.strategy.name)
            self.state, self.error = "failed", f"{type(exc).__name__}: {exc}"
            self._cancel_working(f"strategy {self.strategy.name} failed: {exc}")
        finally:
            self._ended.set()
            self._on_exit(self)

    def _loop(self) -> None:
        self.state = "running"
        self._call(lambda: self.strategy.on_start(self._clock.now_ns()))
        deadline: float | None = None
        while deadline is None or time.monotonic() < deadline:
            reports, tops, stop_asked = self._next(deadline)
            for report in reports:
                self._call(partial(self.strategy.on_report, report))
            for top in tops:
                self._call(partial(self.strategy.on_top, top), top.tick)
            if stop_asked and deadline is None:
                self.state = "stopping"
                with self._busy:
                    self.strategy.on_stop()
                self._cancel_working(f"strategy {self.strategy.name} stopped")
                deadline = time.monotonic() + self._stop_timeout_s
            if deadline is not None:
                with self._busy:
                    if self.strategy.done():
                        return
                continue
            due = self.strategy.next_timer_ns()
            if due is not None and (now := self._clock.now_ns()) >= due:
                self._call(partial(self.strategy.on_timer, now))
        log.warning("strategy %s: orders still working %.1f s after its stop", self.strategy.name, self._stop_timeout_s)

    def _next(self, deadline: float | None) -> tuple[list[ClientReport], list[TopOfBook], bool]:
        """Wait for something to do (or the next timer), then take it all."""
        with self._wake:
            if not (self._reports or self._tops or self._stop_asked):
                self._wake.wait(self._timeout(deadline))
            reports, self._reports = self._reports, []
            tops, self._tops = list(self._tops.values()), {}
            stop_asked = self._stop_asked
        self.reports += len(reports)
        self.tops += len(tops)
        if not (reports or tops or stop_asked or deadline is not None):
            due = self.strategy.next_timer_ns()
            if due is None or due > self._clock.now_ns():  # a quiet spell, no timer due: read the books again
                tops = [self._read_top(symbol) for symbol in self.strategy.symbols]
        return reports, tops, stop_asked

    def _timeout(self, deadline: float | None) -> float:
        if deadline is not None:
            return max(0.0, min(deadline - time.monotonic(), REFRESH_S))
        due = self.strategy.next_timer_ns()
        if due is None:
            return REFRESH_S
        return max(0.0, min((due - self._clock.now_ns()) / 1e9, REFRESH_S))

    def _call(self, decide: Callable[[], Sequence[StrategyCommand]], tick: Tick | None = None) -> None:
        with self._busy:
            commands = list(decide())
        if commands:
            self._send(commands, tick, now_ns() if tick is not None else 0)

    def _send(self, commands: list[StrategyCommand], tick: Tick | None, decided: int) -> None:
        """Post one decision's commands in one unit of work (their changes commit in one transaction, as a message's
        do); the orders among them are refused here instead while the book of record cannot commit."""
        why = self._accepting() if any(isinstance(c, SubmitOrder | ReplaceOrder) for c in commands) else None
        refused = [c for c in commands if why is not None and isinstance(c, SubmitOrder | ReplaceOrder)]
        sending = [c for c in commands if not any(c is r for r in refused)]
        if sending:
            with self._bus.entered():
                for command in sending:
                    order = isinstance(command, SubmitOrder | ReplaceOrder)
                    hops.carry(tick.copy(decided) if tick is not None and order else None)
                    try:
                        self._bus.send(OMS_EXECUTE, command)
                    finally:
                        hops.carry(None)
        for command in refused:
            assert why is not None
            self._call(partial(self.strategy.on_refused, command, why))

    def _cancel_working(self, reason: str) -> None:
        try:
            self._bus.post(OMS_EXECUTE, CancelWorking(client=self.session, reason=reason))
        except Exception:
            log.exception("strategy %s: canceling its working orders failed", self.strategy.name)
