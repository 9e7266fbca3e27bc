"""What the checks need for one (session, account, symbol), resolved once: a *slot*.

Theory of operation. The catalogue runs on the order path, so everything that does not change from one order to
the next is resolved once per (session, account, symbol) into a ``Slot``: the tightest limits, the entitlement
verdict, whether the symbol is known or restricted, its tick and lot, and the lasting objects the checks read (the
exposure cell and account totals, the rate windows). Slots are dropped when limits change (``set_limits``), so a
live change applies to the next order. What a client names is not trusted to be finite: an account it may not
trade or a symbol nobody trades gets a fresh slot each time (its orders are refused anyway), so random names
cannot grow the engine.
"""

from __future__ import annotations

from decimal import Decimal

from domain.enums import Side
from domain.ids import SessionKey, client_comp_id
from domain.verdicts import Denial
from risk.checks import check_known_symbol
from risk.entitlements import Entitlements, account_entitlement
from risk.exposure import AccountTotals, Cell, Exposure
from risk.limits import EffectiveLimits, Instrument, RiskLimits, SessionLimits
from risk.portfolio import Leg, Market, Portfolio, PortfolioBook
from risk.throttle import RateWindow, terms_prefix


class Slot:
    """What the catalogue needs for one (session, account, symbol)."""

    __slots__ = (
        "band",
        "band_mark",
        "book",
        "bounds",
        "cell",
        "configured",
        "duplicate_window_ns",
        "entitlement",
        "firm_bounds",
        "firm_cell",
        "firm_leg",
        "firm_limited",
        "leg",
        "limits",
        "lot",
        "messages_limit",
        "messages_window",
        "orders_limit",
        "orders_window",
        "portfolio_limited",
        "restricted",
        "session",
        "terms_buy",
        "terms_sell",
        "tick",
        "totals",
        "unknown",
    )

    def __init__(self) -> None:
        self.entitlement: Denial | None = None
        self.unknown: Denial | None = None
        self.limits = EffectiveLimits()
        self.restricted = False
        self.cell = Cell()
        self.totals = AccountTotals()
        self.orders_limit = 0
        self.orders_window = RateWindow(1)
        self.messages_limit = 0
        self.messages_window = RateWindow(1)
        self.duplicate_window_ns = 0
        self.session = SessionSlot("", SessionLimits())
        self.band_mark: Decimal | None = None
        """The reference ``band`` was computed for (the band depends on its value only, whatever its kind): the band
        moves with the last trade, or the mid."""
        self.band: tuple[Decimal, Decimal] | None = None
        self.configured: Decimal | None = None
        """The instrument's configured ``reference_price``."""
        self.terms_buy = ""
        self.terms_sell = ""
        self.tick = Decimal("0.01")
        self.lot = Decimal(1)
        self.portfolio_limited = False
        """Some portfolio limit (gross, net, VaR) applies to the account: the portfolio checks run."""
        self.book = _NO_BOOK
        self.leg = _NO_LEG
        self.firm_limited = False
        """Some firm limit (``[risk.firm]``) is set: the firm's portfolio checks run."""
        self.firm_leg = _NO_LEG
        self.firm_cell = Cell()


_NO_BOOK = PortfolioBook("")
_NO_LEG = Leg(Market("", None, 0.0))


class SessionSlot:
    """A client session's throttles and their windows."""

    __slots__ = ("client", "limits", "messages_limit", "messages_window", "orders_limit", "orders_window")

    def __init__(self, client: str, limits: SessionLimits) -> None:
        self.client = client
        self.limits = limits
        self.orders_limit: int = limits.max_orders_per_second or 0
        self.messages_limit: int = limits.max_messages_per_second or 0
        self.orders_window = RateWindow(1)
        self.messages_window = RateWindow(1)


