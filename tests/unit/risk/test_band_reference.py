"""The price band's reference (``[risk] band_reference``): the last trade, the live mid, or the mid with a fallback;
the denial names the reference used and its value, and why the mid was not used when it falls back (issue 15)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from app.config import load_config
from domain.enums import OrdType, Side
from domain.ids import ClOrdId, Symbol
from domain.marketdata import NoQuotes
from domain.verdicts import Denial
from fixgw.errors import ConfigError
from risk.limits import RiskLimits
from tests.factories import new_order
from tests.quotes import MemoryQuotes
from tests.unit.risk.harness import Harness

D = Decimal


def harness(mode: str, quotes: Any = None, **limits: Any) -> Harness:
    """A risk engine with a 10% band in ``mode``, MSFT configured at 100 and NEWCO without a reference."""
    settings = {"default": {"price_band_pct": "10"}, "band_reference": mode} | limits
    return Harness(RiskLimits.model_validate(settings), unreferenced=("NEWCO",), quotes=quotes)


def check(h: Harness, price: str | None, symbol: str = "MSFT", **overrides: Any) -> Denial | None:
    """``price`` None: a market order."""
    market = {"ord_type": OrdType.MARKET} if price is None else {}
    order = new_order(symbol=Symbol(symbol), price=D(price) if price else None, **market, **overrides)
    return h.risk.check(order)


def text(denial: Denial | None) -> str:
    assert denial is not None
    return denial.text


def test_last_when_books_have_a_mid_then_it_is_not_read_and_the_band_is_around_the_reference() -> None:
    quotes = MemoryQuotes()
    quotes.set("MSFT", "119.99", "120.01")
    h = harness("last", quotes)

    assert check(h, "110") is None
    assert text(check(h, "120")) == "price band: 120 outside the 10% band around reference 100 (90-110) for MSFT"
    assert quotes.mid_calls == 0


def test_last_when_the_symbol_traded_then_the_text_names_the_last_trade() -> None:
    h = harness("last")
    h.fill(Side.BUY, "1", "100.01")

    assert text(check(h, "120")) == (
        "price band: 120 outside the 10% band around last 100.01 (90.009-110.011) for MSFT"
    )


def test_mid_when_the_book_is_usable_then_the_band_is_around_the_mid_and_the_text_names_it() -> None:
    quotes = MemoryQuotes()
    quotes.set("MSFT", "100.00", "100.01")
    h = harness("mid", quotes)
    h.fill(Side.BUY, "1", "50")  # a last trade far away: the mid mode does not look at it

    assert check(h, "110.00") is None
    assert text(check(h, "120.00")) == (
        "price band: 120.00 outside the 10% band around mid 100.005 (90.0045-110.0055) for MSFT"
    )


@pytest.mark.parametrize(
    ("book", "why"),
    [
        ({}, "no book"),
        ({"bid": "100.00"}, "one-sided"),
        ({"bid": "100.02", "ask": "100.01"}, "crossed"),
        ({"bid": "100.01", "ask": "100.01"}, "crossed"),  # locked
        ({"bid": "99.00", "ask": "99.02", "stale": True}, "stale"),
    ],
)
def test_mid_when_the_book_has_no_usable_mid_then_the_configured_reference_applies_and_the_text_says_why(
    book: dict[str, Any], why: str
) -> None:
    quotes = MemoryQuotes()
    if book:
        quotes.set("MSFT", **book)
    h = harness("mid", quotes)
    h.fill(Side.BUY, "1", "50")  # "mid" falls back to the configured price, never to the last trade

    assert check(h, "109") is None
    assert text(check(h, "120")) == (
        f"price band: 120 outside the 10% band around reference 100 (90-110) for MSFT; mid unavailable: {why}"
    )


def test_mid_when_no_mid_and_none_configured_then_no_reference_decides_even_after_a_trade() -> None:
    quotes = MemoryQuotes()
    quotes.set("NEWCO", "10.00", "10.02", stale=True)
    rejecting, skipping = harness("mid", quotes), harness("mid", quotes, no_reference="skip_band")
    for h in (rejecting, skipping):
        h.fill(Side.BUY, "1", "10", symbol="NEWCO")

    assert text(check(rejecting, "10", "NEWCO")) == (
        "no reference price for NEWCO: no mid (stale), none configured (no_reference = reject)"
    )
    assert check(skipping, "50", "NEWCO") is None  # a limit order without the band
    market = check(skipping, None, "NEWCO")
    assert "no mid (stale), none configured (a market order cannot be valued)" in text(market)


def test_mid_else_last_when_no_mid_then_the_last_trade_applies_and_the_text_names_it_and_why() -> None:
    quotes = MemoryQuotes()
    quotes.set("MSFT", "100.00", "100.01", stale=True)
    h = harness("mid_else_last", quotes)
    h.fill(Side.BUY, "1", "100.01")

    assert check(h, "110.01") is None
    assert text(check(h, "120")) == (
        "price band: 120 outside the 10% band around last 100.01 (90.009-110.011) for MSFT; mid unavailable: stale"
    )


def test_mid_else_last_when_no_mid_and_no_trade_then_the_configured_reference_applies() -> None:
    h = harness("mid_else_last", MemoryQuotes())

    assert text(check(h, "120")) == (
        "price band: 120 outside the 10% band around reference 100 (90-110) for MSFT; mid unavailable: no book"
    )


def test_mid_else_last_when_no_mid_no_trade_none_configured_then_no_reference_names_all_three() -> None:
    h = harness("mid_else_last", MemoryQuotes())

    assert text(check(h, "10", "NEWCO")) == (
        "no reference price for NEWCO: no mid (no book), no trade yet and none configured (no_reference = reject)"
    )


@pytest.mark.parametrize("price", ["89.99", "90", "100", "105.5", "110", "110.01", "150"])
@pytest.mark.parametrize("traded", [None, "95", "120"])
def test_mid_else_last_when_no_market_data_then_it_decides_as_last_does(price: str, traded: str | None) -> None:
    last, fallback = harness("last"), harness("mid_else_last", NoQuotes())
    for h in (last, fallback):
        if traded is not None:
            h.fill(Side.BUY, "1", traded)

    decided, fell_back = check(last, price), check(fallback, price)

    assert (decided is None) is (fell_back is None)
    if decided is not None and fell_back is not None:
        assert (decided.reason, decided.text + "; mid unavailable: no market data") == (
            fell_back.reason,
            fell_back.text,
        )


def test_mid_when_a_market_order_is_valued_then_at_the_mid() -> None:
    quotes = MemoryQuotes()
    quotes.set("MSFT", "100.5", "101.5")
    h = harness("mid", quotes, default={"max_notional": "10000"})

    denial = check(h, None)

    assert "max notional exceeded: 100 x 101.0 = 10100.0 > limit 10000" in text(denial)


def test_band_cache_when_the_reference_changes_kind_and_value_then_each_order_is_banded_around_its_own() -> None:
    quotes = MemoryQuotes()
    h = harness("mid_else_last", quotes)
    h.fill(Side.BUY, "1", "50")
    orders = iter(range(100))

    def outside(price: str) -> str | None:
        denial = check(h, price, cl_ord_id=ClOrdId(f"C{next(orders)}"))
        return denial.text if denial is not None else None

    quotes.set("MSFT", "99.99", "100.01")  # mid 100
    assert outside("109") is None
    assert "around mid 100.00 (90.00-110.00) for MSFT" in (outside("111") or "")
    quotes.set("MSFT", "99.99", "100.01", stale=True)  # the last trade, 50
    assert outside("54") is None and "around last 50 (45-55) for MSFT; mid unavailable: stale" in (outside("56") or "")
    assert outside("109") is not None
    quotes.set("MSFT", "99.98", "100.02")  # mid 100 again, a new object of the same value
    assert outside("109") is None and "around mid 100.00" in (outside("111") or "")
    quotes.set("MSFT", "199.99", "200.01")  # the mid moves
    assert outside("215") is None and "around mid 200.00 (180.00-220.00)" in (outside("230") or "")


def test_band_cache_when_mid_and_configured_reference_have_one_value_then_the_text_names_the_one_used() -> None:
    quotes = MemoryQuotes()
    quotes.set("MSFT", "99.99", "100.01")  # mid 100, the configured reference's value
    h = harness("mid", quotes)

    by_mid = check(h, "120")
    quotes.set("MSFT", "99.99", "100.01", stale=True)
    by_reference = check(h, "120", cl_ord_id=ClOrdId("C2"))
    quotes.set("MSFT", "99.99", "100.01")
    by_mid_again = check(h, "120", cl_ord_id=ClOrdId("C3"))

    assert "around mid 100" in text(by_mid) and "around mid 100" in text(by_mid_again)
    assert "around reference 100 (90-110) for MSFT; mid unavailable: stale" in text(by_reference)


def test_set_limits_when_band_reference_changes_live_then_the_next_order_uses_the_new_one() -> None:
    quotes = MemoryQuotes()
    quotes.set("MSFT", "119.99", "120.01")
    h = harness("last", quotes)
    assert check(h, "120") is not None

    h.risk.set_limits(h.risk.limits.model_copy(update={"band_reference": "mid"}))

    assert check(h, "120", cl_ord_id=ClOrdId("C2")) is None


def test_load_config_when_band_reference_unknown_then_one_line_error_naming_the_choices(tmp_path: Path) -> None:
    path = tmp_path / "fixgw.toml"
    path.write_text('[risk]\nband_reference = "bid"\n')

    with pytest.raises(ConfigError) as raised:
        load_config(path)

    message = str(raised.value)
    assert "risk.band_reference" in message and "'mid_else_last'" in message and "\n" not in message
