"""VaR arithmetic against hand-computed two- and three-symbol books, the incremental updates against a full
recomputation, and the whole method against Monte Carlo estimates on generated returns."""

from __future__ import annotations

import math
import random
from decimal import Decimal

import pytest

from risk.limits import RiskLimits
from risk.portfolio import Portfolio
from risk.var import (
    EwmaCovariance,
    VarSettings,
    components,
    portfolio_variance,
    value_at_risk,
    variance_after,
)

D = Decimal
Z99 = 2.3263478740408408  # NormalDist().inv_cdf(0.99), in every table


def cov_of(vols: dict[str, float], corr: dict[tuple[str, str], float]) -> dict[str, dict[str, float]]:
    """S = D R D from volatilities and the correlations of each pair (either order)."""
    table: dict[str, dict[str, float]] = {a: {} for a in vols}
    for a in vols:
        for b in vols:
            rho = 1.0 if a == b else corr.get((a, b), corr.get((b, a), 0.0))
            table[a][b] = rho * vols[a] * vols[b]
    return table


# Two symbols: A long 1,000,000 at 2 % a day, B short 500,000 at 3 % a day, correlation 0.6.
#   S_AA = 0.0004, S_BB = 0.0009, S_AB = 0.6 x 0.02 x 0.03 = 0.00036
#   w'Sw = 1e12 x 0.0004 + 2.5e11 x 0.0009 + 2 x 1e6 x (-5e5) x 0.00036 = 4e8 + 2.25e8 - 3.6e8 = 2.65e8
#   sigma = 16278.8206; VaR(99 %) = 2.3263479 x 16278.8206 = 37870.20
#   (S w)_A = 400 - 180 = 220, (S w)_B = 360 - 450 = -90: components 2.2e8 / sigma x z = 31439.41 and
#   (-5e5 x -90) / sigma x z = 4.5e7 / sigma x z = 6430.79 (the short hedges, but B's own risk still adds)
TWO_W = {"A": 1_000_000.0, "B": -500_000.0}
TWO_S = cov_of({"A": 0.02, "B": 0.03}, {("A", "B"): 0.6})

# Three symbols: 100k, 200k, -150k at 1 %, 2 %, 1.5 %; correlations 0.5 (1, 2), 0.2 (1, 3), -0.3 (2, 3).
#   S_11 = 1e-4, S_22 = 4e-4, S_33 = 2.25e-4, S_12 = 1e-4, S_13 = 3e-5, S_23 = -9e-5
#   (S w) = (10 + 20 - 4.5, 10 + 80 + 13.5, 3 - 18 - 33.75) = (25.5, 103.5, -48.75)
#   w'Sw = 2.55e6 + 2.07e7 + 7.3125e6 = 3.05625e7; sigma = 5528.3361; VaR = 12860.83
#   components = w_i (S w)_i / sigma x z = 1073.05, 8710.65, 3077.13
THREE_W = {"X": 100_000.0, "Y": 200_000.0, "W": -150_000.0}
THREE_S = cov_of({"X": 0.01, "Y": 0.02, "W": 0.015}, {("X", "Y"): 0.5, ("X", "W"): 0.2, ("Y", "W"): -0.3})


def test_var_when_two_symbols_then_matches_the_hand_computation() -> None:
    variance = portfolio_variance(TWO_W, TWO_S)

    assert variance == pytest.approx(2.65e8, rel=1e-12)
    assert value_at_risk(variance, Z99) == pytest.approx(37870.20, abs=0.01)
    parts = components(TWO_W, TWO_S, Z99)
    assert parts == pytest.approx({"A": 31439.41, "B": 6430.79}, abs=0.01)
    assert sum(parts.values()) == pytest.approx(37870.20, abs=0.01)


def test_var_when_three_symbols_then_matches_the_hand_computation() -> None:
    variance = portfolio_variance(THREE_W, THREE_S)

    assert variance == pytest.approx(3.05625e7, rel=1e-12)
    assert value_at_risk(variance, Z99) == pytest.approx(12860.83, abs=0.01)
    parts = components(THREE_W, THREE_S, Z99)
    assert parts == pytest.approx({"X": 1073.05, "Y": 8710.65, "W": 3077.13}, abs=0.01)
    assert sum(parts.values()) == pytest.approx(12860.83, abs=0.01)


