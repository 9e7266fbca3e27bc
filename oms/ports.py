"""What the OMS needs from outside it, as protocols: the journal it records into, the risk engine it asks, the book
of record it looks retired orders up in. The composition root (``app.gateway``) hands in the real ones."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, Protocol

from domain.commands import ReplaceOrder, SubmitOrder
from domain.ids import ClOrdId, OrderId, SessionKey
from domain.order import Order
from domain.reports import ClientReport
from domain.verdicts import Denial

Row = dict[str, Any]
Found = Callable[[Order | None], None]
"""Told a retired order as the book of record holds it (None when not found)."""
FindRetired = Callable[[SessionKey, ClOrdId | None, OrderId | None, Found], None]
"""Find a retired order by (session, ClOrdID) or OrderID off the order path, then call back under the bus lock."""


class Journal(Protocol):
    """Where the OMS records book changes; a report is released only after its change is durable."""

    def append(
        self,
        *,
        order: Row | None = None,
        execution: Row | None = None,
        report: ClientReport | None = None,
        position: Row | None = None,
        audit: Row | None = None,
        owe: Row | None = None,
        owed: str | None = None,
    ) -> None:
        """Queue one change and the report that depends on it (see ``oms.store.journal.Journal.append``)."""

    def atomic(self) -> AbstractContextManager[object]:
        """Make what is appended inside the block commit in one transaction."""


class PreTrade(Protocol):
    """The risk engine's answers on the order path (``risk.engine.RiskEngine``): a direct call, needed at once."""

    def admit(self, session: SessionKey, account: str | None, symbol: str | None) -> Denial | None:
        """Count one client message against the message throttles; the denial when it is over one."""

    def check(self, order: SubmitOrder | ReplaceOrder) -> Denial | None:
        """The whole pre-trade catalogue on a new order or a replace's new terms; the first denial, or None."""


class NoRisk:
    """A ``PreTrade`` that refuses nothing (tests of the OMS alone, tools)."""

    def admit(self, session: SessionKey, account: str | None, symbol: str | None) -> Denial | None:
        """Admit every message."""
        return None

    def check(self, order: SubmitOrder | ReplaceOrder) -> Denial | None:
        """Pass every order."""
        return None
