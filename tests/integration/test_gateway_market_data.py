"""The gateway's live books over real sessions: fed by the venue simulator's market data session, equal to the
simulator's book after every order (also across a forced logout and reconnect), flagged stale when the feed goes
quiet, and served to a FIX client as the consolidated book."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from app.config import GatewayConfig, MarketDataConfig
from domain.clock import LiveClock
from domain.enums import Side
from domain.ids import SessionKey, Symbol, VenueId
from fixgw.codec.fields import parse_fields
from fixgw.codec.marketdata import decode_incremental_refresh, decode_snapshot_full_refresh
from tests.integration.conftest import System, make_config, start_system, stop_system
from tests.integration.rawfix import RawSession, encode, field
from tests.mdbook import ReferenceBooks

pytestmark = pytest.mark.integration

VENUE = VenueId("VENUE")
SYMBOLS = ("MSFT", "AAPL", "IBM")
MD_SESSION = SessionKey("FIX.4.4:FIXGW->VENUEMD")
Levels = list[tuple[Decimal, Decimal]]


class RawFields:
    """A received message's FIX text as the codec reads it."""

    def __init__(self, raw: str) -> None:
        self.raw = raw
        self._fields = parse_fields(raw)

    def get(self, tag: int) -> str | None:
        return self._fields.get(tag)

    header = get


def rebuild(books: ReferenceBooks, raw: str) -> None:
    """Apply one 35=W or 35=X the client received, strictly (RptSeq contiguous, levels exist)."""
    fields = RawFields(raw)
    if fields.get(35) == "W":
        books.on_snapshot(decode_snapshot_full_refresh(fields, VenueId("FIXGW"), LiveClock()))
    else:
        assert fields.get(35) == "X", raw
        books.on_increment(decode_incremental_refresh(fields, VenueId("FIXGW"), LiveClock()))


