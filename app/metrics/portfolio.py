"""Portfolio risk at scrape time: each configured account's gross, net, long and short market value and one-day
VaR, the firm's, and the use of the portfolio limits (what ``GET /risk`` shows under ``portfolio``).

Only configured accounts become labels, as in ``app.metrics.risk``. The figures are read without the bus lock: each
is one attribute of a lasting object, replaced whole when it changes.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator

from prometheus_client.metrics_core import GaugeMetricFamily, Metric

from risk.limits import RiskLimits
from risk.portfolio import Portfolio, PortfolioBook


class PortfolioMetrics:
    """``fixgw_portfolio_*``, ``fixgw_firm_*``, ``fixgw_risk_portfolio_limit_use_ratio``,
    ``fixgw_risk_firm_limit_use_ratio``."""

    def __init__(self, portfolio: Portfolio, limits: Callable[[], RiskLimits], accounts: Collection[str]) -> None:
        """``limits``: the limits in force now (operators change them live)."""
        self._portfolio = portfolio
        self._limits = limits
        self._accounts = sorted(accounts)

    def collect(self) -> Iterator[Metric]:
        """Every family."""
        portfolio = self._portfolio
        exposure = GaugeMetricFamily(
            "fixgw_portfolio_exposure",
            "An account's market value at the marks (mid, else last trade): gross, net, long, short.",
            labels=["account", "kind"],
        )
        var = GaugeMetricFamily("fixgw_portfolio_var", "An account's one-day parametric VaR.", labels=["account"])
        use = GaugeMetricFamily(
            "fixgw_risk_portfolio_limit_use_ratio",
            "Gross, |net| and VaR over max_gross_exposure, max_net_exposure and max_var.",
            labels=["account", "limit"],
        )
        limits = self._limits()
        for account in self._accounts:
            book = portfolio.books.get(account)
            if book is None:
                continue
            for measure, value in _measures(book):
                exposure.add_metric([account, measure], value)
            risk = portfolio.var(book)
            var.add_metric([account], risk)
            applies = limits.effective(account, "")
            for name, limit, used in (
                ("max_gross_exposure", applies.max_gross_exposure, float(book.gross)),
                ("max_net_exposure", applies.max_net_exposure, abs(float(book.net))),
                ("max_var", applies.max_var, risk),
            ):
                if limit is not None:
                    use.add_metric([account, name], used / float(limit))
        firm = GaugeMetricFamily(
            "fixgw_firm_exposure",
            "The firm's market value (every account): gross, net, long, short.",
            labels=["kind"],
        )
        for measure, value in _measures(portfolio.firm):
            firm.add_metric([measure], value)
        yield from (exposure, var, use, firm)
        firm_var = portfolio.var(portfolio.firm)
        yield GaugeMetricFamily("fixgw_firm_var", "The firm's one-day parametric VaR.", value=firm_var)
        firm_use = GaugeMetricFamily(
            "fixgw_risk_firm_limit_use_ratio",
            "The firm's gross, |net| and VaR over [risk.firm] max_gross_exposure, max_net_exposure and max_var.",
            labels=["limit"],
        )
        book, firm_limits = portfolio.firm, limits.firm
        for name, limit, used in (
            ("max_gross_exposure", firm_limits.max_gross_exposure, float(book.gross)),
            ("max_net_exposure", firm_limits.max_net_exposure, abs(float(book.net))),
            ("max_var", firm_limits.max_var, firm_var),
        ):
            if limit is not None:
                firm_use.add_metric([name], used / float(limit))
        yield firm_use


def _measures(book: PortfolioBook) -> list[tuple[str, float]]:
    return [(name, float(getattr(book, name))) for name in ("gross", "net", "long", "short")]
