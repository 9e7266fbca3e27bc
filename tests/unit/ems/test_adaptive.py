"""Adaptive routing in the router: trust after min_samples, the best score wins, hysteresis, deterministic
exploration, the reason of every decision, and the precedence account > symbol > adaptive > default."""

from __future__ import annotations

from decimal import Decimal

from domain.ids import Account, Symbol, VenueId
from domain.tca import VenueScore
from ems.adaptive import AdaptivePolicy, AdaptiveRouter
from ems.router import Router
from tests.factories import new_order

MSFT = Symbol("MSFT")
A, B, C = VenueId("POOL_A"), VenueId("POOL_B"), VenueId("POOL_C")


def policy(venues: tuple[VenueId, ...] = (A, B), **overrides: object) -> AdaptivePolicy:
    fields: dict[str, object] = {
        "symbols": frozenset({"MSFT"}),
        "venues": venues,
        "min_samples": 30,
        "hysteresis_bps": Decimal("0.5"),
        "explore_every": 10,
    }
    return AdaptivePolicy(**(fields | overrides))  # type: ignore[arg-type]


def score(venue: VenueId, cost: str | None, n: int) -> VenueScore:
    value = Decimal(cost) if cost is not None else None
    label = f"{venue} {value.quantize(Decimal('0.1')) if value is not None else '?'} bps"
    return VenueScore(
        venue=venue,
        symbol=MSFT,
        cost_bps=value,
        n=n,
        fills=n,
        slippage_bps=None,
        fee_bps=None,
        markout_bps=None,
        reject_rate=Decimal(0),
        ts_ns=1,
        label=label,
    )


def decisions(router: AdaptiveRouter, count: int) -> list[VenueId | None]:
    return [router.decide(MSFT).venue for _ in range(count)]


def test_decide_when_trusted_then_cheapest_wins_with_reason() -> None:
    router = AdaptiveRouter(policy(), static=A)
    router.on_score(score(A, "0.8", 120))
    router.on_score(score(B, "2.4", 115))

    assert router.decide(MSFT) == (A, "adaptive: POOL_A 0.8 bps < POOL_B 2.4 bps (n=120/115)")


def test_decide_when_a_venue_below_min_samples_then_default_and_explore_to_least_sampled() -> None:
    router = AdaptiveRouter(policy(), static=B)
    router.on_score(score(A, "0.1", 3))
    router.on_score(score(B, "5.0", 40))

    routes = [router.decide(MSFT) for _ in range(10)]

    assert [r.venue for r in routes] == [B] * 9 + [A]
    assert routes[0].reason == "adaptive warm-up (POOL_A n=3 < 30): default POOL_B"
    assert routes[9].reason == "adaptive explore (warm-up: POOL_A n=3 < 30)"
    assert router.incumbent(MSFT) is None


def test_decide_when_no_score_or_no_cost_yet_then_warm_up() -> None:
    router = AdaptiveRouter(policy(), static=B)
    assert router.decide(MSFT).reason == "adaptive warm-up (POOL_A n=0 < 30): default POOL_B"

    router.on_score(score(A, None, 50))  # answered, but no fill marked out yet
    router.on_score(score(B, "1", 50))

    assert router.decide(MSFT) == (B, "adaptive warm-up (POOL_A n=0 < 30): default POOL_B")


def test_decide_when_warm_up_ends_then_static_venue_holds_until_beaten_by_more_than_hysteresis() -> None:
    router = AdaptiveRouter(policy(explore_every=0), static=B)
    router.on_score(score(A, "1.6", 30))
    router.on_score(score(B, "2.0", 30))

    held = router.decide(MSFT)
    router.on_score(score(A, "1.4", 31))
    switched = router.decide(MSFT)
    router.on_score(score(B, "1.2", 31))
    kept = router.decide(MSFT)  # B is now cheaper, but by 0.2 bps only

    assert held == (B, "adaptive: POOL_B 2.0 bps held, POOL_A 1.6 bps within 0.5 bps (n=30/30)")
    assert switched == (A, "adaptive: POOL_A 1.4 bps < POOL_B 2.0 bps (n=31/30)")
    assert kept.venue == A
    assert router.incumbent(MSFT) == A


def test_decide_when_explore_every_k_then_kth_orders_go_to_runner_up() -> None:
    router = AdaptiveRouter(policy(explore_every=4), static=A)
    router.on_score(score(A, "0.5", 30))
    router.on_score(score(B, "3.0", 30))

    routes = [router.decide(MSFT) for _ in range(12)]

    assert [r.venue for r in routes] == [A, A, A, B] * 3
    assert routes[3].reason == "adaptive explore: POOL_B 3.0 bps (incumbent POOL_A 0.5 bps) (n=30/30)"


def test_decide_when_three_venues_then_exploration_takes_the_others_in_turn() -> None:
    router = AdaptiveRouter(policy((A, B, C), explore_every=2), static=A)
    for venue, cost in ((A, "0.5"), (B, "1.0"), (C, "2.0")):
        router.on_score(score(venue, cost, 30))

    assert decisions(router, 8) == [A, B, A, C, A, B, A, C]


def test_decide_when_same_scores_and_orders_then_same_decisions() -> None:
    def run() -> list[tuple[VenueId | None, str]]:
        router = AdaptiveRouter(policy(explore_every=3), static=B)
        out = []
        for i in range(60):
            router.on_score(score(A, str(Decimal(i % 7) / 2), 20 + i))
            router.on_score(score(B, str(Decimal(i % 5) / 2), 25 + i))
            out.append(tuple(router.decide(MSFT)))
        return out  # type: ignore[return-value]

    assert run() == run()


def test_router_when_rules_and_adaptive_then_account_symbol_adaptive_default_in_that_order() -> None:
    router = Router(
        {"IBM": VenueId("VENUE")}, VenueId("VENUE"), {"ACCT2": VenueId("POOL")}, policy(symbols=frozenset({"MSFT"}))
    )
    assert router.adaptive is not None
    router.on_score(score(A, "0.5", 30))
    router.on_score(score(B, "3.0", 30))

    assert router.route(new_order(account=Account("ACCT2"), symbol=MSFT)) == ("POOL", "account rule ACCT2: POOL")
    assert router.route(new_order(symbol=Symbol("IBM"))) == ("VENUE", "symbol rule IBM: VENUE")
    assert router.route(new_order(symbol=MSFT)).venue == A
    assert router.route(new_order(symbol=Symbol("AAPL"))) == ("VENUE", "default: VENUE")


def test_router_when_no_adaptive_symbols_then_static_only_and_scores_ignored() -> None:
    router = Router({}, VenueId("VENUE"), {}, policy(symbols=frozenset()))
    router.on_score(score(A, "0.5", 30))

    assert router.adaptive is None
    assert router.route(new_order(symbol=MSFT)) == ("VENUE", "default: VENUE")


def test_on_score_when_other_symbol_or_venue_then_ignored() -> None:
    router = AdaptiveRouter(policy(), static=A)
    router.on_score(score(C, "0.1", 99))

    assert router.scores() == {"MSFT": []}
