"""What a strategy is to the engine that runs it: it receives top-of-book updates, its own reports and timers, and
answers with commands — new orders, replaces and cancels — that go to the OMS as a FIX client's do.

A strategy is driven by one thread at a time (``strategy.runner``) and never blocks: each call returns the commands
to send. It is an internal client session of the gateway (``STRATEGY:<NAME>``, ``domain.ids.strategy_session``):
its commands carry that session and its account, and pass the whole risk catalogue and the EMS; its reports come
back only after the book of record committed them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import count
from typing import Protocol

from domain.clock import Clock
from domain.commands import CancelOrder, ReplaceOrder, SubmitOrder
from domain.enums import OrdType, Side
from domain.ids import Account, ClOrdId, SessionKey, Symbol
from domain.latency import Tick
from domain.reports import ClientReport

LEVELS = 4
"""Levels a side a top of book carries: enough to look past a strategy's own order, even one being moved."""
StrategyCommand = SubmitOrder | ReplaceOrder | CancelOrder
"""What a strategy answers with: NewOrderSingle, OrderCancelReplaceRequest and OrderCancelRequest, as commands."""
_TWO = Decimal(2)


Level = tuple[Decimal, Decimal]
"""A price level: price and size."""


@dataclass(frozen=True, slots=True)
class TopOfBook:
    """The consolidated best bid and offer of a symbol after a change of its books (``None``: no usable side), with
    the first few levels of each side: a strategy whose own orders rest there can look past them."""

    symbol: Symbol
    bid: Decimal | None
    ask: Decimal | None
    ts_ns: int
    """When the change was applied (the gateway's clock)."""
    tick: Tick | None = None
    """The market data message's stamps (``domain.latency``), for tick-to-trade; None when read, not received."""
    bids: tuple[Level, ...] = ()
    """The best bid levels, best first, sizes summed over the venues (``LEVELS`` of them at most)."""
    asks: tuple[Level, ...] = ()

    @property
    def mid(self) -> Decimal | None:
        """(bid + ask) / 2; None when a side is missing or the book is crossed or locked."""
        bid, ask = self.bid, self.ask
        if bid is None or ask is None or bid >= ask:
            return None
        return (bid + ask) / _TWO


class Strategy(Protocol):
    """A strategy as the engine drives it: every method returns the commands to send now."""

    name: str
    symbols: tuple[Symbol, ...]
    """The symbols whose top of book it follows."""

    def on_start(self, now_ns: int) -> Sequence[StrategyCommand]:
        """It starts (the engine then gives it the current top of book of each of its symbols)."""
        ...

    def on_top(self, top: TopOfBook) -> Sequence[StrategyCommand]:
        """The latest top of book of one of its symbols (conflated: never a backlog)."""
        ...

    def on_report(self, report: ClientReport) -> Sequence[StrategyCommand]:
        """A report about one of its orders or requests, committed to the book of record."""
        ...

    def on_refused(self, command: StrategyCommand, text: str) -> Sequence[StrategyCommand]:
        """The gateway took no new order or replace now (``text``: why, e.g. the book of record cannot commit)."""
        ...

    def on_timer(self, now_ns: int) -> Sequence[StrategyCommand]:
        """The time it asked for (``next_timer_ns``) has come."""
        ...

    def next_timer_ns(self) -> int | None:
        """When it wants ``on_timer`` next; None: no timer."""
        ...

    def on_stop(self) -> None:
        """It is being stopped: send nothing more (the engine cancels its working orders)."""
        ...

    def done(self) -> bool:
        """Stopped, with nothing working."""
        ...

    def status(self) -> dict[str, object]:
        """What ``fixgw strategy show`` prints (JSON-able; Decimals are turned into strings)."""
        ...


class OrderMaker:
    """Build one strategy's commands: its session and account, ClOrdIDs unique across its runs."""

    def __init__(self, session: SessionKey, account: Account, clock: Clock, run_ns: int) -> None:
        """``run_ns``: when this run began; it goes into every ClOrdID (11) as hex, because the OMS refuses a ClOrdID
        its session used before, in any earlier run."""
        self.session = session
        self.account = account
        self._clock = clock
        self._prefix = f"{session.removeprefix('STRATEGY:')}-{run_ns:x}-"
        self._serial = count(1)

    def next_id(self) -> ClOrdId:
        """A fresh ClOrdID (11)."""
        return ClOrdId(f"{self._prefix}{next(self._serial)}")

    def made(self, cl_ord_id: ClOrdId) -> bool:
        """The ClOrdID is one of this run's."""
        return cl_ord_id.startswith(self._prefix)

    def new(
        self, symbol: Symbol, side: Side, qty: Decimal, price: Decimal, decision_px: Decimal | None = None
    ) -> SubmitOrder:
        """A limit day order (35=D); ``decision_px``: the market price the strategy decided at (TCA)."""
        return SubmitOrder(
            session=self.session,
            cl_ord_id=self.next_id(),
            account=self.account,
            symbol=symbol,
            side=side,
            ord_type=OrdType.LIMIT,
            order_qty=qty,
            price=price,
            ts_received_ns=self._clock.now_ns(),
            decision_px=decision_px,
        )

    def replace(self, orig: ClOrdId, symbol: Symbol, side: Side, qty: Decimal, price: Decimal) -> ReplaceOrder:
        """Move the order whose last accepted ClOrdID is ``orig`` (35=G); ``qty`` is the new OrderQty (38)."""
        return ReplaceOrder(
            session=self.session,
            cl_ord_id=self.next_id(),
            orig_cl_ord_id=orig,
            account=self.account,
            symbol=symbol,
            side=side,
            ord_type=OrdType.LIMIT,
            order_qty=qty,
            price=price,
            ts_received_ns=self._clock.now_ns(),
        )

    def cancel(self, orig: ClOrdId, symbol: Symbol, side: Side) -> CancelOrder:
        """Cancel the order whose last accepted ClOrdID is ``orig`` (35=F)."""
        return CancelOrder(
            session=self.session,
            cl_ord_id=self.next_id(),
            orig_cl_ord_id=orig,
            symbol=symbol,
            side=side,
            ts_received_ns=self._clock.now_ns(),
        )
