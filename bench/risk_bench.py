"""Pre-trade risk latency: p50/p99 of each check and of the whole catalogue for one order, in memory.

The account carries positions in 50 symbols and 500 working orders, every limit of the catalogue is set (the
session throttles and the portfolio's gross, net and VaR limits too, the account's and the firm's, with marks and a
covariance matrix from samples of the mids), and the order passes every check (the slowest path: nothing
short-circuits). The message throttle (``RiskEngine.admit``) runs before the catalogue, in the OMS, and is timed on
its own. Times are wall-clock per call, measured with perf_counter_ns around each call; medians of the per-run
percentiles over --runs runs.

Single checks are timed as the catalogue runs them: the pure functions of ``risk.checks``; for entitlement, the
function the engine calls once per (session, account, symbol) and then keeps the verdict of; the kill switch and
trading state lookups with a control in force for another account (with none in force anywhere the catalogue skips
them on one flag); the order-rate windows and the duplicate look-up as ``RiskEngine`` runs them inline (with the
clock read they share). The whole catalogue is timed twice: with no control in force, and with a kill switch and
a trading state in force for another account (the order still passes).

    .venv/bin/python bench/risk_bench.py [--orders 20000] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from decimal import Decimal

from domain.bus import MessageBus
from domain.channels import EMS_EXECUTE, OMS_EXECUTE, OMS_PROCESS, ORDER_UPDATES, RISK_MARKS
from domain.clock import LiveClock
from domain.commands import SubmitOrder
from domain.enums import OrdType, Side
from domain.events import OrderUpdated
from domain.ids import Account, ClOrdId, OrderId, SessionKey, Symbol
from domain.marketdata import MarksSampled
from risk import checks
from risk.controls import Control, Controls, TradingState
from risk.engine import RiskEngine
from risk.entitlements import check_account_entitled
from risk.limits import FirmLimits, Instrument, LimitSet, RiskLimits, SessionLimits
from risk.portfolio_checks import check_portfolio
from risk.throttle import RateWindow, RecentOrders, terms_key, terms_prefix

D = Decimal
SYMBOLS = [f"S{i:02d}" for i in range(50)]
ENTITLEMENTS = {"CLIENT1": frozenset({"ACCT1"})}


class TopOfBook:
    """``Quotes`` with one usable book per symbol (100.00 / 100.01): what the mid band references read."""

    _BID, _ASK, _MID = D("100.00"), D("100.01"), D("100.005")

    def bid_ask(self, symbol: str) -> tuple[Decimal | None, Decimal | None]:
        return self._BID, self._ASK

    def mid(self, symbol: str) -> tuple[Decimal | None, str]:
        return (self._BID + self._ASK) / 2, ""  # a new object each call, as a live book's mid is

    def last_trade(self, symbol: str) -> Decimal | None:
        return None


def engine(band_reference: str = "last", bus: MessageBus | None = None) -> RiskEngine:
    """The bench's engine (on ``bus``, a new one if None); ``band_reference`` other than "last" reads a mid from
    ``TopOfBook``."""
    bus = bus or MessageBus()
    bus.register(EMS_EXECUTE, lambda _: None)
    bus.register(OMS_PROCESS, lambda _: None)
    bus.register(OMS_EXECUTE, lambda _: None)
    limits = LimitSet(
        max_order_qty=D(10_000),
        max_notional=D(10**7),
        price_band_pct=D(10),
        max_long_qty=D(10**6),
        max_short_qty=D(10**6),
        credit_limit=D(10**12),
        max_daily_loss=D(10**9),
        max_orders_per_second=10**6,
        max_messages_per_second=10**6,
        duplicate_window_ms=1,
        restricted_symbols=frozenset({"XXX"}),
        max_gross_exposure=D(10**12),
        max_net_exposure=D(10**12),
        max_var=D(10**12),
    )
    instruments = {s: Instrument(reference_price=D(100)) for s in SYMBOLS}
    sessions = {"*": SessionLimits(max_orders_per_second=10**6, max_messages_per_second=10**6)}
    firm = FirmLimits(max_gross_exposure=D(10**13), max_net_exposure=D(10**13), max_var=D(10**13))
    risk_limits = RiskLimits.model_validate(
        {"default": limits, "firm": firm, "sessions": sessions, "band_reference": band_reference}
    )
    quotes = TopOfBook() if band_reference != "last" else None
    risk = RiskEngine(bus, LiveClock(), risk_limits, instruments, entitlements=ENTITLEMENTS, quotes=quotes)
    for i in range(500):
        symbol = SYMBOLS[i % 50]
        bus.publish(
            ORDER_UPDATES,
            OrderUpdated(
                order_id=OrderId(f"W{i}"),
                session=SessionKey("FIX.4.4:FIXGW->CLIENT1"),
                account=Account("ACCT1"),
                symbol=Symbol(symbol),
                side=Side.BUY,
                price=D(99),
                leaves_qty=D(10),
                last_qty=D(5),
                last_px=D(100),
                ts_ns=i,
            ),
        )
    for step in range(3):  # marks from mids, and a covariance matrix over the 50 symbols
        mids = {s: D(100) + D(step) / 100 for s in SYMBOLS}
        bus.send(RISK_MARKS, MarksSampled(ts_ns=step * 1_000_000_000, mids=mids))
    return risk


def order(i: int) -> SubmitOrder:
    return SubmitOrder(
        session=SessionKey("FIX.4.4:FIXGW->CLIENT1"),
        cl_ord_id=ClOrdId(f"C{i}"),
        account=Account("ACCT1"),
        symbol=Symbol(SYMBOLS[i % 50]),
        side=Side.BUY,
        ord_type=OrdType.LIMIT,
        order_qty=D(100 + i % 7),
        price=D("100.05") + D(i % 13) / 100,
        ts_received_ns=0,
        order_id=OrderId(f"O{i}"),
    )


def controls_elsewhere(controls: Controls) -> None:
    """A kill switch and a trading state in force for another account: the lookups run, the order passes."""
    for kind, value in (("kill", "on"), ("state", TradingState.HALTED.value)):
        controls.set(
            Control(kind=kind, scope="account", key="ACCT9", value=value, who="bench", reason="bench", ts_ns=0)
        )


def flow_cases(clock: LiveClock) -> dict[str, Callable[[SubmitOrder], object]]:
    """The order-rate windows and the duplicate look-up, as ``RiskEngine._flow_checks`` runs them inline."""
    account_window, session_window, limit = RateWindow(10**6), RateWindow(10**6), 10**6
    recent, window_ns = RecentOrders(1_000_000), 1_000_000
    prefixes = {s: terms_prefix("ACCT1", s, Side.BUY) for s in SYMBOLS}

    def order_rate(o: SubmitOrder) -> object:
        now = clock.now_ns()
        if account_window.full(limit, now) or session_window.full(limit, now):
            return "throttled"
        account_window.add(now)
        session_window.add(now)
        return None

    def duplicate(o: SubmitOrder) -> object:
        now = clock.now_ns()
        last = recent.seen(terms_key(prefixes[o.symbol], o.order_qty, o.price), now)
        return last is not None and now - last < window_ns

    return {"order-rate throttle (account + session)": order_rate, "duplicates": duplicate}


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f}"


def percentiles(samples: list[int]) -> tuple[float, float]:
    ordered = sorted(samples)
    return ordered[len(ordered) // 2] / 1000, ordered[int(len(ordered) * 0.99)] / 1000


def measure(call: Callable[[SubmitOrder], object], orders: list[SubmitOrder]) -> tuple[float, float]:
    samples = []
    clock = time.perf_counter_ns
    for o in orders:
        start = clock()
        call(o)
        samples.append(clock() - start)
    return percentiles(samples)


def sample_cost(bus: MessageBus, samples: int = 200) -> float:
    """Mean time of one sample of the mids (``RISK_MARKS``): estimates, marks, every book rebuilt; once an interval,
    off the order path (but under the bus lock, so an order arriving meanwhile waits for it)."""
    start = time.perf_counter_ns()
    for step in range(samples):
        mids = {s: D(100) + D((step + i) % 7) / 100 for i, s in enumerate(SYMBOLS)}
        bus.send(RISK_MARKS, MarksSampled(ts_ns=(10 + step) * 1_000_000_000, mids=mids))
    return (time.perf_counter_ns() - start) / samples / 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(
        f"# .venv/bin/python bench/risk_bench.py {' '.join(sys.argv[1:])}".rstrip()
        + f"   ({os.cpu_count()} cores, shared; {load_average()} at the start)"
    )
    bus = MessageBus()
    risk, controlled = engine(bus=bus), engine()
    controls_elsewhere(controlled.controls)
    limits = risk.limits.effective("ACCT1", SYMBOLS[0])
    exposure = risk.exposure
    ref = D(100)  # made once: the engine reads its reference prices, it does not build them per order
    assert limits.price_band_pct is not None
    band = checks.band_bounds(limits.price_band_pct, ref)  # the engine keeps these per mark
    symbols = frozenset(SYMBOLS)
    cells = {s: exposure.cell("ACCT1", s) for s in SYMBOLS}  # the engine holds each in its slot
    controls = controlled.controls
    portfolio = risk.portfolio
    book = portfolio.book("ACCT1")
    legs = {s: portfolio.leg(book, s) for s in SYMBOLS}  # the engine holds each in its slot
    cases: dict[str, Callable[[SubmitOrder], object]] = {
        "entitlement (resolved once per slot)": lambda o: check_account_entitled(o, ENTITLEMENTS),
        "kill switch (one on elsewhere)": lambda o: controls.any_kill and controls.kill_switch(o.account, "CLIENT1"),
        "trading state (one set elsewhere)": lambda o: (
            controls.any_state
            and checks.check_trading_state(
                o, controls.state(o.account)[0], "", cells[o.symbol].qty, cells[o.symbol].working_buy, o.order_qty
            )
        ),
        "quantity": checks.check_quantity,
        "price": checks.check_price,
        "known symbol": lambda o: checks.check_known_symbol(o.symbol, o.symbol in symbols),
        "restricted": lambda o: checks.check_restricted(o, limits),
        "max_order_qty": lambda o: checks.check_max_order_qty(o, limits),
        "max_notional": lambda o: checks.check_max_notional(o, limits, ref),
        "price_band": lambda o: checks.check_price_band(o, limits, ref, band),
        "position (with working)": lambda o: checks.check_position_limit(
            o,
            limits,
            exposure.position(o.account, o.symbol),
            exposure.working(o.account, o.symbol, o.side),
            o.order_qty,
        ),
        "credit": lambda o: checks.check_credit(o, limits, exposure.account_notional(o.account), ref, o.order_qty),
        "portfolio: gross, net, VaR": lambda o: check_portfolio(
            o, book, legs[o.symbol], cells[o.symbol].working_buy, o.order_qty, ref
        ),
        "loss": lambda o: checks.check_daily_loss(o, limits, exposure.day_pnl(o.account)),
        **flow_cases(LiveClock()),
        "message throttle (RiskEngine.admit)": lambda o: risk.admit(o.session, o.account, o.symbol),
        "WHOLE CATALOGUE (RiskEngine.check)": risk.check,
        "WHOLE CATALOGUE, controls elsewhere": controlled.check,
    }
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in cases}
    for run in range(args.runs):
        orders = [order(run * args.orders + i) for i in range(args.orders)]
        for name, call in cases.items():
            results[name].append(measure(call, orders))
    print(f"{'check':40} {'p50 us':>8} {'p99 us':>8}   ({args.runs} runs x {args.orders} orders; medians)")
    for name, runs in results.items():
        p50 = statistics.median(r[0] for r in runs)
        p99 = statistics.median(r[1] for r in runs)
        print(f"{name:40} {p50:8.2f} {p99:8.2f}")
    print(f"{'mids sample, 50 symbols (per interval)':40} {sample_cost(bus):8.2f}   (mean, us)")
    print(f"# {load_average()} at the end")


if __name__ == "__main__":
    main()
