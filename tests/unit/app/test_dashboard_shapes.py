"""What the dashboard's panels compute: limit use, P&L per account, denial counts, message rates, exact numbers."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from app.dashboard.shapes import (
    MessageRates,
    account_pnl,
    denial_counts,
    json_text,
    limit_use,
    marked_positions,
    portfolio_rows,
)
from risk.limits import LimitSet, RiskLimits

D = Decimal


def _risk(limits: RiskLimits, exposure: list[dict[str, Any]], accounts: list[dict[str, Any]]) -> dict[str, Any]:
    return {"limits": limits.model_dump(mode="json"), "exposure": exposure, "accounts": accounts}


def test_limit_use_when_limits_set_then_percent_of_each_the_tightest_scope_counting_working_orders() -> None:
    limits = RiskLimits(
        default=LimitSet(max_long_qty=D(1000), max_short_qty=D(500), credit_limit=D(100_000)),
        accounts={"A": LimitSet(max_long_qty=D(400), max_daily_loss=D(1000))},
    )
    exposure = [{"account": "A", "symbol": "MSFT", "position": "100", "working_buy": "200", "working_sell": "50"}]
    accounts = [{"account": "A", "credit_used": "25000", "pnl_for_loss_limit": "-900"}]

    use = {
        (u["limit"], u["symbol"]): (u["used"], u["value"], u["pct"])
        for u in limit_use(_risk(limits, exposure, accounts))
    }

    assert use == {
        ("max_long_qty", "MSFT"): (D(300), D(400), D("75.0")),
        ("max_short_qty", "MSFT"): (D(-50), D(500), D("0.0")),
        ("credit_limit", None): (D(25000), D(100_000), D("25.0")),
        ("max_daily_loss", None): (D(900), D(1000), D("90.0")),
    }


def test_limit_use_when_no_exposure_limit_set_then_none() -> None:
    exposure = [{"account": "A", "symbol": "MSFT", "position": "100", "working_buy": "0", "working_sell": "0"}]
    accounts = [{"account": "A", "credit_used": "10000", "pnl_for_loss_limit": "5"}]

    assert limit_use(_risk(RiskLimits(default=LimitSet(max_order_qty=D(10))), exposure, accounts)) == []


def test_limit_use_when_portfolio_limits_set_then_gross_abs_net_and_var_of_each_account() -> None:
    risk = _risk(RiskLimits(), [], [])
    risk["portfolio"] = {
        "accounts": [
            {
                "account": "A",
                "gross": "80000.00",
                "net": "-30000.00",
                "long": "25000.00",
                "short": "-55000.00",
                "var": 1500.5,
                "max_gross_exposure": "100000",
                "max_net_exposure": "60000",
                "max_var": None,
            }
        ],
        "firm": {"gross": "80000.00", "net": "-30000.00", "long": "25000.00", "short": "-55000.00", "var": 1500.5},
    }

    use = {u["limit"]: (u["used"], u["pct"]) for u in limit_use(risk)}

    assert use == {"max_gross_exposure": (D(80000), D("80.0")), "max_net_exposure": (D(30000), D("50.0"))}
    assert [(r["account"], r["var"]) for r in portfolio_rows(risk)] == [("A", 1500.5), ("firm", 1500.5)]


def test_marked_positions_when_live_mid_else_last_else_fill_then_as_fixgw_positions_marks() -> None:
    rows = [
        {"account": "A", "symbol": s, "qty": D(q), "avg_cost": D("100"), "realized_pnl": D(0), "mark": None}
        for s, q in (("MSFT", "10"), ("AAPL", "-5"), ("IBM", "3"), ("FLAT", "0"))
    ]
    live = {"MSFT": {"mid": "101", "last": "99"}, "AAPL": {"mid": None, "last": "98"}}

    marked = {p["symbol"]: p for p in marked_positions(rows, live, {"IBM": D("100.5")})}

    assert (marked["MSFT"]["mark_source"], marked["MSFT"]["unrealized_pnl"]) == ("mid", D(10))
    assert (marked["AAPL"]["mark_source"], marked["AAPL"]["unrealized_pnl"]) == ("last", D(10))
    assert (marked["IBM"]["mark_source"], marked["IBM"]["unrealized_pnl"]) == ("fill", D("1.5"))
    assert (marked["FLAT"]["mark_source"], marked["FLAT"]["unrealized_pnl"]) == (None, D(0))


def test_account_pnl_when_several_symbols_then_summed_per_account() -> None:
    positions = [
        {"account": "B", "realized_pnl": D("1.5"), "unrealized_pnl": D("-2")},
        {"account": "A", "realized_pnl": D(10), "unrealized_pnl": D(3)},
        {"account": "B", "realized_pnl": D(0), "unrealized_pnl": D("0.25")},
    ]

    assert account_pnl(positions) == [
        {"account": "A", "realized_pnl": D(10), "unrealized_pnl": D(3), "total_pnl": D(13)},
        {"account": "B", "realized_pnl": D("1.5"), "unrealized_pnl": D("-1.75"), "total_pnl": D("-0.25")},
    ]


def test_json_text_when_decimals_then_exact_text_and_never_a_negative_zero() -> None:
    assert json_text({"a": D("-0.00"), "b": D("100.010"), "c": [D("-2.5")], "n": None}) == (
        '{"a":"0.00","b":"100.010","c":["-2.5"],"n":null}'
    )


def test_denial_counts_when_counted_then_most_first_and_the_total() -> None:
    view = denial_counts({"price_band": 1, "max_notional": 2, "duplicate": 1})

    assert view == {
        "by_check": [
            {"check": "max_notional", "count": 2},
            {"check": "duplicate", "count": 1},
            {"check": "price_band", "count": 1},
        ],
        "total": 4,
    }


def test_message_rates_when_counters_grow_then_per_second_over_the_window() -> None:
    rates = MessageRates(window_s=2.0)
    session = {"session": "S", "messages_in": 0, "messages_out": 0}

    first = rates.add([session], 0.0)
    rates.add([session | {"messages_in": 4}], 1.0)
    later = rates.add([session | {"messages_in": 10, "messages_out": 5}], 2.5)

    assert (first[0]["in_per_s"], first[0]["out_per_s"]) == (None, None)
    assert (later[0]["in_per_s"], later[0]["out_per_s"]) == (4.0, 2.0)  # since the read at 0.0, 2.5 s before
    assert rates.add([session | {"messages_in": 10, "messages_out": 5}], 4.0)[0]["in_per_s"] == 2.0  # since 1.0
