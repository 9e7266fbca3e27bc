"""One-day parametric Value at Risk (variance-covariance) and the estimates it rests on.

Theory of operation. ``VaR = z x sqrt(w' S w)``: ``w`` is the vector of signed market values (quantity x mark, money),
``S`` the one-day covariance matrix of the symbols' returns, ``z`` the standard normal quantile of the confidence
(2.326 at 99 %). Each symbol's *component* ``w_i (S w)_i / sigma_p x z`` says how much of the VaR it carries; the
components sum to the VaR (Euler), and a hedge has a negative one.

``S`` is estimated from what the gateway already receives: the consolidated mid of each symbol, sampled once every
``interval_ms`` (the gateway's sampler, ``app.mark_sampler``). Each sample gives each symbol the log return of its
mid since the previous sample (only over one interval: after a gap the next sample starts again), and the
(co)variances are exponentially weighted means of the products of those returns (RiskMetrics: the mean return is
taken as zero, ``s <- lambda s + (1 - lambda) r_i r_j``), divided by the sum of the weights so far (``1 - lambda^n``)
so that a young estimate is not biased towards zero. A per-interval variance is scaled to one day by the number of
intervals in a trading day, ``trading_day_s x 1000 / interval_ms`` (square-root-of-time: returns taken as
independent from one interval to the next).

Then, per symbol: a daily volatility below ``floor`` is raised to it (a quiet book is not a riskless one), and a
symbol with fewer than ``min_samples`` returns gets ``fallback_vol``, with ``fallback_correlation`` to every other
symbol (as does any pair that has not been seen together ``min_samples`` times). ``S = D R D`` with ``D`` the
volatilities and ``R`` the correlations. Mixing floors and fallbacks can leave ``S`` slightly indefinite, so a
variance is clamped at zero before its square root.

Floats, not ``Decimal``: VaR is a statistical estimate (volatilities with a standard error of several per cent), not
money that must add up to the cent, and the pre-trade check needs it in a fraction of a microsecond.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from statistics import NormalDist
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field


class VarSettings(BaseModel):
    """``[risk.var]``: how VaR is estimated (the limits themselves are ``max_var`` in ``[risk.default]`` and
    ``[risk.accounts.<A>]``)."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_by_name=True, serialize_by_alias=True)

    confidence: Annotated[float, Field(gt=0.5, lt=1)] = 0.99
    """One-sided confidence of the one-day VaR: 0.99 gives z = 2.326."""
    decay: Annotated[float, Field(alias="lambda", gt=0, lt=1)] = 0.999
    """EWMA decay per sample (``lambda`` in the file). RiskMetrics' 0.94 is for daily returns (a memory of about 16
    days); at one sample a second it would forget in a minute. 0.999 is a half-life of about 11.5 minutes at 1 s
    samples, and averages about 1000 of them (a volatility known to a few per cent)."""
    interval_ms: Annotated[int, Field(ge=10, le=3_600_000)] = 1000
    """How often the mids are sampled: one return per symbol per interval."""
    trading_day_s: Annotated[int, Field(gt=0, le=86_400)] = 23_400
    """Length of the trading day the VaR horizon is (6.5 h: a US equity session): per-interval variances are
    multiplied by ``trading_day_s x 1000 / interval_ms``."""
    floor: Annotated[float, Field(ge=0, lt=10)] = 0.005
    """Lowest daily volatility any symbol is given (0.005: 0.5 % a day)."""
    fallback_vol: Annotated[float, Field(gt=0, lt=10)] = 0.03
    """Daily volatility of a symbol with fewer than ``min_samples`` returns (3 % a day)."""
    fallback_correlation: Annotated[float, Field(ge=-1, le=1)] = 1.0
    """Correlation of a pair without ``min_samples`` joint returns: 1 gives no diversification credit to a book of
    longs (nor of shorts) that the gateway cannot measure yet."""
    min_samples: Annotated[int, Field(ge=2, le=10_000_000)] = 120
    """Returns a symbol (and a pair) needs before its own estimate is used: two minutes at 1 s."""

    @property
    def z(self) -> float:
        """The standard normal quantile of ``confidence``."""
        return NormalDist().inv_cdf(self.confidence)

    @property
    def intervals_per_day(self) -> float:
        """How many sampling intervals a trading day has: the variance scale."""
        return self.trading_day_s * 1000 / self.interval_ms


class _Moment:
    """One exponentially weighted second moment and the weight it has gathered."""

    __slots__ = ("n", "sum", "weight")

    def __init__(self) -> None:
        self.sum = 0.0
        self.weight = 0.0
        self.n = 0


