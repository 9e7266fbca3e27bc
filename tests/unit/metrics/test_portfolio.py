"""Portfolio figures and limit use at scrape time; accounts that are not configured never become labels."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.metrics.portfolio import PortfolioMetrics
from risk.limits import FirmLimits, LimitSet, RiskLimits
from risk.portfolio import Portfolio
from risk.var import VarSettings
from tests.unit.metrics.values import value, values

D = Decimal


def test_collect_when_accounts_hold_positions_then_exposure_var_use_and_the_firm() -> None:
    portfolio = Portfolio(RiskLimits(var=VarSettings(fallback_vol=0.02)), {})
    portfolio.on_fill("ACCT1", "MSFT", D(100), D(100))
    portfolio.on_fill("ACCT1", "IBM", D(-50), D(100))
    portfolio.on_fill("NOBODY", "MSFT", D(10), D(100))
    limits = RiskLimits(
        accounts={"ACCT1": LimitSet(max_gross_exposure=D(30_000), max_var=D(500))},
        firm=FirmLimits(max_net_exposure=D(12_000)),
    )

    found = values(PortfolioMetrics(portfolio, lambda: limits, ["ACCT1"]))

    assert value(found, "fixgw_portfolio_exposure", account="ACCT1", kind="gross") == 15_000
    assert value(found, "fixgw_portfolio_exposure", account="ACCT1", kind="net") == 5_000
    assert value(found, "fixgw_portfolio_exposure", account="ACCT1", kind="short") == -5_000
    var = 2.3263478740408408 * 5_000 * 0.02  # correlation 1: the long and the short offset
    assert value(found, "fixgw_portfolio_var", account="ACCT1") == pytest.approx(var)
    assert value(found, "fixgw_risk_portfolio_limit_use_ratio", account="ACCT1", limit="max_gross_exposure") == 0.5
    assert value(found, "fixgw_risk_portfolio_limit_use_ratio", account="ACCT1", limit="max_var") == pytest.approx(
        var / 500
    )
    assert value(found, "fixgw_firm_exposure", kind="net") == 6_000
    assert value(found, "fixgw_risk_firm_limit_use_ratio", limit="max_net_exposure") == 0.5
    assert not [k for k in found if ("account", "NOBODY") in k[1]]
