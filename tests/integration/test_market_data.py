"""The venue simulator's market data over real FIX sessions: a subscriber on FIXGW->VENUEMD rebuilds the books from
35=W then 35=X and, after every one of 300 random orders on the order session FIXGW->VENUE, they equal the matching
engine's (full depth and top 5); each bad request gets its 35=Y; the sessions stay up."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from app.config import SimulatorConfig
from app.fixclient import ScriptedClient
from app.venue import VenueServer
from domain.enums import Side, TimeInForce
from domain.ids import SessionKey
from domain.marketdata import (
    BookSnapshot,
    MarketDataReject,
    MDEntryType,
    MDReqRejReason,
    SubscriptionRequestType,
)
from fixgw.session.settings import SessionsFile
from tests.conftest import ROOT
from tests.integration.conftest import free_port
from tests.integration.mdclient import MarketDataClient, mirrored

pytestmark = pytest.mark.integration
SYMBOLS = ("MSFT", "AAPL", "IBM")
BOOK_SIDES = (MDEntryType.BID, MDEntryType.OFFER)
MD_SESSION = SessionKey("FIX.4.4:VENUEMD->FIXGW")
"""The market data session as the venue knows it."""


@dataclass
class Venue:
    server: VenueServer
    orders: ScriptedClient
    md: MarketDataClient


@pytest.fixture
def venue(tmp_path: Path) -> Iterator[Venue]:
    port = free_port()
    sessions = SessionsFile.load(ROOT / "venue.cfg").relocated(tmp_path / "venue").with_port("acceptor", port)
    config = SimulatorConfig(symbols=dict.fromkeys(SYMBOLS, Decimal(100)), md_refresh_ms=300)
    server = VenueServer(config, sessions)
    orders = ScriptedClient(mirrored(sessions, "VENUE", tmp_path / "orders"))
    md = MarketDataClient(mirrored(sessions, "VENUEMD", tmp_path / "md"))
    server.start()
    orders.start()
    md.start()
    yield Venue(server, orders, md)
    for part in (md, orders, server):
        part.stop()


def _reject(md: MarketDataClient, md_req_id: str) -> MarketDataReject:
    found = md.wait_for(lambda m: isinstance(m, MarketDataReject) and m.md_req_id == md_req_id)
    assert isinstance(found, MarketDataReject)
    return found


def _barrier(md: MarketDataClient, name: str) -> None:
    """Everything the venue sent on the session before now has arrived: a snapshot asked for now comes after it."""
    md.request(name, ("IBM",), subscription=SubscriptionRequestType.SNAPSHOT, types=(MDEntryType.BID,))
    md.wait_for(lambda m: isinstance(m, BookSnapshot) and m.md_req_id == name)


def _random_order(venue: Venue, rng: random.Random, number: int, resting: list[tuple[str, str, Side]]) -> str:
    """Send a new order (sometimes IOC or market) or cancel an earlier one; return the ClOrdID to wait for."""
    cl_ord_id = f"R{number}"
    if resting and rng.random() < 0.15:
        orig, symbol, side = resting.pop(rng.randrange(len(resting)))
        fields = [(41, orig), (11, cl_ord_id), (55, symbol), (54, side.value), (38, "1"), (60, "20260101-00:00:00")]
        venue.orders.send_fields("F", fields)
        return cl_ord_id
    symbol, side = rng.choice(SYMBOLS), rng.choice((Side.BUY, Side.SELL))
    kind = rng.random()
    price = None if kind < 0.04 else Decimal(100) + Decimal(rng.randint(-12, 12)) / 100
    tif = TimeInForce.IMMEDIATE_OR_CANCEL if kind > 0.9 else TimeInForce.DAY
    venue.orders.send_order(cl_ord_id, symbol, side, Decimal(rng.randint(1, 900)), price, tif=tif)
    if price is not None and tif is TimeInForce.DAY:
        resting.append((cl_ord_id, symbol, side))
    return cl_ord_id


def test_market_data_when_300_random_orders_then_rebuilt_books_equal_the_venue_after_each(venue: Venue) -> None:
    md, simulator = venue.md, venue.server.simulator
    md.request("FULL", SYMBOLS)
    md.request("TOP5", SYMBOLS, depth=5, types=BOOK_SIDES)
    for md_req_id in ("FULL", "TOP5"):  # the snapshots, before any order can change the books
        md.wait_for_rpt_seqs(md_req_id, dict.fromkeys(SYMBOLS, 0))
    rng = random.Random(15)
    resting: list[tuple[str, str, Side]] = []

    for number in range(300):
        cl_ord_id = _random_order(venue, rng, number, resting)
        venue.orders.wait_for(lambda m, c=cl_ord_id: m.get(11) == c and m.get(35) in ("8", "9"))  # type: ignore[misc]
        for md_req_id, depth in (("FULL", 0), ("TOP5", 5)):
            expected = simulator.market_data_rpt_seqs(MD_SESSION, md_req_id)
            assert expected.keys() == set(SYMBOLS)
            md.wait_for_rpt_seqs(md_req_id, expected)
            for symbol in SYMBOLS:
                assert md.books[md_req_id].book(symbol).levels() == simulator.engine.book(symbol).depth(depth), (
                    f"{md_req_id} {symbol} after order {number}"
                )

    full = md.books["FULL"]
    assert all(full.book(s).rpt_seq for s in SYMBOLS) and any(full.book(s).trades for s in SYMBOLS)
    assert [m for m in md.received if isinstance(m, tuple)] == []  # no session Reject
    assert md.app.is_logged_on(md.session) and md.logouts == 0


def test_market_data_when_requests_cannot_be_served_then_35y_naming_the_problem_and_the_session_stays(
    venue: Venue,
) -> None:
    md = venue.md
    md.request("DUP", ("MSFT",))
    md.request("DUP", ("IBM",))
    md.request("UNKNOWN", ("MSFT", "NOPE"))
    md.request("DEEP", ("MSFT",), depth=-1)
    md.send_text("V", "262=ODD\x01263=1\x01264=0\x01267=2\x01269=0\x01269=5\x01146=1\x0155=MSFT\x01")

    cases = {
        "DUP": (MDReqRejReason.DUPLICATE_MD_REQ_ID, "'DUP'"),
        "UNKNOWN": (MDReqRejReason.UNKNOWN_SYMBOL, "'NOPE'"),
        "DEEP": (MDReqRejReason.UNSUPPORTED_MARKET_DEPTH, "-1"),
        "ODD": (MDReqRejReason.UNSUPPORTED_MD_ENTRY_TYPE, "'5'"),
    }
    for md_req_id, (reason, named) in cases.items():
        reject = _reject(md, md_req_id)
        assert reject.reason is reason and named in reject.text, reject
    # 263=3: our dictionary lists 0, 1 and 2 only, so quickfix refuses it before the application (35=3 373=5), and
    # 281=4 is left for sessions without a dictionary (tests/unit/fixgw/test_marketdata_codec.py).
    md.send_text("V", "262=TYPE\x01263=3\x01264=0\x01267=1\x01269=0\x01146=1\x0155=MSFT\x01")
    session_reject = md.wait_for(lambda m: isinstance(m, tuple) and m[0] == "3")
    assert isinstance(session_reject, tuple) and session_reject[1][373] == "5" and session_reject[1][371] == "263"

    _barrier(md, "AFTER")
    assert [type(m) for m in md.of("DUP")] == [BookSnapshot, MarketDataReject]  # the first stays subscribed
    assert md.of("UNKNOWN") == [_reject(md, "UNKNOWN")]
    assert md.app.is_logged_on(md.session) and md.logouts == 0


def test_market_data_when_unsubscribed_or_snapshot_only_then_nothing_more(venue: Venue) -> None:
    md, simulator = venue.md, venue.server.simulator
    md.request("KEEP", ("MSFT",))
    md.request("GONE", ("MSFT",))
    md.request("ONCE", ("MSFT",), subscription=SubscriptionRequestType.SNAPSHOT)
    md.wait_for(lambda m: isinstance(m, BookSnapshot) and m.md_req_id == "ONCE")

    md.request("GONE", ("MSFT",), subscription=SubscriptionRequestType.UNSUBSCRIBE)
    _barrier(md, "UNSUBSCRIBED")
    gone_before = len(md.of("GONE"))
    for number in range(5):
        venue.orders.send_order(f"U{number}", "MSFT", Side.BUY, Decimal(10), Decimal("99.99") - number)
        venue.orders.wait_for(lambda m, c=f"U{number}": m.get(11) == c)  # type: ignore[misc]
    md.wait_for_rpt_seqs("KEEP", simulator.market_data_rpt_seqs(MD_SESSION, "KEEP"))
    _barrier(md, "LATER")

    assert md.books["KEEP"].book("MSFT").rpt_seq == 5
    assert len(md.of("GONE")) == gone_before
    assert [type(m) for m in md.of("ONCE")] == [BookSnapshot]
    assert simulator.market_data is not None
    assert sorted(k for _, k in simulator.market_data.subscriptions()) == ["KEEP"]


def test_market_data_when_the_member_logs_out_then_its_subscriptions_end(venue: Venue) -> None:
    md, simulator = venue.md, venue.server.simulator
    md.request("S1", SYMBOLS)
    md.wait_for(lambda m: isinstance(m, BookSnapshot) and m.md_req_id == "S1")
    assert simulator.market_data is not None

    md.stop()
    venue.orders.send_order("AFTER", "MSFT", Side.BUY, Decimal(10), Decimal("99.99"))
    venue.orders.wait_for(lambda m: m.get(11) == "AFTER")

    assert simulator.market_data.subscriptions() == []
    assert venue.orders.app.is_logged_on(venue.orders.session)


def test_market_data_when_asked_on_the_order_session_then_answered_there(venue: Venue) -> None:
    venue.orders.subscribe(
        "ON-ORDERS", ["AAPL"], depth=1, kind=SubscriptionRequestType.SNAPSHOT, entry_types=BOOK_SIDES
    )

    raw = venue.orders.market_data.get(timeout=10)

    assert "\x0135=W\x01" in raw and "\x01262=ON-ORDERS\x01" in raw
    assert "\x0155=AAPL\x01" in raw and "\x01268=2\x01269=0\x01270=99.99\x01" in raw  # the best bid first
