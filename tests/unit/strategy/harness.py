"""A market maker on a test clock, and the reports the gateway would send back to it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from domain.clock import TestClock
from domain.commands import CancelOrder, ReplaceOrder, SubmitOrder
from domain.enums import CxlRejReason, CxlRejResponseTo, ExecType, OrdRejReason, OrdStatus, OrdType
from domain.ids import Account, ExecId, OrderId, Symbol, strategy_session
from domain.positions import Position
from domain.reports import CancelReject, ExecutionReport
from strategy.base import OrderMaker, StrategyCommand, TopOfBook
from strategy.config import MarketMakerConfig
from strategy.market_maker import MarketMaker

D = Decimal
SESSION = strategy_session("MM1")
TICK = D("0.01")


def config(**overrides: Any) -> MarketMakerConfig:
    """The issue's example: h = 2 ticks, k = 1 tick per 100 shares; 100 a quote, at most 500 held."""
    fields: dict[str, Any] = {
        "kind": "market_maker",
        "account": "MM1",
        "symbol": "MSFT",
        "size": "100",
        "half_spread_ticks": 2,
        "skew_ticks_per_lot": "1",
        "lot_qty": "100",
        "max_inventory": "500",
        "requote_ticks": 1,
        "resume_ratio": "0.5",
        "backoff_ms": 500,
        "max_backoff_ms": 4000,
    }
    return MarketMakerConfig(**(fields | overrides))


class Maker:
    """A ``MarketMaker`` and what it sent; ``control`` is what its risk-controls probe says."""

    def __init__(self, inventory: str = "0", blocked: bool = True, **overrides: Any) -> None:
        self.clock = TestClock()
        self.control: str | None = None
        start = Position("MM1", "MSFT", qty=D(inventory), avg_cost=D(100) if D(inventory) else D(0))
        self.mm = MarketMaker(
            "MM1",
            config(**overrides),
            TICK,
            OrderMaker(SESSION, Account("MM1"), self.clock, self.clock.now_ns()),
            self.clock,
            position=lambda: start,
            **({"blocked": lambda: self.control} if blocked else {}),
        )
        self.mm.on_start(self.clock.now_ns())
        self._exec = 0

    def top(self, bid: str | None, ask: str | None) -> list[StrategyCommand]:
        top = TopOfBook(Symbol("MSFT"), D(bid) if bid else None, D(ask) if ask else None, self.clock.now_ns())
        return list(self.mm.on_top(top))

    def levels(self, bids: list[tuple[str, int]], asks: list[tuple[str, int]]) -> list[StrategyCommand]:
        """A top of book with its levels, best first: (price, size)."""
        b = tuple((D(p), D(n)) for p, n in bids)
        a = tuple((D(p), D(n)) for p, n in asks)
        top = TopOfBook(Symbol("MSFT"), b[0][0] if b else None, a[0][0] if a else None, self.clock.now_ns(), None, b, a)
        return list(self.mm.on_top(top))

    def mid(self, mid: str) -> list[StrategyCommand]:
        """A one-tick-wide book around ``mid`` (a whole number of ticks, so the mid is exact)."""
        m = D(mid)
        return self.top(str(m - TICK), str(m + TICK))

    def advance_ms(self, ms: int) -> list[StrategyCommand]:
        self.clock.advance(ms * 1_000_000)
        return list(self.mm.on_timer(self.clock.now_ns()))

    def report(self, report: Any) -> list[StrategyCommand]:
        return list(self.mm.on_report(report))

    # -- reports ---------------------------------------------------------------------------------------

    def execution(
        self, command: SubmitOrder | ReplaceOrder, exec_type: ExecType, status: OrdStatus, **extra: Any
    ) -> ExecutionReport:
        self._exec += 1
        fields: dict[str, Any] = {
            "session": SESSION,
            "order_id": OrderId("O1"),
            "cl_ord_id": command.cl_ord_id,
            "exec_id": ExecId(f"E{self._exec}"),
            "exec_type": exec_type,
            "ord_status": status,
            "account": command.account,
            "symbol": command.symbol,
            "side": command.side,
            "ord_type": OrdType.LIMIT,
            "price": command.price,
            "order_qty": command.order_qty,
            "cum_qty": D(0),
            "leaves_qty": command.order_qty,
            "avg_px": D(0),
            "transact_time_ns": self.clock.now_ns(),
        }
        return ExecutionReport(**(fields | extra))

    def ack(self, command: SubmitOrder) -> list[StrategyCommand]:
        return self.report(self.execution(command, ExecType.NEW, OrdStatus.NEW))

    def fill(self, command: SubmitOrder | ReplaceOrder, qty: str, cum: str | None = None) -> list[StrategyCommand]:
        cum_qty = D(cum or qty)
        status = OrdStatus.FILLED if cum_qty == command.order_qty else OrdStatus.PARTIALLY_FILLED
        assert command.price is not None
        report = self.execution(
            command,
            ExecType.TRADE,
            status,
            cum_qty=cum_qty,
            leaves_qty=command.order_qty - cum_qty,
            last_qty=D(qty),
            last_px=command.price,
        )
        return self.report(report)

    def replaced(self, command: ReplaceOrder, cum: str = "0") -> list[StrategyCommand]:
        report = self.execution(
            command, ExecType.REPLACED, OrdStatus.NEW, orig_cl_ord_id=command.orig_cl_ord_id, cum_qty=D(cum)
        )
        return self.report(report)

    def canceled(self, command: SubmitOrder | ReplaceOrder) -> list[StrategyCommand]:
        return self.report(self.execution(command, ExecType.CANCELED, OrdStatus.CANCELED, leaves_qty=D(0)))

    def denied(self, command: SubmitOrder, reason: OrdRejReason, text: str) -> list[StrategyCommand]:
        report = self.execution(
            command, ExecType.REJECTED, OrdStatus.REJECTED, ord_rej_reason=reason, text=text, leaves_qty=D(0)
        )
        return self.report(report)

    def replace_refused(
        self, command: ReplaceOrder | CancelOrder, text: str, reason: CxlRejReason = CxlRejReason.BROKER_OPTION
    ) -> list[StrategyCommand]:
        response = (
            CxlRejResponseTo.ORDER_CANCEL_REPLACE_REQUEST
            if isinstance(command, ReplaceOrder)
            else CxlRejResponseTo.ORDER_CANCEL_REQUEST
        )
        reject = CancelReject(
            session=SESSION,
            order_id=OrderId("O1"),
            cl_ord_id=command.cl_ord_id,
            orig_cl_ord_id=command.orig_cl_ord_id,
            ord_status=OrdStatus.NEW,
            response_to=response,
            reason=reason,
            text=text,
        )
        return self.report(reject)


def only(commands: list[StrategyCommand], kind: type) -> list[Any]:
    """The commands of one type, checking there is nothing else."""
    assert all(isinstance(c, kind) for c in commands), commands
    return commands


def by_side(commands: list[StrategyCommand]) -> dict[str, Any]:
    """``{"BUY": command, "SELL": command}``."""
    return {c.side.name: c for c in commands}