@pytest.mark.parametrize("symbol", ["X", "Y", "W"])
@pytest.mark.parametrize("delta", [50_000.0, -400_000.0])
def test_variance_after_when_one_value_moves_then_equals_the_full_recomputation(symbol: str, delta: float) -> None:
    u = sum(THREE_S[symbol][b] * w for b, w in THREE_W.items())
    moved = THREE_W | {symbol: THREE_W[symbol] + delta}

    after = variance_after(portfolio_variance(THREE_W, THREE_S), u, THREE_S[symbol][symbol], delta)

    assert after == pytest.approx(portfolio_variance(moved, THREE_S), rel=1e-12)


def test_settings_when_default_then_z_is_the_99_percent_quantile() -> None:
    assert VarSettings().z == pytest.approx(Z99, abs=1e-9)
    assert VarSettings(confidence=0.95).z == pytest.approx(1.644854, abs=1e-6)


def fallback_portfolio() -> Portfolio:
    """Every symbol without history: 2 % a day, correlation 0.6 (the two-symbol example with equal vols)."""
    settings = VarSettings(fallback_vol=0.02, fallback_correlation=0.6, min_samples=1_000)
    return Portfolio(RiskLimits(var=settings), {})


def test_portfolio_when_fills_then_running_variance_matches_the_hand_computation() -> None:
    # A 10,000 x 100 = 1e6 long, B 5,000 x 100 = 5e5 short, both at 2 % with correlation 0.6:
    #   4e8 + 2.5e11 x 0.0004 - 2 x 1e6 x 5e5 x 0.6 x 0.0004 = 4e8 + 1e8 - 2.4e8 = 2.6e8; VaR = 37511.23
    p = fallback_portfolio()

    p.on_fill("ACCT1", "A", D(10_000), D(100))
    p.on_fill("ACCT1", "B", D(-5_000), D(100))

    book = p.books["ACCT1"]
    assert book.variance == pytest.approx(2.6e8, rel=1e-9)
    assert p.var(book) == pytest.approx(37511.23, abs=0.01)
    assert (book.gross, book.net, book.long, book.short) == (D(1_500_000), D(500_000), D(1_000_000), D(-500_000))
    assert sum(r["component_var"] for r in p.breakdown(book)) == pytest.approx(37511.23, abs=0.02)


def test_portfolio_when_two_accounts_then_the_firm_holds_both() -> None:
    p = fallback_portfolio()

    p.on_fill("ACCT1", "A", D(10_000), D(100))
    p.on_fill("ACCT2", "A", D(-4_000), D(100))

    assert p.firm.legs["A"].qty == 6_000
    assert p.firm.net == D(600_000)
    assert p.var(p.firm) == pytest.approx(Z99 * 600_000 * 0.02, rel=1e-9)


def test_portfolio_when_marks_move_then_incremental_figures_equal_a_rebuild() -> None:
    rng = random.Random(7)
    p = Portfolio(RiskLimits(var=VarSettings(min_samples=5, interval_ms=1000)), {})
    mids = {"A": 100.0, "B": 50.0, "C": 20.0}
    for step in range(40):
        mids = {s: m * math.exp(rng.gauss(0, 0.001)) for s, m in mids.items()}
        p.on_marks(step * 1_000_000_000, {s: D(f"{m:.4f}") for s, m in mids.items()})
        symbol = rng.choice("ABC")
        p.on_fill("ACCT1", symbol, D(rng.randrange(-500, 500)), D(f"{mids[symbol]:.4f}"))
    book = p.books["ACCT1"]
    running = (book.variance, {s: leg.u for s, leg in book.legs.items()})

    p.refresh()
    p._rebuild(book)  # from scratch

    assert running[0] == pytest.approx(book.variance, rel=1e-9)
    assert running[1] == pytest.approx({s: leg.u for s, leg in book.legs.items()}, rel=1e-9)
    values = {s: leg.value_f for s, leg in book.legs.items()}
    assert book.variance == pytest.approx(portfolio_variance(values, p.cov), rel=1e-9)


