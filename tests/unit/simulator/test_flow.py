"""The seeded flow generator: the same seed gives the same flow; the fair value is a random walk of the configured
volatility; takers arrive as a Poisson process of the configured rate, with sizes uniform on the lot."""

from __future__ import annotations

import dataclasses
import math
import statistics
from collections import Counter
from decimal import Decimal
from itertools import pairwise

from domain.enums import Side
from simulator.flow import FlowParams, FlowStep, SymbolFlow

PARAMS = FlowParams(
    seed=17,
    step_ms=100,
    vol_bps_per_sqrt_s=20.0,
    taker_rate_per_s=3.0,
    taker_min_qty=Decimal(100),
    taker_max_qty=Decimal(500),
    taker_lot=Decimal(100),
    tick=Decimal("0.01"),
    depth=5,
)
STEPS = 20_000


def run(params: FlowParams = PARAMS, symbol: str = "MSFT", steps: int = 200) -> list[FlowStep]:
    flow = SymbolFlow(symbol, Decimal("100.00"), params)
    return [flow.step() for _ in range(steps)]


def test_flow_when_same_seed_then_same_fair_values_and_takers() -> None:
    assert run() == run()


def test_flow_when_other_seed_or_symbol_then_another_flow() -> None:
    assert run() != run(dataclasses.replace(PARAMS, seed=18))
    assert [s.fair for s in run()] != [s.fair for s in run(symbol="AAPL")]


def test_flow_when_other_symbols_run_alongside_then_each_symbol_flow_unchanged() -> None:
    alone = run(symbol="IBM")
    flows = [SymbolFlow(s, Decimal("100.00"), PARAMS) for s in ("MSFT", "IBM", "AAPL")]
    together = [[f.step() for f in flows][1] for _ in range(200)]
    assert together == alone


def test_fair_value_when_stepped_then_relative_changes_have_the_configured_volatility() -> None:
    flow = SymbolFlow("MSFT", Decimal("100.00"), PARAMS)
    values = [flow.value]
    for _ in range(STEPS):
        flow.step()
        values.append(flow.value)
    changes = [b / a - 1 for a, b in pairwise(values)]
    expected = PARAMS.vol_bps_per_sqrt_s / 10_000 * math.sqrt(PARAMS.step_s)
    # The standard error of a sample standard deviation is sigma/sqrt(2n): 0.5% here; 4% is 8 of them.
    assert abs(statistics.pstdev(changes) / expected - 1) < 0.04
    assert abs(statistics.fmean(changes)) < 4 * expected / math.sqrt(STEPS)  # no drift
    # Independent steps: the lag-1 autocorrelation of a random walk's increments is ~0 (standard error 1/sqrt(n)).
    mean = statistics.fmean(changes)
    lagged = sum((a - mean) * (b - mean) for a, b in pairwise(changes))
    assert abs(lagged / (statistics.pvariance(changes) * STEPS)) < 4 / math.sqrt(STEPS)


def test_fair_value_when_stepped_then_it_is_the_walk_rounded_to_the_tick() -> None:
    flow = SymbolFlow("MSFT", Decimal("100.00"), PARAMS)
    for _ in range(2_000):
        step = flow.step()
        assert step.fair == flow.fair and step.fair % PARAMS.tick == 0
        assert abs(float(step.fair) - flow.value) <= float(PARAMS.tick) / 2 + 1e-9


def test_fair_value_when_no_volatility_then_it_stays_put() -> None:
    steps = run(dataclasses.replace(PARAMS, vol_bps_per_sqrt_s=0.0))
    assert {s.fair for s in steps} == {Decimal("100.00")}


def test_fair_value_when_near_zero_then_held_above_the_ladder_depth() -> None:
    flow = SymbolFlow("MSFT", Decimal("0.02"), PARAMS)
    assert flow.fair == Decimal("0.06")  # depth 5: the lowest house bid stays at one tick


def test_takers_when_stepped_then_poisson_arrivals_at_the_configured_rate() -> None:
    steps = run(steps=STEPS)
    counts = [len(s.takers) for s in steps]
    mean = PARAMS.taker_rate_per_s * PARAMS.step_s * STEPS  # 6,000; a Poisson count's sd is its square root
    assert abs(sum(counts) - mean) < 4 * math.sqrt(mean)
    # Poisson, not a metronome: P(no arrival in a step) = exp(-rate * dt); its sd over n steps is ~0.3% here.
    idle = counts.count(0) / STEPS
    assert abs(idle - math.exp(-PARAMS.taker_rate_per_s * PARAMS.step_s)) < 0.015
    assert max(counts) >= 3


def test_takers_when_stepped_then_sizes_uniform_on_the_lot_and_sides_even() -> None:
    takers = [t for s in run(steps=STEPS) for t in s.takers]
    sizes = Counter(t.qty for t in takers)
    assert set(sizes) == {Decimal(q) for q in (100, 200, 300, 400, 500)}
    for count in sizes.values():  # ~1,200 each, sd ~31
        assert abs(count / len(takers) - 0.2) < 0.025
    buys = sum(t.side is Side.BUY for t in takers)
    assert abs(buys / len(takers) - 0.5) < 0.03
    assert {t.symbol for t in takers} == {"MSFT"}


def test_takers_when_rate_is_zero_then_none_arrive() -> None:
    assert all(not s.takers for s in run(dataclasses.replace(PARAMS, taker_rate_per_s=0.0)))
