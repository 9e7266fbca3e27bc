"""A risk engine on a bus whose other endpoints only record what they are sent."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from domain.bus import MessageBus
from domain.channels import EMS_EXECUTE, OMS_EXECUTE, OMS_PROCESS, ORDER_UPDATES, RISK_ACTIONS, RISK_MARKS
from domain.clock import TestClock
from domain.commands import ReplaceOrder, SubmitOrder, SubmitRiskOrder
from domain.enums import Side
from domain.events import OrderDenied, OrderUpdated, RiskActionTaken
from domain.ids import Account, OrderId, SessionKey, Symbol
from domain.marketdata import MarksSampled, Quotes
from risk.engine import RiskEngine
from risk.limits import Instrument, RiskLimits

D = Decimal
CLIENT1 = SessionKey("FIX.4.4:FIXGW->CLIENT1")


class Harness:
    def __init__(
        self,
        limits: RiskLimits,
        clock: TestClock | None = None,
        symbols: tuple[str, ...] = ("MSFT",),
        entitlements: dict[str, frozenset[str]] | None = None,
        unreferenced: tuple[str, ...] = (),
        quotes: Quotes | None = None,
    ) -> None:
        """``unreferenced``: symbols configured without a reference price (the others have 100); ``quotes``: the
        live books (none by default)."""
        self.bus = MessageBus()
        self.clock = clock or TestClock()
        self.sent: list[tuple[str, Any]] = []
        for endpoint in (EMS_EXECUTE, OMS_PROCESS, OMS_EXECUTE):
            self.bus.register(endpoint, lambda m, e=endpoint.name: self.sent.append((e, m)))  # type: ignore[misc]
        self.actions: list[RiskActionTaken] = []
        self.bus.subscribe(RISK_ACTIONS, self.actions.append)
        instruments = {s: Instrument(reference_price=D(100)) for s in symbols} | {s: Instrument() for s in unreferenced}
        self.risk = RiskEngine(self.bus, self.clock, limits, instruments, entitlements, quotes=quotes)

    def execute(self, order: SubmitOrder | ReplaceOrder) -> None:
        """What the OMS does with risk's answer: send the order on, or deny it (recorded as it would be sent)."""
        denial = self.risk.check(order)
        if denial is None:
            self.sent.append((EMS_EXECUTE.name, order))
        else:
            denied = OrderDenied(order_id=order.order_id, reason=denial.reason, text=denial.text, ts_ns=0)
            self.sent.append((OMS_PROCESS.name, denied))

    def denials(self) -> list[OrderDenied]:
        return [m for e, m in self.sent if isinstance(m, OrderDenied)]

    def risk_orders(self) -> list[SubmitRiskOrder]:
        return [m for e, m in self.sent if isinstance(m, SubmitRiskOrder)]

    def fill(
        self,
        side: Side,
        qty: str,
        px: str,
        order_id: str = "F1",
        symbol: str = "MSFT",
        session: SessionKey = CLIENT1,
        leaves: str = "0",
        account: str = "ACCT1",
    ) -> None:
        self.update(
            order_id, side, leaves, symbol=symbol, session=session, account=account, last_qty=D(qty), last_px=D(px)
        )

    def update(
        self,
        order_id: str,
        side: Side,
        leaves: str,
        price: str | None = "100",
        symbol: str = "MSFT",
        session: SessionKey = CLIENT1,
        account: str = "ACCT1",
        **fill: Any,
    ) -> None:
        """What the OMS publishes after an order changes (``fill``: last_qty, last_px)."""
        self.bus.publish(
            ORDER_UPDATES,
            OrderUpdated(
                order_id=OrderId(order_id),
                session=session,
                account=Account(account),
                symbol=Symbol(symbol),
                side=side,
                price=D(price) if price is not None else None,
                leaves_qty=D(leaves),
                ts_ns=self.clock.now_ns(),
                **fill,
            ),
        )

    def sample(self, mids: dict[str, str], ts_ns: int | None = None) -> None:
        """What the gateway's sampler posts once an interval: the consolidated mids."""
        sample = MarksSampled(
            ts_ns=self.clock.now_ns() if ts_ns is None else ts_ns, mids={s: D(m) for s, m in mids.items()}
        )
        self.bus.send(RISK_MARKS, sample)