def _normal_draws(rng: random.Random, cov: dict[str, dict[str, float]], n: int) -> list[dict[str, float]]:
    """``n`` draws of N(0, cov) by the Cholesky factor of ``cov``."""
    names = list(cov)
    lower = [[0.0] * len(names) for _ in names]
    for i, a in enumerate(names):
        for j in range(i + 1):
            rest = sum(lower[i][k] * lower[j][k] for k in range(j))
            b = names[j]
            lower[i][j] = math.sqrt(cov[a][a] - rest) if i == j else (cov[a][b] - rest) / lower[j][j]
    draws = []
    for _ in range(n):
        e = [rng.gauss(0.0, 1.0) for _ in names]
        draws.append({a: sum(lower[i][k] * e[k] for k in range(i + 1)) for i, a in enumerate(names)})
    return draws


def test_var_when_compared_with_monte_carlo_then_within_two_and_a_half_percent() -> None:
    """The 1 % quantile of 100,000 simulated one-day P&Ls of the three-symbol book. Its standard error is about
    0.5 % of the VaR (sqrt(0.01 x 0.99 / n) / phi(z)), so 2.5 % is five standard errors."""
    draws = _normal_draws(random.Random(20261203), THREE_S, 100_000)
    pnl = sorted(sum(THREE_W[s] * r for s, r in draw.items()) for draw in draws)

    simulated = -pnl[len(pnl) // 100]

    assert simulated == pytest.approx(value_at_risk(portfolio_variance(THREE_W, THREE_S), Z99), rel=0.025)


def test_estimator_when_fed_generated_mids_then_recovers_vols_correlations_and_the_var() -> None:
    """20,000 one-second returns drawn from the three-symbol daily matrix scaled to a second (/ 23,400), as mids.
    With lambda 0.999 the estimate averages about 2,000 returns: a volatility's standard error is about 1.6 % and a
    correlation's about 0.02, so the tolerances (8 %, 0.1, and 8 % on the VaR) are four to five of them."""
    settings = VarSettings(interval_ms=1000, min_samples=120)
    per_second = {a: {b: v / settings.intervals_per_day for b, v in row.items()} for a, row in THREE_S.items()}
    estimator = EwmaCovariance(settings)
    mids = {"X": 100.0, "Y": 50.0, "W": 20.0}
    estimator.observe(0, mids)
    for step, draw in enumerate(_normal_draws(random.Random(42), per_second, 20_000), start=1):
        mids = {s: m * math.exp(draw[s]) for s, m in mids.items()}
        estimator.observe(step * 1_000_000_000, mids)

    assert estimator.daily_vol("X") == pytest.approx(0.01, rel=0.08)
    assert estimator.daily_vol("Y") == pytest.approx(0.02, rel=0.08)
    assert estimator.daily_vol("W") == pytest.approx(0.015, rel=0.08)
    assert estimator.correlation("X", "Y") == pytest.approx(0.5, abs=0.1)
    assert estimator.correlation("X", "W") == pytest.approx(0.2, abs=0.1)
    assert estimator.correlation("Y", "W") == pytest.approx(-0.3, abs=0.1)
    estimated = value_at_risk(portfolio_variance(THREE_W, estimator.matrix(THREE_W)), Z99)
    assert estimated == pytest.approx(12860.83, rel=0.08)


def test_estimator_when_history_short_or_quiet_then_fallback_and_floor() -> None:
    settings = VarSettings(min_samples=10, fallback_vol=0.04, floor=0.01, fallback_correlation=0.3)
    estimator = EwmaCovariance(settings)
    for step in range(5):
        estimator.observe(step * 1_000_000_000, {"A": 100.0, "B": 100.0 + step})
    assert estimator.daily_vol("A") == 0.04  # 4 returns < min_samples
    assert estimator.correlation("A", "B") == 0.3
    for step in range(5, 20):
        estimator.observe(step * 1_000_000_000, {"A": 100.0, "B": 100.0 + step % 2})

    assert estimator.daily_vol("A") == 0.01  # a mid that never moves: the floor
    assert estimator.daily_vol("B") > 0.01


def test_estimator_when_a_sample_is_late_then_no_return_spans_the_gap() -> None:
    estimator = EwmaCovariance(VarSettings(interval_ms=1000))
    estimator.observe(0, {"A": 100.0})
    estimator.observe(1_000_000_000, {"A": 101.0})
    estimator.observe(5_000_000_000, {"A": 150.0})  # four intervals later: a new start, not a return
    estimator.observe(6_000_000_000, {"B": 10.0})  # A has no mid: its next return starts again too
    estimator.observe(7_000_000_000, {"A": 151.0, "B": 10.0})

    assert (estimator.samples("A"), estimator.samples("B")) == (1, 1)
