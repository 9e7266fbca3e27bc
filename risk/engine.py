"""The risk engine: runs the whole check catalogue on each order in memory, then passes it on or denies it.

Theory of operation. ``check`` is on the order path, so everything that does not change from one order to the
next is resolved once per (session, account, symbol) into a ``_Slot``: the tightest limits, the entitlement
verdict, whether the symbol is known or restricted, and the lasting objects the checks read (the exposure cell and
account totals, the rate windows). A slot is dropped when limits change (``set_limits``), so a live change applies
to the next order. Money stays ``Decimal``; nothing on this path hashes one.

It also follows exposure from the OMS's ``events.order`` topic and acts after live fills: a position or loss limit
found breached triggers the configured ``on_breach`` actions — switch the account to REDUCE_ONLY or HALTED, cancel
its working orders, send a reducing order through the OMS to the EMS — each audited.

Message throttles (``admit``) run before the OMS books anything: the OMS calls them (wired in ``app``) for every
client message and answers a refused one itself, as FIX wants for each message type.
"""

from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple

from domain.bus import MessageBus
from domain.clock import Clock
from domain.commands import CancelWorking, ReplaceOrder, SubmitOrder, SubmitRiskOrder
from domain.enums import OrdRejReason, OrdType, Side
from domain.events import OrderDenied, OrderUpdated, ReplaceApproved, ReplaceDenied, RiskActionTaken
from domain.ids import RISK_SESSION, Account, ClOrdId, SessionKey, Symbol, client_comp_id
from risk.checks import (
    Denial,
    OrderTerms,
    band_bounds,
    check_credit,
    check_daily_loss,
    check_increments,
    check_known_symbol,
    check_max_notional,
    check_max_order_qty,
    check_no_reference,
    check_position_limit,
    check_price,
    check_price_band,
    check_quantity,
    check_restricted,
    check_trading_state,
)
from risk.controls import Control, Controls, TradingState
from risk.entitlements import Entitlements, account_entitlement
from risk.exposure import AccountTotals, Cell, Exposure
from risk.limits import EffectiveLimits, Instrument, RiskLimits, SessionLimits
from risk.throttle import SECOND_NS, RateWindow, RecentOrders, terms_key, terms_prefix

_ZERO = Decimal(0)
_RISK_CLIENT = client_comp_id(RISK_SESSION)
_LIMIT, _BUY = OrdType.LIMIT, Side.BUY  # module constants: an enum member lookup costs ~50 ns in Python 3.11


