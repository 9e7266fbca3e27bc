"""The live TCA engine: rolling per-venue, per-symbol costs from fills and mids, published as venue scores.

Theory of operation. The engine follows two topics on the bus, so it runs on the domain's thread, in the bus's
order, with no lock and no SQL of its own: ``ORDER_UPDATES`` (the OMS's view of each order after a change: where it
was routed, its status, the fill that changed it and the arrival quote) and ``MIDS`` (each book's mid as it changes,
per venue and consolidated). What it makes goes out on ``VENUE_SCORES``, which the EMS router follows.

Per fill, with s = +1 for a buy and -1 for a sell (the sign conventions of post-trade TCA, ``tca.measures``):

- slippage = s x (fill px - arrival mid) / arrival mid x 1e4 bps (positive = cost), the arrival mid being the
  consolidated quote when the OMS booked the order (none without one: the fill then counts without slippage);
- fee = commission / (qty x px) x 1e4 bps;
- markout(h) = s x (mid(t + h) - fill px) / fill px x 1e4 bps (positive = favourable), mid(t + h) being the mid in
  force at t + h (the ASOF mid, as post-trade TCA takes it). The fill's own venue's mid is used where the venue has
  a book, else the consolidated one: what happens at a venue after we trade there is what its own book shows, and
  the consolidated book has no mid at all while two venues' quotes cross. No timer: the mid in force at t + h is
  known at the first message (a mid or an order update) stamped after t + h, and the fill is marked out then, with
  the mid held just before that message.

A venue's cost in a symbol = the qty-weighted means of slippage + fee - markout over its last ``window`` marked-out
fills, + its reject rate over its last ``window`` answered orders x ``reject_penalty_bps`` (``tca.stats``).
"""

from __future__ import annotations

from collections import deque
from decimal import Decimal
from typing import Final

import msgspec

from domain.bus import MessageBus
from domain.channels import MIDS, ORDER_UPDATES, VENUE_SCORES
from domain.enums import OrdStatus, Side
from domain.events import OrderUpdated
from domain.ids import OrderId, Symbol, VenueId
from domain.tca import MidObserved, VenueScore
from tca.stats import BPS_QUANTUM, FillSample, VenueStats

_BPS: Final = Decimal(10_000)
_TWO: Final = Decimal(2)
_ZERO: Final = Decimal(0)


class LiveSettings(msgspec.Struct, frozen=True, kw_only=True):
    """The engine's side of ``[routing.adaptive]``."""

    symbols: frozenset[str]
    venues: frozenset[str]
    """The venues scored (the router's candidates); fills elsewhere are not followed."""
    window: int
    horizon_ns: int
    reject_penalty_bps: Decimal


class _Pending:
    """A fill waiting for the mid at t + h."""

    __slots__ = ("due_ns", "fee_bps", "px", "qty", "sign", "slippage_bps", "symbol", "venue")

    def __init__(
        self,
        venue: VenueId,
        symbol: Symbol,
        sign: int,
        qty: Decimal,
        px: Decimal,
        slippage_bps: Decimal | None,
        fee_bps: Decimal,
        due_ns: int,
    ) -> None:
        self.venue = venue
        self.symbol = symbol
        self.sign = sign
        self.qty = qty
        self.px = px
        self.slippage_bps = slippage_bps
        self.fee_bps = fee_bps
        self.due_ns = due_ns


