"""The market maker: a bid and an offer around a reservation price skewed against its inventory (issue 17).

Theory of operation. On every top of book (and after every report and timer) it prices ``r = mid - k·q`` and its
quotes ``r ± h``, rounded away from ``r`` to the tick (``strategy.pricing``), and for each side: sends a new order
when the side has none, cancels the order when the side may not quote (no mid, stopped by a limit, or a fill
would take |inventory| beyond ``max_inventory``), and replaces it (35=G) when ``r`` has moved by ``requote_ticks``
since the order was priced. One order a side, one request in flight for it: while an answer is awaited the side
waits.

Refusals come back for recalibration (``strategy.denials`` reads them, ``strategy.recalibration`` remembers them):

- over a limit (103=3 and the other limit checks): the side that was refused stops, and its order is canceled,
  until |inventory| is back under ``resume_ratio x max_inventory`` (and below where it was refused). When it was
  refused already under that line, the limit is not the inventory's: the side is tried again after a back-off.
- a throttle, or anything else: it goes idle (no orders at all; what works stays) and tries again after a back-off
  that doubles with every refusal in a row (``backoff_ms`` .. ``max_backoff_ms``).
- a kill switch or a halt: idle as well; it asks the risk controls (``blocked``) every 100 ms and resumes as
  soon as the control is lifted. Before every order it asks them too, so a control it can see costs no refusal.
- ``max_denials`` refusals in a row, whatever their kind, and it goes idle: it never spins on refusals.

Inventory starts at the account's position in the book of record (``position``) and moves with every fill of its
orders; a fill of an order it did not send (an earlier run's) reads the position again.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Sequence
from decimal import Decimal
from enum import StrEnum

from domain.clock import Clock
from domain.enums import ExecType, Side
from domain.ids import ClOrdId, Symbol
from domain.positions import Position
from domain.reports import ClientReport, ExecutionReport
from strategy.base import Level, OrderMaker, StrategyCommand, TopOfBook
from strategy.config import MarketMakerConfig
from strategy.denials import DenialKind
from strategy.pricing import quote_prices, reservation_price
from strategy.quotes import Outcome, Quote, QuoteStatus, apply_report
from strategy.recalibration import Recalibration

log = logging.getLogger("fixgw.strategy")

_ZERO = Decimal(0)
_TWO = Decimal(2)
_SIDES = (Side.BUY, Side.SELL)


class MakerState(StrEnum):
    """What the maker is doing."""

    QUOTING = "quoting"
    IDLE = "idle"
    STOPPING = "stopping"


def _no_control() -> str | None:
    return None


class MarketMaker:
    """Quote both sides of one symbol with inventory skew; react to refusals; never spin."""

    def __init__(
        self,
        name: str,
        config: MarketMakerConfig,
        tick: Decimal,
        orders: OrderMaker,
        clock: Clock,
        *,
        position: Callable[[], Position | None] = lambda: None,
        blocked: Callable[[], str | None] = _no_control,
    ) -> None:
        """``tick``: the instrument's tick size; ``position``: reads the account's position in ``config.symbol``
        from the book of record; ``blocked``: why a risk control (kill switch, halt) stops its orders now, or
        None."""
        self.name = name
        self.symbols: tuple[Symbol, ...] = (Symbol(config.symbol),)
        self.config = config
        self._symbol = Symbol(config.symbol)
        self._tick = tick
        self._orders = orders
        self._clock = clock
        self._read_position = position
        self._stopping = False
        self.recalibration = Recalibration(name, config, blocked)
        self.position = Position(config.account, config.symbol)
        self.top: TopOfBook | None = None
        self.quotes: dict[Side, Quote | None] = {Side.BUY: None, Side.SELL: None}
        self.sent: Counter[str] = Counter()
        self.fills = 0

    @property
    def state(self) -> MakerState:
        """Quoting, idle after a refusal, or stopping."""
        if self._stopping:
            return MakerState.STOPPING
        return MakerState.IDLE if self.recalibration.idle is not None else MakerState.QUOTING

    @property
    def denials(self) -> Counter[DenialKind]:
        """Refusals by kind."""
        return self.recalibration.denials

    @property
    def in_a_row(self) -> int:
        """Refusals since an order sent after the last idle spell was accepted."""
        return self.recalibration.in_a_row

    @property
    def inventory(self) -> Decimal:
        """q: the signed position, shares."""
        return self.position.qty

    # -- the engine's calls (strategy.base.Strategy) ----------------------------------------------------

    def on_start(self, now_ns: int) -> Sequence[StrategyCommand]:
        """Start from the account's position in the book of record."""
        self._resync()
        return ()

    def on_top(self, top: TopOfBook) -> Sequence[StrategyCommand]:
        """Reprice on the latest top of book."""
        self.top = top
        if (mid := self.market_mid()) is not None:
            self.position.mark = mid
        return self._quote(self._clock.now_ns())

    def market_mid(self) -> Decimal | None:
        """The mid of the market without its own orders: the best bid and offer levels holding more than what it
        may have resting there itself (its quote, and the price a replace in flight moves it to). Its own quotes
        never move the price it quotes around (they would drag it along: skewed quotes at the touch set the mid,
        which sets the quotes)."""
        top = self.top
        if top is None:
            return None
        if not (top.bids or top.asks):
            return top.mid
        bid, ask = _past(top.bids, self._resting(Side.BUY)), _past(top.asks, self._resting(Side.SELL))
        if bid is None or ask is None or bid >= ask:
            return None
        return (bid + ask) / _TWO

    def on_report(self, report: ClientReport) -> Sequence[StrategyCommand]:
        """Fold a report into the quotes and the inventory, react to a refusal, then reprice."""
        now = self._clock.now_ns()
        side, quote = self._find(report.cl_ord_id)
        if isinstance(report, ExecutionReport) and report.exec_type is ExecType.TRADE and report.last_qty:
            self._fill(report)
        commands: list[StrategyCommand] = []
        if quote is not None and side is not None:
            epoch = quote.epoch
            commands += self._outcome(side, apply_report(quote, report), now, epoch)
        commands += self._quote(now)
        return commands

    def on_refused(self, command: StrategyCommand, text: str) -> Sequence[StrategyCommand]:
        """The gateway took no new order or replace (its book cannot commit): as a refusal, then back off."""
        side, quote = self._find(command.cl_ord_id)
        if quote is None or side is None:
            return ()
        closed = quote.status is QuoteStatus.PENDING_NEW
        if not closed:
            quote.request_done()
        outcome = Outcome(closed=closed, denial=DenialKind.UNAVAILABLE, text=text)
        return self._outcome(side, outcome, self._clock.now_ns(), quote.epoch)

    def on_timer(self, now_ns: int) -> Sequence[StrategyCommand]:
        """Resume when the wait is over or the control lifted; try the sides stopped for a probe."""
        self.recalibration.on_timer(now_ns)
        return self._quote(now_ns)

    def next_timer_ns(self) -> int | None:
        """The end of the idle wait (or the next look at the controls), and the probes of stopped sides."""
        return self.recalibration.next_timer_ns()

    def on_stop(self) -> None:
        """Send nothing more: the engine cancels whatever works."""
        self._stopping = True

    def done(self) -> bool:
        """Stopping, and no order of its own works any more."""
        return self.state is MakerState.STOPPING and not any(self.quotes.values())

    # -- deciding -----------------------------------------------------------------------------------------

    def _quote(self, now: int) -> list[StrategyCommand]:
        if self.state is not MakerState.QUOTING:
            return []
        mid = self.market_mid()
        if mid is None:  # nothing to price against: no quote stays out
            return [c for side in _SIDES if (c := self._cancel(side)) is not None]
        if self.recalibration.control(now):  # a control it can see: idle without a refused order
            return []
        cfg = self.config
        r = reservation_price(mid, self.inventory, self._tick, cfg.skew_ticks_per_lot, cfg.lot_qty)
        bid, ask = quote_prices(r, self._tick, cfg.half_spread_ticks)
        # The side moving away from the other goes first; the other waits for it rather than cross it.
        order = ((Side.SELL, ask), (Side.BUY, bid)) if self._rising(bid) else ((Side.BUY, bid), (Side.SELL, ask))
        return [cmd for side, price in order if (cmd := self._side(side, price, r, mid))]

    def _rising(self, bid: Decimal) -> bool:
        quote = self.quotes[Side.BUY]
        return quote is not None and bid > quote.price

    def _resting(self, side: Side) -> dict[Decimal, Decimal]:
        """Price -> what of its own may rest there on ``side``: its quote, and where a replace in flight moves it."""
        quote = self.quotes[side]
        if quote is None:
            return {}
        resting = {quote.price: quote.order_qty - quote.cum_qty}
        if quote.new_price is not None and quote.new_qty is not None:
            moved = quote.new_qty - quote.cum_qty
            resting[quote.new_price] = max(resting.get(quote.new_price, _ZERO), moved)
        return resting

    def _would_cross(self, side: Side, price: Decimal) -> bool:
        """``price`` on ``side`` would meet its own order on the other side, where it rests or is being moved to."""
        other = self.quotes[Side.SELL if side is Side.BUY else Side.BUY]
        if other is None:
            return False
        prices = [other.price] if other.new_price is None else [other.price, other.new_price]
        return price >= min(prices) if side is Side.BUY else price <= max(prices)

    def _side(self, side: Side, price: Decimal, r: Decimal, mid: Decimal) -> StrategyCommand | None:
        quote, size = self.quotes[side], self.config.size
        if quote is None:
            stopped = self.recalibration.stopped(side)
            if price <= _ZERO or stopped or not self._within(side, size) or self._would_cross(side, price):
                return None
            new = self._orders.new(self._symbol, side, size, price, decision_px=mid)  # TCA's decision price
            epoch = self.recalibration.epoch
            self.quotes[side] = Quote(side, new.cl_ord_id, price, new.order_qty, r, epoch=epoch)
            self.sent["new"] += 1
            return new
        if quote.status is not QuoteStatus.WORKING:
            return None  # one request at a time: the answer comes first
        if self.recalibration.stopped(side) or not self._within(side, quote.order_qty - quote.cum_qty):
            return self._cancel(side)
        if abs(r - quote.reservation) < self.config.requote_ticks * self._tick or price == quote.price:
            return None
        if price <= _ZERO or not self._within(side, size):  # moved, size would work again: beyond the cap
            return self._cancel(side)
        if self._would_cross(side, price):
            return None  # the other side moves away first; this one follows on its answer
        qty = quote.cum_qty + size  # OrderQty (38) counts what filled: size works again
        replace = self._orders.replace(quote.cl_ord_id, self._symbol, side, qty, price)
        quote.asked_replace(replace.cl_ord_id, qty, price, r)
        quote.epoch = self.recalibration.epoch
        self.sent["replace"] += 1
        return replace

    def _cancel(self, side: Side) -> StrategyCommand | None:
        quote = self.quotes[side]
        if quote is None or quote.status is not QuoteStatus.WORKING:
            return None
        cancel = self._orders.cancel(quote.cl_ord_id, self._symbol, side)
        quote.asked_cancel(cancel.cl_ord_id)
        self.sent["cancel"] += 1
        return cancel

    def _within(self, side: Side, qty: Decimal) -> bool:
        """A fill of ``qty`` on ``side`` keeps |inventory| within ``max_inventory``."""
        q, most = self.inventory, self.config.max_inventory
        return q + qty <= most if side is Side.BUY else q - qty >= -most

    # -- reports and refusals ------------------------------------------------------------------------------

    def _find(self, cl_ord_id: ClOrdId) -> tuple[Side | None, Quote | None]:
        for side, quote in self.quotes.items():
            if quote is not None and quote.matches(cl_ord_id):
                return side, quote
        return None, None

    def _fill(self, report: ExecutionReport) -> None:
        assert report.last_qty is not None and report.last_px is not None
        self.fills += 1
        if not self._orders.made(report.cl_ord_id):
            log.warning("%s: fill of %s, an order of an earlier run: inventory read again", self.name, report.cl_ord_id)
            self._resync()
            return
        self.position.apply_fill(report.side, report.last_qty, report.last_px)
        if (mid := self.market_mid()) is not None:
            self.position.mark = mid
        self.recalibration.filled(self.inventory)

    def _outcome(self, side: Side, outcome: Outcome, now: int, epoch: int) -> list[StrategyCommand]:
        if outcome.closed:
            self.quotes[side] = None
        if outcome.accepted:
            self.recalibration.accepted(side, epoch)
        if outcome.denial is not None:
            self.recalibration.refused(side, outcome.denial, outcome.text or "", now, self.inventory)
        return []

    def _resync(self) -> None:
        found = self._read_position()
        mark = self.position.mark
        self.position = Position(self.config.account, self.config.symbol)
        if found is not None:
            self.position.qty, self.position.avg_cost = found.qty, found.avg_cost
            self.position.realized_pnl, self.position.fees = found.realized_pnl, found.fees
        self.position.mark = mark

    # -- showing ----------------------------------------------------------------------------------------

    def status(self) -> dict[str, object]:
        """State, quotes, inventory, P&L, refusals by kind."""
        mid = self.market_mid()
        p = self.position
        return {
            "kind": "market_maker",
            "state": self.state.value,
            "symbol": self._symbol,
            "account": self.config.account,
            "bid": None if self.top is None or self.top.bid is None else str(self.top.bid),
            "ask": None if self.top is None or self.top.ask is None else str(self.top.ask),
            "mid": None if mid is None else str(mid),
            "quotes": {s.name.lower(): (q.json() if q is not None else None) for s, q in self.quotes.items()},
            "inventory": str(p.qty),
            "max_inventory": str(self.config.max_inventory),
            "avg_cost": str(p.avg_cost),
            "realized_pnl": str(p.realized_pnl),
            "unrealized_pnl": str(p.unrealized_pnl),
            "pnl": str(p.total_pnl),
            "fills": self.fills,
            "bought": str(p.bought_qty),
            "sold": str(p.sold_qty),
            "sent": dict(self.sent),
        } | self.recalibration.status()


def _past(levels: Sequence[Level], own: dict[Decimal, Decimal]) -> Decimal | None:
    """The best level's price that holds more than its own order there."""
    for price, size in levels:
        if size > own.get(price, _ZERO):
            return price
    return None
