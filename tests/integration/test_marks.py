"""Marks from the live books over the admin API (``GET /marks``), and ``fixgw positions`` marking to them: the mid,
else the last trade, else the book's last fill; without a running gateway, as before (issue 15)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from app.admin import AdminClient, AdminServer
from app.marketdata_admin import marketdata_routes
from oms.store.database import open_database
from oms.store.schema import executions, positions
from tests.integration.conftest import System
from tests.integration.test_cli import fixgw
from tests.integration.test_risk_controls import wait_until
from tests.quotes import MemoryQuotes

pytestmark = pytest.mark.integration
D = Decimal
SYMBOLS = ("MSFT", "AAPL", "IBM")


@pytest.fixture
def quotes() -> MemoryQuotes:
    """MSFT with a usable book and trades; AAPL one-sided with a trade; IBM with nothing."""
    quotes = MemoryQuotes()
    quotes.set("MSFT", "100.00", "100.01", last="100.02")
    quotes.set("AAPL", bid="51.50", last="52")
    return quotes


@pytest.fixture
def gateway_admin(tmp_path: Path, quotes: MemoryQuotes) -> Iterator[Path]:
    """An admin API serving the market data routes, as a running gateway does; yields its settings file."""
    settings = tmp_path / "fixgw.toml"
    settings.write_text('[admin]\ntoken_file = "admin.token"\n')
    server = AdminServer("127.0.0.1:0", tmp_path / "admin.token", marketdata_routes(quotes, SYMBOLS))
    server.start()
    yield settings
    server.stop()


def test_marks_when_asked_with_the_token_then_each_symbol_has_mid_last_bid_ask(gateway_admin: Path) -> None:
    status, answer = AdminClient(gateway_admin.parent / "admin.token").call("GET", "/marks")

    assert status == 200
    assert answer == {
        "MSFT": {"mid": "100.005", "last": "100.02", "bid": "100.00", "ask": "100.01"},
        "AAPL": {"mid": None, "last": "52", "bid": "51.50", "ask": None},
        "IBM": {"mid": None, "last": None, "bid": None, "ask": None},
    }


def test_marks_when_asked_without_the_token_then_401(gateway_admin: Path) -> None:
    address = (gateway_admin.parent / "admin.token").read_text().split()[0]

    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"http://{address}/marks", timeout=5)
    refused.value.close()

    assert refused.value.code == 401


def test_gateway_when_running_then_marks_answers_from_its_books(system: System) -> None:
    config = system.gateway.config
    client = AdminClient(config.admin_token_path())

    def marks() -> dict[str, dict[str, str | None]]:
        status, answer = client.call("GET", "/marks")
        assert status == 200
        return answer

    assert wait_until(lambda: all(prices["mid"] for prices in marks().values())), marks()
    answer = marks()

    assert set(answer) == set(config.instruments)
    for prices in answer.values():  # the simulator's seeded books: 99.99 / 100.01, no trade yet
        assert {k: D(v) if v is not None else None for k, v in prices.items()} == {
            "mid": D("100.00"),
            "last": None,
            "bid": D("99.99"),
            "ask": D("100.01"),
        }


def book(tmp_path: Path) -> str:
    """A book with a position in each symbol, and its last fills: MSFT 99, AAPL 51, IBM 11."""
    url = f"sqlite:///{tmp_path / 'book.db'}"
    engine = open_database(url)
    held = {"MSFT": ("100", "100"), "AAPL": ("-10", "50"), "IBM": ("5", "10")}
    fills = {"MSFT": "99", "AAPL": "51", "IBM": "11"}
    with engine.begin() as conn:
        for symbol, (qty, cost) in held.items():
            conn.execute(positions.insert().values(position(symbol, qty, cost, fills[symbol])))
        for n, (symbol, price) in enumerate(fills.items()):
            conn.execute(executions.insert().values(execution(n, symbol, price)))
    engine.dispose()
    return url


def position(symbol: str, qty: str, cost: str, mark: str) -> dict[str, object]:
    return {
        "account": "ACCT1",
        "symbol": symbol,
        "qty": D(qty),
        "avg_cost": D(cost),
        "realized_pnl": D(0),
        "fees": D(0),
        "mark": D(mark),
        "bought_qty": max(D(qty), D(0)),
        "sold_qty": max(-D(qty), D(0)),
        "updated_ns": 1,
    }


def execution(n: int, symbol: str, price: str) -> dict[str, object]:
    return {
        "exec_id": f"X{n}",
        "order_id": f"O{n}",
        "venue": "VENUE",
        "venue_exec_id": f"E{n}",
        "account": "ACCT1",
        "symbol": symbol,
        "side": "1",
        "last_qty": D(1),
        "last_px": D(price),
        "ts_ns": 1,
    }


def marked(output: str) -> dict[str, tuple[str, str, str | None]]:
    """symbol -> (mark source, mark, unrealized P&L) from ``fixgw positions --json``."""
    return {r["symbol"]: (r["mark_source"], r["mark"], r["unrealized_pnl"]) for r in json.loads(output)}


def test_positions_when_the_gateway_has_marks_then_mid_else_last_trade_else_last_fill(
    tmp_path: Path, gateway_admin: Path
) -> None:
    url = book(tmp_path)

    as_json = fixgw("positions", "--settings", str(gateway_admin), "--db", url, "--json")
    table = fixgw("positions", "--settings", str(gateway_admin), "--db", url)

    assert as_json.returncode == 0, as_json.stderr
    assert marked(as_json.stdout) == {
        "MSFT": ("mid", "100.005", "0.500"),  # 100 x (100.005 - 100)
        "AAPL": ("last", "52", "-20"),  # -10 x (52 - 50): no mid in a one-sided book
        "IBM": ("fill", "11", "5"),  # 5 x (11 - 10): nothing live for IBM
    }
    assert table.returncode == 0, table.stderr
    for shown in ("mid 100.005", "last 52", "fill 11", "Mark"):
        assert shown in table.stdout


def test_positions_when_no_gateway_is_running_then_marked_to_the_last_fill_as_before(tmp_path: Path) -> None:
    url = book(tmp_path)
    settings = tmp_path / "fixgw.toml"
    settings.write_text('[admin]\ntoken_file = "admin.token"\n')

    absent = fixgw("positions", "--settings", str(settings), "--db", url, "--json")
    (tmp_path / "admin.token").write_text("127.0.0.1:9\nstale-token\n")  # a gateway that stopped: nobody listens
    stopped = fixgw("positions", "--settings", str(settings), "--db", url, "--json")

    for result in (absent, stopped):
        assert (result.returncode, result.stderr) == (0, "")
        assert marked(result.stdout) == {
            "MSFT": ("fill", "99", "-100"),
            "AAPL": ("fill", "51", "-10"),
            "IBM": ("fill", "11", "5"),
        }