class LiveTca:
    """Follow fills and mids; keep each (venue, symbol)'s window; publish its score when it changes."""

    def __init__(self, bus: MessageBus, settings: LiveSettings) -> None:
        self.settings = settings
        self._bus = bus
        self._mids: dict[tuple[VenueId | None, Symbol], Decimal] = {}
        self._pending: deque[_Pending] = deque()
        """Fills in the order they came, i.e. of their due time (one horizon for all)."""
        self._unanswered: dict[OrderId, VenueId] = {}
        """Orders routed to a scored venue that it has not answered yet."""
        self._stats: dict[tuple[VenueId, Symbol], VenueStats] = {}
        self.scores: dict[tuple[VenueId, Symbol], VenueScore] = {}
        """The latest score of each (venue, symbol)."""
        self.unmarked = 0
        """Fills dropped because no mid was known when their markout fell due."""
        bus.subscribe(ORDER_UPDATES, self.on_update)
        bus.subscribe(MIDS, self.on_mid)

    def on_mid(self, mid: MidObserved) -> None:
        """A book's mid changed."""
        if mid.symbol not in self.settings.symbols:
            return
        if self._pending:
            self._mark_out(mid.ts_ns)
        self._mids[mid.venue, mid.symbol] = mid.mid

    def on_update(self, update: OrderUpdated) -> None:
        """An order changed: an answer from its venue, a fill, or neither."""
        venue = update.venue
        if venue is None or update.symbol not in self.settings.symbols or venue not in self.settings.venues:
            return
        if self._pending:
            self._mark_out(update.ts_ns)
        status = update.status
        if status is OrdStatus.PENDING_NEW:
            self._unanswered.setdefault(update.order_id, venue)  # just routed
        elif self._unanswered.pop(update.order_id, None) is not None:
            self._answered(venue, update.symbol, status is OrdStatus.REJECTED, update.ts_ns)
        if update.last_qty and update.last_px:
            self._pending.append(self._fill(venue, update, update.last_qty, update.last_px))

    def pending(self) -> int:
        """Fills waiting for their markout."""
        return len(self._pending)

    def _answered(self, venue: VenueId, symbol: Symbol, rejected: bool, ts_ns: int) -> None:
        if self._stats_of(venue, symbol).add_answer(rejected):  # published only when the score changed
            self._publish(venue, symbol, ts_ns)

    def _fill(self, venue: VenueId, update: OrderUpdated, qty: Decimal, px: Decimal) -> _Pending:
        sign = 1 if update.side is Side.BUY else -1
        bid, ask = update.arrival_bid, update.arrival_ask
        slippage = None
        if bid is not None and ask is not None and bid < ask:
            arrival = (bid + ask) / _TWO
            slippage = (sign * (px - arrival) / arrival * _BPS).quantize(BPS_QUANTUM)
        fee = (update.fee / (qty * px) * _BPS).quantize(BPS_QUANTUM) if update.fee else _ZERO
        due = update.ts_ns + self.settings.horizon_ns
        return _Pending(venue, update.symbol, sign, qty, px, slippage, fee, due)

    def _mark_out(self, now_ns: int) -> None:
        """Mark out every fill whose t + h is before ``now_ns``, with the mids in force until now."""
        pending, mids = self._pending, self._mids
        changed: dict[tuple[VenueId, Symbol], None] = {}
        while pending and pending[0].due_ns < now_ns:
            fill = pending.popleft()
            mid = mids.get((fill.venue, fill.symbol)) or mids.get((None, fill.symbol))
            if mid is None:
                self.unmarked += 1
                continue
            markout = (fill.sign * (mid - fill.px) / fill.px * _BPS).quantize(BPS_QUANTUM)
            self._stats_of(fill.venue, fill.symbol).add_fill(
                FillSample(fill.qty, fill.slippage_bps, fill.fee_bps, markout)
            )
            changed[fill.venue, fill.symbol] = None
        for venue, symbol in changed:  # once per venue and symbol, however many fills fell due together
            self._publish(venue, symbol, now_ns)

    def _stats_of(self, venue: VenueId, symbol: Symbol) -> VenueStats:
        stats = self._stats.get((venue, symbol))
        if stats is None:
            stats = VenueStats(venue, symbol, self.settings.window, self.settings.reject_penalty_bps)
            self._stats[venue, symbol] = stats
        return stats

    def _publish(self, venue: VenueId, symbol: Symbol, ts_ns: int) -> None:
        score = self._stats[venue, symbol].score(ts_ns)
        self.scores[venue, symbol] = score
        self._bus.publish(VENUE_SCORES, score)