class EwmaCovariance:
    """Exponentially weighted (co)variances of the mids' log returns, one sample per interval."""

    def __init__(self, settings: VarSettings) -> None:
        self.settings = settings
        self._last: dict[str, float] = {}
        self._last_ns: int | None = None
        self._moments: dict[str, dict[str, _Moment]] = {}
        """Row ``a``, column ``b >= a`` (by name): the moment of the pair."""

    def observe(self, ts_ns: int, mids: Mapping[str, float]) -> None:
        """Take one sample of mids (symbols without a usable mid left out); returns count only over one interval."""
        interval_ns = self.settings.interval_ms * 1_000_000
        consecutive = self._last_ns is not None and 0 < ts_ns - self._last_ns <= interval_ns * 3 // 2
        returns: list[tuple[str, float]] = []
        if consecutive:
            last = self._last
            returns = [(s, math.log(m / last[s])) for s, m in mids.items() if m > 0 and s in last]
        self._last = {s: m for s, m in mids.items() if m > 0}
        self._last_ns = ts_ns
        self.add_returns(returns)

    def add_returns(self, returns: list[tuple[str, float]]) -> None:
        """Fold one interval's returns (symbol, log return) into every moment they share."""
        lam = self.settings.decay
        keep = 1.0 - lam
        moments = self._moments
        ordered = sorted(returns)  # so that each pair is (a, b) with a <= b: its row is a's
        for i, (a, ra) in enumerate(ordered):
            row = moments.get(a)
            if row is None:
                row = moments[a] = {}
            scaled = keep * ra
            for b, rb in ordered[i:]:
                m = row.get(b)
                if m is None:
                    m = row[b] = _Moment()
                m.sum = lam * m.sum + scaled * rb
                m.weight = lam * m.weight + keep
                m.n += 1

    def samples(self, symbol: str) -> int:
        """How many returns of ``symbol`` have been folded in."""
        m = self._moment(symbol, symbol)
        return m.n if m is not None else 0

    def _moment(self, a: str, b: str) -> _Moment | None:
        row = self._moments.get(a if a <= b else b)
        return row.get(b if a <= b else a) if row is not None else None

    def _estimate(self, a: str, b: str) -> tuple[float, int]:
        m = self._moment(a, b)
        return (m.sum / m.weight, m.n) if m is not None and m.weight > 0 else (0.0, 0)

    def daily_vol(self, symbol: str) -> float:
        """The daily volatility ``symbol`` is given: its estimate (at least ``floor``), or ``fallback_vol``."""
        s = self.settings
        variance, n = self._estimate(symbol, symbol)
        if n < s.min_samples:
            return s.fallback_vol
        return max(math.sqrt(variance * s.intervals_per_day), s.floor)

    def correlation(self, a: str, b: str) -> float:
        """The correlation of two symbols' returns (``fallback_correlation`` until both have ``min_samples``)."""
        if a == b:
            return 1.0
        s = self.settings
        covariance, n = self._estimate(a, b)
        var_a, n_a = self._estimate(a, a)
        var_b, n_b = self._estimate(b, b)
        if min(n, n_a, n_b) < s.min_samples or var_a <= 0 or var_b <= 0:
            return s.fallback_correlation
        return max(-1.0, min(1.0, covariance / math.sqrt(var_a * var_b)))

    def matrix(self, symbols: Iterable[str]) -> dict[str, dict[str, float]]:
        """The daily covariance matrix ``S = D R D`` of ``symbols`` (a full symmetric table).

        ``daily_vol`` and ``correlation`` of every pair, inlined: this runs once an interval over every symbol."""
        s = self.settings
        names = list(symbols)
        own = {a: self._estimate(a, a) for a in names}
        vols = {a: self.daily_vol(a) for a in names}
        known = {a for a in names if own[a][1] >= s.min_samples and own[a][0] > 0}
        table: dict[str, dict[str, float]] = {a: {} for a in names}
        fallback, floor_n = s.fallback_correlation, s.min_samples
        for i, a in enumerate(names):
            row_a, vol_a = table[a], vols[a]
            row_a[a] = vol_a * vol_a
            for b in names[i + 1 :]:
                rho = fallback
                if a in known and b in known:
                    m = self._moment(a, b)
                    if m is not None and m.n >= floor_n and m.weight > 0:
                        rho = max(-1.0, min(1.0, m.sum / m.weight / math.sqrt(own[a][0] * own[b][0])))
                row_a[b] = table[b][a] = rho * vol_a * vols[b]
        return table


def portfolio_variance(values: Mapping[str, float], cov: Mapping[str, Mapping[str, float]]) -> float:
    """``w' S w``: the one-day variance (money squared) of a book of signed market values."""
    return sum(wa * wb * cov[a][b] for a, wa in values.items() for b, wb in values.items())


def value_at_risk(variance: float, z: float) -> float:
    """``z x sqrt(variance)``, zero for a (numerically) negative variance."""
    return z * math.sqrt(variance) if variance > 0 else 0.0


def variance_after(variance: float, u: float, own: float, delta: float) -> float:
    """The variance once the value in one symbol moves by ``delta``: ``s2 + 2 delta (S w)_i + delta^2 S_ii``.

    ``u``: ``(S w)_i``; ``own``: ``S_ii``. O(1): what the pre-trade check and a fill use.
    """
    return variance + delta * (2.0 * u + delta * own)


def components(values: Mapping[str, float], cov: Mapping[str, Mapping[str, float]], z: float) -> dict[str, float]:
    """Each symbol's component VaR ``w_i (S w)_i / sigma_p x z``; they sum to the VaR."""
    u = {a: sum(cov[a][b] * wb for b, wb in values.items()) for a in values}
    variance = sum(values[a] * u[a] for a in values)
    if variance <= 0:
        return dict.fromkeys(values, 0.0)
    sigma = math.sqrt(variance)
    return {a: values[a] * u[a] / sigma * z for a in values}
