"""The live TCA engine: per-fill slippage, fee and markout at t + h (the ASOF mid, no timer), reject rates, the
rolling window, and the scores it publishes on the bus."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.bus import MessageBus
from domain.channels import MIDS, ORDER_UPDATES, VENUE_SCORES
from domain.enums import OrdStatus, Side
from domain.events import OrderUpdated
from domain.ids import Account, OrderId, SessionKey, Symbol, VenueId
from domain.tca import MidObserved, VenueScore
from tca.live import LiveSettings, LiveTca

MSFT = Symbol("MSFT")
A, B = VenueId("POOL_A"), VenueId("POOL_B")
H = 1_000_000  # 1 ms horizon
T0 = 1_000_000_000


class Harness:
    def __init__(self, window: int = 10, penalty: str = "10") -> None:
        self.bus = MessageBus()
        settings = LiveSettings(
            symbols=frozenset({"MSFT"}),
            venues=frozenset({A, B}),
            window=window,
            horizon_ns=H,
            reject_penalty_bps=Decimal(penalty),
        )
        self.tca = LiveTca(self.bus, settings)
        self.published: list[VenueScore] = []
        self.bus.subscribe(VENUE_SCORES, self.published.append)

    def mid(self, mid: str, ts: int, venue: VenueId | None = A, symbol: Symbol = MSFT) -> None:
        self.bus.publish(MIDS, MidObserved(venue=venue, symbol=symbol, mid=Decimal(mid), ts_ns=ts))

    def order(
        self,
        order_id: str,
        outcome: OrdStatus,
        ts: int,
        *,
        venue: VenueId = A,
        side: Side = Side.BUY,
        fill: tuple[str, str] | None = None,
        fee: str = "0",
        arrival: tuple[str, str] | None = ("99.99", "100.01"),
        symbol: Symbol = MSFT,
    ) -> None:
        """Routed (Pending New), then answered with ``outcome`` (and ``fill`` = (qty, px)), both at ``ts``."""
        for status, last in ((OrdStatus.PENDING_NEW, None), (outcome, fill)):
            self.bus.publish(
                ORDER_UPDATES,
                OrderUpdated(
                    order_id=OrderId(order_id),
                    session=SessionKey("S"),
                    account=Account("ACCT1"),
                    symbol=symbol,
                    side=side,
                    price=None,
                    leaves_qty=Decimal(0),
                    last_qty=Decimal(last[0]) if last else None,
                    last_px=Decimal(last[1]) if last else None,
                    fee=Decimal(fee) if last else Decimal(0),
                    ts_ns=ts,
                    venue=venue,
                    status=status,
                    arrival_bid=Decimal(arrival[0]) if arrival else None,
                    arrival_ask=Decimal(arrival[1]) if arrival else None,
                ),
            )

    def score(self, venue: VenueId = A) -> VenueScore:
        return self.tca.scores[venue, MSFT]


def test_fill_when_horizon_passes_then_marked_out_against_the_mid_in_force_at_t_plus_h() -> None:
    h = Harness()
    h.mid("100.00", T0 - 5)
    h.order("O1", OrdStatus.FILLED, T0, side=Side.SELL, fill=("100", "99.99"))
    h.mid("100.02", T0 + H // 2)  # in force at t + h: the sell is marked against it
    assert h.tca.pending() == 1
    h.mid("100.50", T0 + 2 * H)  # the first message after t + h marks the fill out, with the mid before it

    score = h.score()
    assert h.tca.pending() == 0
    # sell: slippage -(99.99 - 100.00)/100.00 = +1 bp; markout -(100.02 - 99.99)/99.99 = -3.00030003 bp
    assert (score.slippage_bps, score.markout_bps, score.fee_bps) == (Decimal("1"), Decimal("-3.0003"), Decimal(0))
    assert (score.cost_bps, score.n, score.fills, score.reject_rate) == (Decimal("4.0003"), 1, 1, Decimal(0))
    assert score.label == "POOL_A 4.0 bps"
    assert h.published[-1] == score


def test_fill_when_fee_then_its_bps_of_the_fill_value_add_to_the_cost() -> None:
    h = Harness()
    h.mid("100.00", T0)
    h.order("O1", OrdStatus.FILLED, T0, fill=("200", "100.00"), fee="0.6", arrival=("99.98", "100.02"))
    h.mid("100.01", T0 + 2 * H)

    score = h.score()
    # fee 0.6 / 20000 = 0.3 bp; slippage 0; markout at 100.00 (the mid in force at t + h) 0
    assert (score.fee_bps, score.slippage_bps, score.markout_bps, score.cost_bps) == (
        Decimal("0.3"),
        Decimal(0),
        Decimal(0),
        Decimal("0.3"),
    )


def test_markout_when_venue_has_no_mid_then_consolidated_mid_used() -> None:
    h = Harness()
    h.mid("100.04", T0, venue=None)
    h.order("O1", OrdStatus.FILLED, T0, venue=B, fill=("100", "100.01"))
    h.mid("100.00", T0 + 2 * H, venue=None)

    assert h.score(B).markout_bps == Decimal("2.9997")  # (100.04 - 100.01) / 100.01


def test_markout_when_venue_has_own_mid_then_it_wins_over_consolidated() -> None:
    h = Harness()
    h.mid("100.04", T0, venue=None)
    h.mid("99.98", T0, venue=A)
    h.order("O1", OrdStatus.FILLED, T0, fill=("100", "100.01"))
    h.order("O2", OrdStatus.NEW, T0 + 2 * H)  # an order update after t + h marks out too

    assert h.score().markout_bps == Decimal("-2.9997")


def test_fill_when_no_arrival_quote_then_no_slippage_term() -> None:
    h = Harness()
    h.mid("100.00", T0)
    h.order("O1", OrdStatus.FILLED, T0, fill=("100", "100.01"), arrival=None)
    h.mid("100.00", T0 + 2 * H, venue=None)

    score = h.score()
    assert (score.slippage_bps, score.markout_bps, score.cost_bps) == (None, Decimal("-0.9999"), Decimal("0.9999"))


def test_fill_when_no_mid_at_all_then_unmarked_and_not_counted() -> None:
    h = Harness()
    h.order("O1", OrdStatus.FILLED, T0, fill=("100", "100.01"))
    h.order("O2", OrdStatus.NEW, T0 + 2 * H)

    assert (h.tca.unmarked, h.score().fills, h.score().cost_bps) == (1, 0, None)


def test_rejects_when_some_answers_are_rejects_then_rate_times_penalty_added() -> None:
    h = Harness(penalty="10")
    h.mid("100.00", T0)
    h.order("O1", OrdStatus.FILLED, T0, fill=("100", "100.00"), arrival=("99.99", "100.01"))
    h.order("O2", OrdStatus.REJECTED, T0)
    h.order("O3", OrdStatus.NEW, T0)
    h.order("O4", OrdStatus.REJECTED, T0)
    h.mid("100.00", T0 + 2 * H, venue=None)

    score = h.score()
    assert (score.n, score.reject_rate, score.cost_bps) == (4, Decimal("0.5"), Decimal("5"))


def test_rejects_when_venue_rejects_everything_then_cost_is_the_penalty() -> None:
    h = Harness(penalty="25")
    for i in range(3):
        h.order(f"O{i}", OrdStatus.REJECTED, T0)

    assert (h.score().n, h.score().cost_bps, h.score().fills) == (3, Decimal(25), 0)


def test_window_when_full_then_oldest_fill_and_answer_leave() -> None:
    h = Harness(window=2)
    h.mid("100.00", T0)
    for i, px in enumerate(("100.05", "100.01", "100.02")):  # slippage 5, 1, 2 bp; markout -5, -1, -2 (approx)
        h.order(f"O{i}", OrdStatus.FILLED, T0 + i * 10 * H, fill=("100", px))
    h.mid("100.00", T0 + 100 * H, venue=None)

    score = h.score()
    assert (score.n, score.fills, score.slippage_bps) == (2, 2, Decimal("1.5"))
    # (-0.999900 - 1.999600) / 2 = -1.49975, to 4 places (half even)
    assert score.markout_bps == Decimal("-1.4998")


def test_updates_when_other_symbol_unscored_venue_or_unrouted_then_ignored() -> None:
    h = Harness()
    h.mid("100.00", T0)
    h.order("O1", OrdStatus.FILLED, T0, symbol=Symbol("IBM"), fill=("100", "100.01"))
    h.order("O2", OrdStatus.FILLED, T0, venue=VenueId("VENUE"), fill=("100", "100.01"))

    assert (h.tca.pending(), h.tca.scores, h.published) == (0, {}, [])


@pytest.mark.parametrize("seed", [1, 2])
def test_engine_when_same_messages_then_same_scores(seed: int) -> None:
    def run() -> list[VenueScore]:
        h = Harness(window=5)
        px = Decimal("100.00")
        for i in range(40):
            step = Decimal((i * 7 + seed) % 5 - 2) / 100
            h.mid(str(px + step), T0 + i * 3 * H, venue=A if i % 2 else B)
            outcome = OrdStatus.REJECTED if (i + seed) % 6 == 0 else OrdStatus.FILLED
            h.order(f"O{i}", outcome, T0 + i * 3 * H + 1, venue=B if i % 3 else A, fill=("100", str(px + step)))
        return h.published

    assert run() == run()


def test_publish_when_fills_fall_due_together_or_answer_changes_nothing_then_one_score_or_none() -> None:
    h = Harness(window=2)
    h.mid("100.00", T0)
    h.order("O1", OrdStatus.NEW, T0)
    h.order("O2", OrdStatus.NEW, T0)  # the window of answers is full from here
    published = len(h.published)
    h.order("O3", OrdStatus.FILLED, T0, fill=("100", "100.01"))  # full window, no reject in or out: no new score
    h.order("O4", OrdStatus.FILLED, T0, fill=("100", "100.02"))
    assert len(h.published) == published

    h.mid("100.00", T0 + 2 * H, venue=None)  # both fills marked out at once: one score

    assert len(h.published) == published + 1
    assert h.published[-1].fills == 2