class _Slot:
    """What the catalogue needs for one (session, account, symbol), resolved once."""

    __slots__ = (
        "band",
        "band_mark",
        "cell",
        "duplicate_window_ns",
        "entitlement",
        "limits",
        "lot",
        "messages_limit",
        "messages_window",
        "orders_limit",
        "orders_window",
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
        self.session = _SessionSlot("", SessionLimits())
        self.band_mark: Decimal | None = None
        """The mark ``band`` was computed for: the band moves with the last trade."""
        self.band: tuple[Decimal, Decimal] | None = None
        self.terms_buy = ""
        self.terms_sell = ""
        self.tick = Decimal("0.01")
        self.lot = Decimal(1)


class _SessionSlot:
    """A client session's throttles and their windows."""

    __slots__ = ("client", "limits", "messages_limit", "messages_window", "orders_limit", "orders_window")

    def __init__(self, client: str, limits: SessionLimits) -> None:
        self.client = client
        self.limits = limits
        self.orders_limit: int = limits.max_orders_per_second or 0
        self.messages_limit: int = limits.max_messages_per_second or 0
        self.orders_window = RateWindow(1)
        self.messages_window = RateWindow(1)


class _Breach(NamedTuple):
    key: tuple[str, str]
    """(account, symbol) of a position breach, (account, "") of a loss breach."""
    text: str


class RiskEngine:
    """Endpoint ``risk.execute``: pass orders to ``ems.execute`` or deny them to ``oms.process``."""

    def __init__(
        self,
        bus: MessageBus,
        clock: Clock,
        limits: RiskLimits,
        instruments: dict[str, Instrument],
        entitlements: Entitlements | None = None,
        controls: Controls | None = None,
    ) -> None:
        """``entitlements``: the accounts each client may trade; None checks no entitlement (tests, tools)."""
        self._bus = bus
        self._clock = clock
        self._now = clock.now_ns
        self._entitlements = entitlements
        self._symbols = frozenset(instruments)
        self._instruments = instruments
        references = {s: i.reference_price for s, i in instruments.items() if i.reference_price is not None}
        self._started_ns = clock.now_ns()
        self.exposure = Exposure(references, limits.day_roll_utc, self._started_ns)
        self.controls = controls or Controls()
        self.limits = limits
        self._slots: dict[tuple[str, str, str], _Slot] = {}
        self._sessions: dict[str, _SessionSlot] = {}
        self._effective: dict[tuple[str, str], EffectiveLimits] = {}
        self._windows: dict[tuple[str, str], RateWindow] = {}
        self._caps = limits.rate_caps()
        self._recent = RecentOrders(limits.longest_duplicate_window_ms() * 1_000_000)
        self._in_breach: set[tuple[str, str]] = set()
        self._loss_limited = limits.any_loss_limit()
        """Some scope sets max_daily_loss: a fill that moves a mark has other accounts' losses to check."""
        self._risk_orders = 0
        bus.register("risk.execute", self.execute)
        bus.subscribe("events.order", self.process)

    def set_limits(self, limits: RiskLimits) -> None:
        """Apply new limits at once (operators change them live); the rate windows keep what they counted."""
        self.limits = limits
        self._slots.clear()
        self._sessions.clear()
        self._effective.clear()
        self._caps = limits.rate_caps()
        for (kind, _), window in self._windows.items():
            window.resize(max(self._caps[kind], 1))
        self._recent.horizon_ns = limits.longest_duplicate_window_ms() * 1_000_000
        self._loss_limited = limits.any_loss_limit()
        if limits.day_roll_utc != self.exposure.day_roll:
            self.exposure.set_day_roll(limits.day_roll_utc, self._clock.now_ns())

    # -- orders ----------------------------------------------------------------------------------

    def execute(self, command: SubmitOrder | ReplaceOrder) -> None:
        """Check ``command``; forward a new order to the EMS or deny it; answer a replace to the OMS."""
        denial = self.check(command)
        if isinstance(command, ReplaceOrder):
            verdict = (
                ReplaceApproved(command=command) if denial is None else ReplaceDenied(command=command, text=denial.text)
            )
            self._bus.send("oms.process", verdict)
        elif denial is None:
            self._bus.send("ems.execute", command)
        else:
            denied = OrderDenied(
                order_id=command.order_id, reason=denial.reason, text=denial.text, ts_ns=self._clock.now_ns()
            )
            self._bus.send("oms.process", denied)

    def check(self, order: OrderTerms) -> Denial | None:
        """Return the first failed check's denial, or None when the order may go (and count it)."""
        slot = self._slots.get((order.session, order.account, order.symbol))
        if slot is None:
            slot = self._slot(order.session, order.account, order.symbol)
        if slot.entitlement is not None:
            return slot.entitlement
        if self.controls.any_kill and (kill := self.controls.kill_switch(order.account, slot.session.client)):
            return Denial(
                OrdRejReason.BROKER_OPTION,
                f"kill switch on ({kill.scope} {kill.key or ''}) by {kill.who}: {kill.reason}",
            )
        denial = (
            check_quantity(order) or check_price(order) or slot.unknown or check_increments(order, slot.tick, slot.lot)
        )
        if denial is None:
            now = self._now()
            if now >= self.exposure.next_roll_ns:
                self.exposure.roll_to(now)
            denial = self._exposure_checks(order, slot) or self._flow_checks(order, slot, now)
        return denial

    def _exposure_checks(self, order: OrderTerms, slot: _Slot) -> Denial | None:
        limits = slot.limits
        if slot.restricted:
            return check_restricted(order, limits)
        cell = slot.cell
        position = cell.qty
        working = cell.working_buy if order.side is _BUY else cell.working_sell
        totals = slot.totals
        used = totals.open_notional + totals.gross
        qty = order.order_qty
        if isinstance(order, ReplaceOrder):  # the order's own working quantity and notional are being replaced
            leaves, notional = self.exposure.working_of(order.order_id)
            working -= leaves
            used -= notional
            # Only the new leaves will work, OrderQty (38) - CumQty (14) (Appendix D C.3): what filled is in the
            # position already.
            qty -= order.cum_qty
        if self.controls.any_state:
            state, control = self.controls.state(order.account)
            why = f"{control.reason} (by {control.who})" if control else ""
            if denial := check_trading_state(order, state, why, position, working, qty):
                return denial
        mark = self.exposure.marks.get(order.symbol)
        banded = mark is not None
        if mark is None:  # no trade yet and none configured: [risk] no_reference decides
            if denial := check_no_reference(order, self.limits.no_reference):
                return denial
            mark = order.price  # a limit order (checked above): valued at its price, with no band to check
            assert mark is not None
        elif limits.price_band_pct is not None and slot.band_mark is not mark:
            slot.band_mark, slot.band = mark, band_bounds(limits.price_band_pct, mark)
        price = order.price if order.ord_type is _LIMIT and order.price is not None else mark
        return (
            check_max_order_qty(order, limits)
            or check_max_notional(order, limits, mark)
            or (check_price_band(order, limits, mark, slot.band) if banded else None)
            or check_position_limit(order, limits, position, working, qty)
            or check_credit(order, limits, used, price, qty)
            or check_daily_loss(order, limits, totals.day_realized + totals.value - totals.cost)
        )

    def _flow_checks(self, order: OrderTerms, slot: _Slot, now: int) -> Denial | None:
        """Rate throttles and duplicate detection: stateful, so they run last and count only what passes."""
        session = slot.session
        # RateWindow.full, inlined: this runs for every order
        if (n := slot.orders_limit) and len(times := slot.orders_window.times) >= n and now - times[-n] < SECOND_NS:
            return Denial(
                OrdRejReason.OTHER,
                f"order rate limit: {slot.orders_limit} orders per second for account {order.account}; retry shortly",
            )
        if (
            (n := session.orders_limit)
            and len(times := session.orders_window.times) >= n
            and now - times[-n] < SECOND_NS
        ):
            return Denial(
                OrdRejReason.OTHER,
                f"order rate limit: {session.orders_limit} orders per second for "
                f"session {session.client}; retry shortly",
            )
        if slot.duplicate_window_ns:
            key = terms_key(slot.terms_buy if order.side is _BUY else slot.terms_sell, order.order_qty, order.price)
            last = self._recent.seen(key, now)
            if last is not None and now - last < slot.duplicate_window_ns:
                return Denial(
                    OrdRejReason.DUPLICATE_ORDER,
                    f"duplicate order: same account, symbol, side, "
                    f"quantity and price as one {(now - last) // 1_000_000} ms ago",
                )
        if slot.orders_limit:
            slot.orders_window.times.append(now)
        if session.orders_limit:
            session.orders_window.times.append(now)
        return None

    # -- message throttles -----------------------------------------------------------------------

    def admit(self, session: SessionKey, account: str | None, symbol: str | None) -> str | None:
        """Count one client message (35=D/F/G/H/q); return why it is refused when over a message rate.

        ``account`` and ``symbol`` name the order the message is about (35=D, G, and F when the order is known):
        it then counts for the account's message rate as well as the session's.
        """
        client = client_comp_id(session)
        throttle = self._sessions.get(client) or self._session_slot(client)
        now = self._clock.now_ns()
        if throttle.messages_limit and throttle.messages_window.full(throttle.messages_limit, now):
            return (
                f"message rate limit: {throttle.messages_limit} messages per second for session {client}; retry shortly"
            )
        slot = None
        if account is not None and symbol is not None:
            slot = self._slots.get((session, account, symbol)) or self._slot(session, account, symbol)
            if slot.messages_limit and slot.messages_window.full(slot.messages_limit, now):
                return (
                    f"message rate limit: {slot.messages_limit} messages per second for account {account}; "
                    "retry shortly"
                )
        if throttle.messages_limit:
            throttle.messages_window.add(now)
        if slot is not None and slot.messages_limit:
            slot.messages_window.add(now)
        return None

    # -- resolution (once per slot; again after a limit change) ----------------------------------

    def _slot(self, session: str, account: str, symbol: str) -> _Slot:
        """Resolve what the checks need; kept only for an entitled account in a known symbol.

        What a client names is not trusted to be finite: an account it may not trade or a symbol nobody trades
        gets a fresh slot each time (its orders are refused anyway), so random names cannot grow the engine.
        """
        slot = _Slot()
        client = client_comp_id(SessionKey(session))
        if self._entitlements is not None:
            slot.entitlement = account_entitlement(client, account, self._entitlements)
        slot.session = self._sessions.get(client) or self._session_slot(client)
        slot.unknown = check_known_symbol(symbol, symbol in self._symbols)
        if (instrument := self._instruments.get(symbol)) is not None:
            slot.tick, slot.lot = instrument.tick_size, instrument.lot_size
        lasting = slot.entitlement is None and slot.unknown is None
        slot.limits = limits = self._limits(account, symbol) if lasting else self.limits.effective(account, symbol)
        if slot.entitlement is None:  # an account's windows count its messages, in whatever symbol
            slot.orders_limit = limits.max_orders_per_second or 0
            if slot.orders_limit:
                slot.orders_window = self._window("account.max_orders_per_second", account)
            slot.messages_limit = limits.max_messages_per_second or 0
            if slot.messages_limit:
                slot.messages_window = self._window("account.max_messages_per_second", account)
        if lasting:
            slot.restricted = symbol in limits.restricted_symbols
            slot.cell = self.exposure.cell(account, symbol)
            slot.totals = self.exposure.totals(account)
            slot.duplicate_window_ns = (limits.duplicate_window_ms or 0) * 1_000_000
            slot.terms_buy = terms_prefix(account, symbol, Side.BUY)
            slot.terms_sell = terms_prefix(account, symbol, Side.SELL)
            self._slots[session, account, symbol] = slot
        return slot

    def _session_slot(self, client: str) -> _SessionSlot:
        throttle = _SessionSlot(client, self.limits.effective_session(client))
        if throttle.orders_limit:
            throttle.orders_window = self._window("session.max_orders_per_second", client)
        if throttle.messages_limit:
            throttle.messages_window = self._window("session.max_messages_per_second", client)
        self._sessions[client] = throttle
        return throttle

    def _window(self, kind: str, who: str) -> RateWindow:
        window = self._windows.get((kind, who))
        if window is None:
            window = self._windows[kind, who] = RateWindow(self._caps[kind])
        return window

    def _limits(self, account: str, symbol: str) -> EffectiveLimits:
        limits = self._effective.get((account, symbol))
        if limits is None:
            limits = self._effective[account, symbol] = self.limits.effective(account, symbol)
        return limits

    # -- exposure and post-trade -------------------------------------------------------------------

    def process(self, update: OrderUpdated) -> None:
        """Follow an order change; after a live fill, act on any position or loss limit now breached."""
        mark = self.exposure.marks.get(update.symbol)
        self.exposure.on_order(update)
        # Fills replayed from the book at start (older than this engine) only rebuild exposure: acting on them
        # again would repeat what was done (and audited) before the restart.
        if update.last_qty is not None and update.ts_ns >= self._started_ns:
            account, symbol = update.account, update.symbol
            self._react(
                account, symbol, self._breaches(account, symbol), ((account, symbol), (account, "")), update.ts_ns
            )
            if self._loss_limited and self.exposure.marks.get(symbol) != mark:
                self._after_mark(account, symbol, update.ts_ns)

    def _after_mark(self, filled: str, symbol: str, ts_ns: int) -> None:
        """The fill moved the symbol's mark, so the unrealized P&L of every account holding it: check their loss."""
        for position in tuple(self.exposure.holders(symbol)):  # an action's fills (internal venue) may open more
            account = position.account
            if account != filled and position.qty != 0:
                self._react(account, symbol, self._loss_breach(account, symbol), ((account, ""),), ts_ns)

    def _react(
        self, account: str, symbol: str, breaches: list[_Breach], keys: tuple[tuple[str, str], ...], ts_ns: int
    ) -> None:
        """Run the ``on_breach`` actions for ``account``'s breaches (``keys``: what was looked at, to clear)."""
        for key in keys:
            if key not in (b.key for b in breaches):
                self._in_breach.discard(key)
        actions = self.limits.on_breach
        if not breaches or not actions:
            return
        first = any(b.key not in self._in_breach for b in breaches)
        self._in_breach.update(b.key for b in breaches)
        reason = f"post-trade breach: {'; '.join(b.text for b in breaches)}"
        state = (
            TradingState.HALTED if "halt" in actions else TradingState.REDUCE_ONLY if "reduce_only" in actions else None
        )
        switched = state is not None and self.controls.state(account)[0] is not state
        if switched:
            assert state is not None
            self.controls.set(
                Control(
                    kind="state",
                    scope="account",
                    key=account,
                    value=state.value,
                    who="risk",
                    reason=reason,
                    ts_ns=ts_ns,
                )
            )
        if "cancel_working" in actions and (first or switched):
            self._bus.send("oms.execute", CancelWorking(account=account, reason=f"risk: {reason}"))
            self._audit(account, "cancel_working", f"cancel every working order of {account}", reason)
        if "send_reducing_order" in actions:
            loss = any(b.key[1] == "" for b in breaches)
            targets = [p.symbol for p in self.exposure.held(account)] if loss else [symbol]
            for target in targets:
                self._reduce(account, target, loss, reason)

    def _breaches(self, account: str, symbol: str) -> list[_Breach]:
        limits = self._limits(account, symbol)
        position = self.exposure.position(account, symbol)
        found: list[_Breach] = []
        if limits.max_long_qty is not None and position > limits.max_long_qty:
            found.append(_Breach((account, symbol), f"long position {position} > {limits.max_long_qty} in {symbol}"))
        elif limits.max_short_qty is not None and -position > limits.max_short_qty:
            found.append(_Breach((account, symbol), f"short position {-position} > {limits.max_short_qty} in {symbol}"))
        return found + self._loss_breach(account, symbol)

    def _loss_breach(self, account: str, symbol: str) -> list[_Breach]:
        limit = self._limits(account, symbol).max_daily_loss
        pnl = self.exposure.day_pnl(account)
        if limit is not None and -pnl >= limit:
            return [_Breach((account, ""), f"loss {-pnl} reached the limit {limit}")]
        return []

    def _reduce(self, account: str, symbol: str, flatten: bool, reason: str) -> None:
        """Send what still has to go to bring the position within its limit (flat after a loss breach).

        The risk engine's own reducing orders still working count as sent, so a fill while one is in flight does
        not send another; client orders on the reducing side do not count (they may never fill).
        """
        if self.controls.kill_switch(account, _RISK_CLIENT) is not None:
            return  # a kill switch stops every order, the risk engine's too
        cell = self.exposure.cell(account, symbol)
        limits = self._limits(account, symbol)
        position = cell.qty
        if flatten:
            target = _ZERO
        elif position > 0:
            target = limits.max_long_qty if limits.max_long_qty is not None else position
        else:
            target = limits.max_short_qty if limits.max_short_qty is not None else -position
        qty = abs(position) - target - cell.reducing
        if qty <= 0 or position == 0:
            return
        side = Side.SELL if position > 0 else Side.BUY
        now = self._clock.now_ns()
        self._risk_orders += 1
        cl_ord_id = ClOrdId(f"RISK-{now}-{self._risk_orders}")
        self._bus.send(
            "oms.execute",
            SubmitRiskOrder(
                cl_ord_id=cl_ord_id,
                account=Account(account),
                symbol=Symbol(symbol),
                side=side,
                order_qty=qty,
                reason=f"risk: {reason}",
                ts_ns=now,
            ),
        )
        detail = f"{side.name} {qty} {symbol} at market, immediate or cancel (ClOrdID {cl_ord_id})"
        self._audit(account, "send_reducing_order", detail, reason)

    def _audit(self, account: str, action: str, detail: str, reason: str) -> None:
        event = RiskActionTaken(
            account=Account(account), action=action, detail=detail, reason=reason, ts_ns=self._clock.now_ns()
        )
        self._bus.publish("events.risk", event)
