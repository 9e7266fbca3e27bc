"""The pre-trade catalogue: every check an order or a replace passes, in memory, on the order path.

Order of the checks: who may trade (entitlement, kill switch), what the message itself says (quantity, price, known
symbol, tick and lot), then exposure (restricted, trading state, reference price, size, notional, band, position,
credit, the portfolio's gross, net and VaR, loss), then the stateful flow checks (rate throttles, duplicates),
which count only what passes. Money stays ``Decimal``; nothing on this path hashes one.

The reference price (the band's centre, a market order's value) is ``[risk] band_reference``'s: ``last`` reads the
exposure's mark (the last trade, else the configured price) and nothing else; ``mid`` and ``mid_else_last`` add
one ``Quotes.mid`` call and fall back, when the books have no usable mid, to the configured price or to what
``last`` gives. The slot keeps the band of the last reference it saw, by identity (a mark changes object when it
changes value) or, for a mid (a new object each call), by value: the bounds depend on the value alone, whatever
the kind of reference, so the cache stays right as the reference goes from mid to fallback and back.
"""

from __future__ import annotations

from decimal import Decimal

from domain.clock import Clock
from domain.commands import ReplaceOrder
from domain.enums import OrdRejReason, OrdType, Side
from domain.marketdata import Quotes
from domain.verdicts import Denial
from risk.checks import (
    OrderTerms,
    band_bounds,
    check_credit,
    check_daily_loss,
    check_increments,
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
from risk.controls import Controls
from risk.exposure import Exposure
from risk.limits import RiskLimits
from risk.portfolio import Portfolio
from risk.portfolio_checks import check_portfolio
from risk.slots import Slot, Slots
from risk.throttle import SECOND_NS, RecentOrders, terms_key

_LIMIT, _BUY = OrdType.LIMIT, Side.BUY  # module constants: an enum member lookup costs ~50 ns in Python 3.11
_ZERO = Decimal(0)


class PreTradeChecks:
    """Run the whole catalogue on one order or replace; return the first denial, or None (and count it)."""

    def __init__(
        self, clock: Clock, slots: Slots, exposure: Exposure, controls: Controls, quotes: Quotes, portfolio: Portfolio
    ) -> None:
        self._now = clock.now_ns
        self._firm = portfolio.firm
        self._slots = slots
        self._kept = slots.kept
        self._exposure = exposure
        self._controls = controls
        self._quotes = quotes
        self._recent = RecentOrders(0)
        self._by_mid = self._mid_only = False
        self.limits_changed(slots.limits)

    def limits_changed(self, limits: RiskLimits) -> None:
        """Follow new limits: how long recent orders are kept (the longest duplicate window), the band reference."""
        self._recent.horizon_ns = limits.longest_duplicate_window_ms() * 1_000_000
        self._by_mid = limits.band_reference != "last"
        self._mid_only = limits.band_reference == "mid"

    def check(self, order: OrderTerms) -> Denial | None:
        """Return the first failed check's denial, or None when the order may go."""
        slot = self._kept.get((order.session, order.account, order.symbol))
        if slot is None:
            slot = self._slots.slot(order.session, order.account, order.symbol)
        if slot.entitlement is not None:
            return slot.entitlement
        controls = self._controls
        if controls.any_kill and (kill := controls.kill_switch(order.account, slot.session.client)):
            return Denial(
                OrdRejReason.BROKER_OPTION,
                f"kill switch on ({kill.scope} {kill.key or ''}) by {kill.who}: {kill.reason}",
                check="kill_switch",
            )
        denial = (
            check_quantity(order) or check_price(order) or slot.unknown or check_increments(order, slot.tick, slot.lot)
        )
        if denial is None:
            now = self._now()
            exposure = self._exposure
            if now >= exposure.next_roll_ns:
                exposure.roll_to(now)
            denial = self._exposure_checks(order, slot) or self._flow_checks(order, slot, now)
        return denial

    def _exposure_checks(self, order: OrderTerms, slot: Slot) -> Denial | None:
        limits = slot.limits
        if slot.restricted:
            return check_restricted(order, limits)
        cell = slot.cell
        position = cell.qty
        working = cell.working_buy if order.side is _BUY else cell.working_sell
        totals = slot.totals
        used = totals.open_notional + totals.gross
        qty = order.order_qty
        leaves = _ZERO
        if isinstance(order, ReplaceOrder):  # the order's own working quantity and notional are being replaced
            leaves, notional = self._exposure.working_of(order.order_id)
            working -= leaves
            used -= notional
            # Only the new leaves will work, OrderQty (38) - CumQty (14) (Appendix D C.3): what filled is in the
            # position already.
            qty -= order.cum_qty
        if self._controls.any_state:
            state, control = self._controls.state(order.account)
            why = f"{control.reason} (by {control.who})" if control else ""
            if denial := check_trading_state(order, state, why, position, working, qty):
                return denial
        mid_why: str | None = None  # band_reference = "last": no mid asked for
        if self._by_mid:
            mark, mid_why = self._mid_reference(order.symbol, slot)
        else:
            mark = self._exposure.marks.get(order.symbol)
        banded = mark is not None
        if mark is None:  # no reference: [risk] no_reference decides
            if denial := self._no_reference(order, mid_why):
                return denial
            mark = order.price  # a limit order (checked above): valued at its price, with no band to check
            assert mark is not None
        elif limits.price_band_pct is not None and slot.band_mark is not mark:
            slot.band_mark, slot.band = mark, band_bounds(limits.price_band_pct, mark)
        price = order.price if order.ord_type is _LIMIT and order.price is not None else mark
        return (
            check_max_order_qty(order, limits)
            or check_max_notional(order, limits, mark)
            or (check_price_band(order, limits, mark, slot.band, slot.configured, mid_why) if banded else None)
            or check_position_limit(order, limits, position, working, qty)
            or check_credit(order, limits, used, price, qty)
            or (check_portfolio(order, slot.book, slot.leg, working, qty, price) if slot.portfolio_limited else None)
            or (
                # the firm's book, with every account's working orders on the side (less a replace's own leaves)
                check_portfolio(
                    order,
                    self._firm,
                    slot.firm_leg,
                    (slot.firm_cell.working_buy if order.side is _BUY else slot.firm_cell.working_sell) - leaves,
                    qty,
                    price,
                )
                if slot.firm_limited
                else None
            )
            or check_daily_loss(order, limits, totals.day_realized + totals.value - totals.cost)
        )

    def _mid_reference(self, symbol: str, slot: Slot) -> tuple[Decimal | None, str]:
        # The reference in a mid mode, and "" when it is the mid, else why the mid was unavailable: the reference is
        # then the fallback (the configured price for "mid"; the last trade, else the configured price, otherwise).
        mid, why = self._quotes.mid(symbol)
        if mid is not None:
            kept = slot.band_mark
            return (kept if mid == kept else mid), ""  # the same value again: the slot's band still applies
        return (slot.configured if self._mid_only else self._exposure.marks.get(symbol)), why or "unavailable"

    def _no_reference(self, order: OrderTerms, mid_why: str | None) -> Denial | None:
        if mid_why is None:
            return check_no_reference(order, self._slots.limits.no_reference)
        looked_for = "none configured" if self._mid_only else "no trade yet and none configured"
        return check_no_reference(order, self._slots.limits.no_reference, f"no mid ({mid_why}), {looked_for}")

    def _flow_checks(self, order: OrderTerms, slot: Slot, now: int) -> Denial | None:
        """Rate throttles and duplicate detection: stateful, so they run last and count only what passes."""
        session = slot.session
        # RateWindow.full, inlined: this runs for every order
        if (n := slot.orders_limit) and len(times := slot.orders_window.times) >= n and now - times[-n] < SECOND_NS:
            return Denial(
                OrdRejReason.OTHER,
                f"order rate limit: {slot.orders_limit} orders per second for account {order.account}; retry shortly",
                check="order_rate",
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
                check="session_order_rate",
            )
        if slot.duplicate_window_ns:
            key = terms_key(slot.terms_buy if order.side is _BUY else slot.terms_sell, order.order_qty, order.price)
            last = self._recent.seen(key, now)
            if last is not None and now - last < slot.duplicate_window_ns:
                return Denial(
                    OrdRejReason.DUPLICATE_ORDER,
                    f"duplicate order: same account, symbol, side, "
                    f"quantity and price as one {(now - last) // 1_000_000} ms ago",
                    check="duplicate",
                )
        if slot.orders_limit:
            slot.orders_window.times.append(now)
        if session.orders_limit:
            session.orders_window.times.append(now)
        return None