def eventually(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    """Wait for ``condition`` (polled: the gateway's threads change what it reads)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.002)
    return True


def venue_top(system: System, symbol: str, n: int = 5) -> tuple[Levels, Levels]:
    with system.venue.simulator.locked():
        bids, asks = system.venue.simulator.engine.book(symbol).depth()
    return bids[:n], asks[:n]


def gateway_top(system: System, symbol: str, n: int = 5) -> tuple[Levels, Levels]:
    bids, asks = system.gateway.market.books.depth(Symbol(symbol), n, venue=VENUE)
    return list(bids), list(asks)


def books_agree(system: System, n: int = 5) -> bool:
    return all(venue_top(system, s, n) == gateway_top(system, s, n) for s in SYMBOLS)


def config_with(tmp_path: Path, **marketdata: int) -> GatewayConfig:
    config = make_config(tmp_path)
    simulator = config.simulator.model_copy(update={"md_refresh_ms": marketdata.pop("md_refresh_ms", 1000)})
    return config.model_copy(update={"simulator": simulator, "marketdata": MarketDataConfig(**marketdata)})


@pytest.fixture
def system(tmp_path: Path) -> Iterator[System]:
    running = start_system(tmp_path, make_config(tmp_path))
    assert running.gateway.market.handler.app.wait_for_logon(timeout=10)
    assert eventually(lambda: books_agree(running)), "the gateway's books never matched the venue's"
    yield running
    stop_system(running)


def random_order(rng: random.Random, n: int) -> tuple[str, str, Side, Decimal, Decimal]:
    symbol = rng.choice(SYMBOLS)
    side = rng.choice((Side.BUY, Side.SELL))
    # Around the seeded 100.00 +/- 5 ticks: some rest (new levels), some trade through levels (changes, deletes).
    price = Decimal("100.00") + Decimal(rng.randint(-6, 6)) / 100
    qty = Decimal(rng.choice((50, 100, 300, 500, 700)))
    return f"R-{n}", symbol, side, qty, price


def test_when_orders_trade_then_gateway_books_equal_venue_after_each_and_across_reconnect(system: System) -> None:
    rng = random.Random(15)
    for n in range(500):
        cl_ord_id, symbol, side, qty, price = random_order(rng, n)
        system.client.send_order(cl_ord_id, symbol, side, qty, price)
        system.client.wait_for(lambda m, c=cl_ord_id: m.get(11) == c and m.get(35) == "8" and m.get(150) != "A")
        assert eventually(lambda: books_agree(system)), f"after order {n}: {gateway_top(system, symbol)}"
        if n == 250:  # a forced market data logout: the books are rebuilt from new snapshots, never stale increments
            app = system.gateway.market.handler.app
            before = system.gateway.market.handler.counters()["received"]
            assert app.relogon(MD_SESSION)
            assert app.wait_for_logon([MD_SESSION], timeout=10)
            assert eventually(lambda b=before: system.gateway.market.handler.counters()["received"] > b)
            assert eventually(lambda: books_agree(system))
    counters = system.gateway.market.books.counters()
    assert counters["gap"] == 0 and counters["missing_level"] == 0 and counters["crossed"] == 0, counters


def test_when_feed_goes_quiet_then_stale_within_configured_time_and_band_falls_back(tmp_path: Path) -> None:
    config = config_with(tmp_path, md_refresh_ms=0, stale_after_ms=300)
    system = start_system(tmp_path, config)
    try:
        books = system.gateway.market.books
        assert eventually(lambda: books_agree(system))
        book = books.book(VENUE, Symbol("MSFT"))
        assert book is not None
        assert eventually(lambda: books.stale(VENUE, Symbol("MSFT")), timeout=2)
        flagged = time.time_ns()
        # Flagged within stale_after_ms + 100 ms of the last update, while the session stays logged on.
        assert flagged - book.last_update_ns <= (300 + 100) * 1_000_000
        assert system.gateway.market.handler.app.is_logged_on(MD_SESSION)
        assert books.mid("MSFT") == (None, "stale")
        system.client.send_order("BAND-1", "MSFT", Side.BUY, Decimal(10), Decimal("150"))
        denied = system.client.wait_for(lambda m: m.get(11) == "BAND-1" and m.get(39) == "8")
        assert "mid unavailable: stale" in denied[58], denied[58]
    finally:
        stop_system(system)


def test_when_venue_refreshes_then_quiet_book_stays_fresh(tmp_path: Path) -> None:
    system = start_system(tmp_path, config_with(tmp_path, md_refresh_ms=100, stale_after_ms=400))
    try:
        books = system.gateway.market.books
        assert eventually(lambda: books_agree(system))
        deadline = time.monotonic() + 1.5
        while time.monotonic() < deadline:  # over 1.5 s of no orders, the refresh snapshots keep it fresh
            assert not books.stale(VENUE, Symbol("MSFT"))
            time.sleep(0.05)
        assert books.mid("MSFT")[0] == Decimal("100.00")
    finally:
        stop_system(system)


def test_when_order_accepted_then_band_uses_mid_and_arrival_bid_ask_recorded(system: System) -> None:
    system.client.send_order("MID-1", "MSFT", Side.BUY, Decimal(10), Decimal("111"))
    denied = system.client.wait_for(lambda m: m.get(11) == "MID-1" and m.get(39) == "8")
    assert "mid 100.00" in denied[58], denied[58]
    system.client.send_order("ARR-1", "AAPL", Side.BUY, Decimal(10), Decimal("99.50"))
    system.client.wait_for(lambda m: m.get(11) == "ARR-1" and m.get(39) == "0")
    order = next(o for o in system.gateway.oms.book.by_id.values() if o.cl_ord_id == "ARR-1")
    assert (order.arrival_bid, order.arrival_ask) == (Decimal("99.99"), Decimal("100.01"))


def test_when_client_subscribes_then_its_rebuilt_book_follows_the_consolidated_book(system: System) -> None:
    client = system.client
    client.subscribe("SUB-1", list(SYMBOLS), depth=5)
    rebuilt = ReferenceBooks(depth=5)
    rng = random.Random(7)

    def caught_up() -> bool:
        while not client.market_data.empty():
            rebuild(rebuilt, client.market_data.get_nowait())
        top = system.gateway.market.books.depth
        return all(rebuilt.book(s).levels() == top(Symbol(s), 5) for s in SYMBOLS)

    assert eventually(caught_up)
    for n in range(60):
        cl_ord_id, symbol, side, qty, price = random_order(rng, n)
        client.send_order(cl_ord_id, symbol, side, qty, price)
        assert eventually(caught_up), f"after order {n}"


@pytest.fixture
def raw(system: System) -> Iterator[RawSession]:
    system.client.stop()  # the raw connection takes over CLIENT1's session
    session = RawSession(system.client_port)
    session.logon()
    yield session
    session.close()


REJECTS = {
    "unknown symbol": ([(262, "Y-1"), (263, "1"), (264, "0"), (267, "1"), (269, "0"), (146, "1"), (55, "XYZ")], "0"),
    "depth": ([(262, "Y-2"), (263, "1"), (264, "-1"), (267, "1"), (269, "0"), (146, "1"), (55, "MSFT")], "5"),
    "entry type": ([(262, "Y-3"), (263, "1"), (264, "0"), (267, "1"), (269, "4"), (146, "1"), (55, "MSFT")], "8"),
}


def test_when_market_data_request_is_bad_then_35y_with_reason_and_session_stays_up(
    system: System, raw: RawSession
) -> None:
    seq = 2
    for name, (fields, reason) in REJECTS.items():
        raw.send(encode("V", seq, fields))
        seq += 1
        answer = raw.wait_for(lambda m: m.get(35) in (b"Y", b"3", b"j"), f"the answer to {name}")
        assert (field(answer, 35), field(answer, 262), field(answer, 281)) == ("Y", fields[0][1], reason), name
        assert field(answer, 58), name
    # 263=7 is outside the dictionary's enumeration: the session layer answers, 35=3 SessionRejectReason 5.
    raw.send(encode("V", seq, [(262, "Y-4"), (263, "7"), (264, "0"), (267, "1"), (269, "0"), (146, "1"), (55, "MSFT")]))
    seq += 1
    reject = raw.wait_for(lambda m: m.get(35) in (b"Y", b"3", b"j"), "the answer to 263=7")
    assert (field(reject, 35), field(reject, 371), field(reject, 373)) == ("3", "263", "5")
    good = [(262, "OK-1"), (263, "1"), (264, "1"), (267, "1"), (269, "0"), (146, "1"), (55, "MSFT")]
    raw.send(encode("V", seq, good))
    snapshot = raw.wait_for(lambda m: m.get(35) in (b"W", b"Y"), "the snapshot")
    assert (field(snapshot, 35), field(snapshot, 262)) == ("W", "OK-1")
    raw.send(encode("V", seq + 1, good))  # the same MDReqID while it is subscribed
    duplicate = raw.wait_for(lambda m: m.get(35) == b"Y", "the duplicate's reject")
    assert (field(duplicate, 262), field(duplicate, 281)) == ("OK-1", "1")


def test_when_client_not_entitled_then_35y_insufficient_permissions(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    clients = {"CLIENT1": config.clients["CLIENT1"].model_copy(update={"market_data": ["MSFT"]})}
    system = start_system(tmp_path, config.model_copy(update={"clients": clients}))
    try:
        system.client.subscribe("NE-1", ["AAPL"])
        answer = system.client.market_data.get(timeout=10)
        assert "\x0135=Y\x01" in answer and "\x01281=3\x01" in answer and "AAPL" in answer
        system.client.subscribe("NE-2", ["MSFT"])
        assert "\x0135=W\x01" in system.client.market_data.get(timeout=10)
    finally:
        stop_system(system)