class Slots:
    """Resolve and keep slots, session slots, rate windows and effective limits."""

    def __init__(
        self,
        limits: RiskLimits,
        instruments: dict[str, Instrument],
        entitlements: Entitlements | None,
        exposure: Exposure,
        portfolio: Portfolio,
    ) -> None:
        """``entitlements``: the accounts each client may trade; None checks no entitlement (tests, tools)."""
        self.limits = limits
        self._instruments = instruments
        self._symbols = frozenset(instruments)
        self._entitlements = entitlements
        self._exposure = exposure
        self._portfolio = portfolio
        self.kept: dict[tuple[str, str, str], Slot] = {}
        """The lasting slots by (session, account, symbol): the order path reads it directly (one dict lookup)."""
        self.sessions: dict[str, SessionSlot] = {}
        """The session slots by client CompID (read directly on the order path, like ``kept``)."""
        self._effective: dict[tuple[str, str], EffectiveLimits] = {}
        self._windows: dict[tuple[str, str], RateWindow] = {}
        self._caps = limits.rate_caps()
        self.loss_limited = limits.any_loss_limit()
        """Some scope sets max_daily_loss: a fill that moves a mark has other accounts' losses to check."""
        self.portfolio_limited = limits.any_portfolio_limit()
        """Some scope sets a portfolio limit: a mark move has portfolios to check."""
        self.firm_limited = limits.firm.any_limit()
        """``[risk.firm]`` sets a limit: every fill has the firm's portfolio to check."""

    def set_limits(self, limits: RiskLimits) -> None:
        """Resolve again from ``limits``; the rate windows keep what they counted."""
        self.limits = limits
        self.kept.clear()
        self.sessions.clear()
        self._effective.clear()
        self._caps = limits.rate_caps()
        self.loss_limited = limits.any_loss_limit()
        self.portfolio_limited = limits.any_portfolio_limit()
        self.firm_limited = limits.firm.any_limit()
        for (kind, _), window in self._windows.items():
            window.resize(max(self._caps[kind], 1))

    def slot(self, session: str, account: str, symbol: str) -> Slot:
        """The slot of (session, account, symbol): kept only for an entitled account in a known symbol."""
        slot = self.kept.get((session, account, symbol))
        return slot if slot is not None else self._resolve(session, account, symbol)

    def session(self, client: str) -> SessionSlot:
        """The throttles of one client session."""
        throttle = self.sessions.get(client)
        return throttle if throttle is not None else self._resolve_session(client)

    def limits_for(self, account: str, symbol: str) -> EffectiveLimits:
        """The tightest limits for ``account`` in ``symbol``."""
        limits = self._effective.get((account, symbol))
        if limits is None:
            limits = self._effective[account, symbol] = self.limits.effective(account, symbol)
        return limits

    def _resolve(self, session: str, account: str, symbol: str) -> Slot:
        slot = Slot()
        client = client_comp_id(SessionKey(session))
        if self._entitlements is not None:
            slot.entitlement = account_entitlement(client, account, self._entitlements)
        slot.session = self.session(client)
        slot.unknown = check_known_symbol(symbol, symbol in self._symbols)
        if (instrument := self._instruments.get(symbol)) is not None:
            slot.tick, slot.lot = instrument.tick_size, instrument.lot_size
            slot.configured = instrument.reference_price
        lasting = slot.entitlement is None and slot.unknown is None
        slot.limits = limits = self.limits_for(account, symbol) if lasting else self.limits.effective(account, symbol)
        if slot.entitlement is None:  # an account's windows count its messages, in whatever symbol
            slot.orders_limit = limits.max_orders_per_second or 0
            if slot.orders_limit:
                slot.orders_window = self._window("account.max_orders_per_second", account)
            slot.messages_limit = limits.max_messages_per_second or 0
            if slot.messages_limit:
                slot.messages_window = self._window("account.max_messages_per_second", account)
        if lasting:
            slot.restricted = symbol in limits.restricted_symbols
            slot.cell = self._exposure.cell(account, symbol)
            slot.totals = self._exposure.totals(account)
            slot.duplicate_window_ns = (limits.duplicate_window_ms or 0) * 1_000_000
            slot.terms_buy = terms_prefix(account, symbol, Side.BUY)
            slot.terms_sell = terms_prefix(account, symbol, Side.SELL)
            self._resolve_portfolio(slot, account, symbol)
            self.kept[session, account, symbol] = slot
        return slot

    def _resolve_portfolio(self, slot: Slot, account: str, symbol: str) -> None:
        portfolio = self._portfolio
        book = portfolio.book(account)
        slot.portfolio_limited = book.bounds.any()
        if slot.portfolio_limited:
            slot.book = book
            slot.leg = portfolio.leg(book, symbol)
        slot.firm_limited = portfolio.firm.bounds.any()
        if slot.firm_limited:
            slot.firm_leg = portfolio.leg(portfolio.firm, symbol)
            slot.firm_cell = self._exposure.firm_cell(symbol)

    def _resolve_session(self, client: str) -> SessionSlot:
        throttle = SessionSlot(client, self.limits.effective_session(client))
        if throttle.orders_limit:
            throttle.orders_window = self._window("session.max_orders_per_second", client)
        if throttle.messages_limit:
            throttle.messages_window = self._window("session.max_messages_per_second", client)
        self.sessions[client] = throttle
        return throttle

    def _window(self, kind: str, who: str) -> RateWindow:
        window = self._windows.get((kind, who))
        if window is None:
            window = self._windows[kind, who] = RateWindow(self._caps[kind])
        return window
