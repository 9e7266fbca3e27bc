"""Market data over FIX: 35=V/W/X/Y encode then decode to what they started as, group entries kept in order;
bad FIX is a session reject naming the tag, a request for what is not served a typed refusal (35=Y)."""

from __future__ import annotations

from decimal import Decimal

import pytest
import quickfix
import simplefix
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.clock import TestClock
from domain.ids import SessionKey, Symbol, VenueId
from domain.marketdata import (
    BookIncrement,
    BookSnapshot,
    MarketDataReject,
    MarketDataRequest,
    MDEntry,
    MDEntryType,
    MDReqRejReason,
    MDUpdateAction,
    SubscriptionRequestType,
)
from fixgw.codec import marketdata
from fixgw.codec.fields import QfFields, SfFields
from fixgw.codec.md_text import dictionary
from fixgw.errors import IncorrectDataFormat, IncorrectTagValue, MarketDataRequestRefused, RequiredTagMissing

SESSION = SessionKey("FIX.4.4:VENUEMD->FIXGW")
VENUE = VenueId("VENUE")
CLOCK = TestClock(42)

_ids = st.text(alphabet="ABCXYZ0189-_.", min_size=1, max_size=12)
_symbols = st.sampled_from(["MSFT", "AAPL", "IBM", "BRK.B"]).map(Symbol)
_prices = st.decimals(min_value=Decimal("0.0001"), max_value=Decimal(100_000), places=4)
_sizes = st.decimals(min_value=Decimal(0), max_value=Decimal(10_000_000), places=2)
_types = st.sampled_from(list(MDEntryType))


def _wire(message: quickfix.Message) -> QfFields:
    """As the receiving session hands it over: the header a session adds, then parsed from the text and validated
    against the dictionary (as UseDataDictionary=Y does)."""
    header = message.getHeader()
    for tag, value in ((8, "FIX.4.4"), (49, "VENUEMD"), (56, "FIXGW"), (34, "2"), (52, "20260101-00:00:00.000")):
        header.setField(tag, value)
    return QfFields(quickfix.Message(message.toString(), dictionary(), True))


def sf(*pairs: tuple[int, str]) -> SfFields:
    message = simplefix.FixMessage()
    for tag, value in pairs:
        message.append_pair(tag, value)
    return SfFields(message)


@settings(max_examples=60, deadline=None)
@given(
    st.builds(
        MarketDataRequest,
        session=st.just(SESSION),
        md_req_id=_ids,
        subscription=st.sampled_from(list(SubscriptionRequestType)),
        depth=st.integers(0, 50),
        entry_types=st.lists(_types, min_size=1, max_size=3, unique=True).map(tuple),
        symbols=st.lists(_symbols, min_size=1, max_size=4).map(tuple),
        ts_ns=st.just(42),
    )
)
def test_market_data_request_when_encoded_then_decodes_to_itself(request: MarketDataRequest) -> None:
    message = _wire(marketdata.market_data_request(request))

    assert marketdata.decode_market_data_request(message, SESSION, CLOCK) == request


@settings(max_examples=60, deadline=None)
@given(
    st.builds(
        BookSnapshot,
        venue=st.just(VENUE),
        md_req_id=st.one_of(st.none(), _ids),
        symbol=_symbols,
        entries=st.lists(st.builds(MDEntry, entry_type=_types, price=_prices, size=_sizes), max_size=12).map(tuple),
        rpt_seq=st.one_of(st.none(), st.integers(0, 2**40)),
        ts_ns=st.just(42),
    )
)
def test_snapshot_when_encoded_then_decodes_to_itself(snapshot: BookSnapshot) -> None:
    message = _wire(marketdata.snapshot_full_refresh(snapshot))

    assert marketdata.decode_snapshot_full_refresh(message, VENUE, CLOCK) == snapshot


_increment_entries = st.builds(
    MDEntry,
    entry_type=_types,
    price=_prices,
    size=_sizes,
    action=st.sampled_from(list(MDUpdateAction)),
    symbol=_symbols,
    rpt_seq=st.integers(1, 2**40),
)


@settings(max_examples=60, deadline=None)
@given(
    st.builds(
        BookIncrement,
        venue=st.just(VENUE),
        md_req_id=st.one_of(st.none(), _ids),
        entries=st.lists(_increment_entries, min_size=1, max_size=12).map(tuple),
        ts_ns=st.just(42),
    )
)
def test_increment_when_encoded_then_decodes_to_itself(increment: BookIncrement) -> None:
    message = _wire(marketdata.incremental_refresh(increment))

    assert marketdata.decode_incremental_refresh(message, VENUE, CLOCK) == increment


@settings(max_examples=30, deadline=None)
@given(
    st.builds(
        MarketDataReject,
        session=st.just(SESSION),
        md_req_id=_ids,
        reason=st.sampled_from(list(MDReqRejReason)),
        text=st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=40),
    )
)
def test_reject_when_encoded_then_decodes_to_itself(reject: MarketDataReject) -> None:
    message = _wire(marketdata.market_data_request_reject(reject))

    assert marketdata.decode_market_data_request_reject(message, SESSION) == reject


def test_increment_when_encoded_then_each_entry_carries_its_fields_in_order() -> None:
    entry = MDEntry(
        entry_type=MDEntryType.OFFER,
        price=Decimal("100.10"),
        size=Decimal(0),
        action=MDUpdateAction.DELETE,
        symbol=Symbol("IBM"),
        rpt_seq=7,
    )
    increment = BookIncrement(venue=VENUE, md_req_id="S1", entries=(entry, entry))

    text = marketdata.incremental_refresh(increment).toString()

    assert "268=2\x01" + "279=2\x01269=1\x0155=IBM\x01270=100.1\x01271=0\x0183=7\x01" * 2 in text


def test_snapshot_when_empty_book_then_no_entries_round_trip() -> None:
    snapshot = BookSnapshot(venue=VENUE, md_req_id="S1", symbol=Symbol("MSFT"), entries=(), rpt_seq=0, ts_ns=42)

    assert marketdata.decode_snapshot_full_refresh(_wire(marketdata.snapshot_full_refresh(snapshot)), VENUE, CLOCK) == (
        snapshot
    )


V = ((35, "V"), (262, "R1"), (263, "1"), (264, "0"), (267, "2"), (269, "0"), (269, "1"), (146, "1"), (55, "MSFT"))


def request(**changes: str | None) -> SfFields:
    pairs = [(t, changes.get(f"t{t}", v)) for t, v in V]
    return sf(*[(t, v) for t, v in pairs if v is not None])


@pytest.mark.parametrize(
    ("changes", "reason", "named"),
    [
        ({"t263": "5"}, MDReqRejReason.UNSUPPORTED_SUBSCRIPTION_REQUEST_TYPE, "'5'"),
        ({"t264": "-1"}, MDReqRejReason.UNSUPPORTED_MARKET_DEPTH, "-1"),
        ({"t269": "B"}, MDReqRejReason.UNSUPPORTED_MD_ENTRY_TYPE, "'B'"),
    ],
)
def test_decode_request_when_not_served_then_refused_with_its_reason(
    changes: dict[str, str], reason: MDReqRejReason, named: str
) -> None:
    with pytest.raises(MarketDataRequestRefused) as refused:
        marketdata.decode_market_data_request(request(**changes), SESSION, CLOCK)

    reject = refused.value.reject(SESSION)
    assert (reject.md_req_id, reject.reason) == ("R1", reason)
    assert named in reject.text


@pytest.mark.parametrize(
    ("changes", "error", "tag"),
    [
        ({"t262": None}, RequiredTagMissing, 262),
        ({"t263": None}, RequiredTagMissing, 263),
        ({"t264": None}, RequiredTagMissing, 264),
        ({"t264": "x"}, IncorrectDataFormat, 264),
        ({"t267": "3"}, IncorrectTagValue, 267),
        ({"t146": None}, RequiredTagMissing, 146),
        ({"t55": None}, IncorrectTagValue, 146),
    ],
)
def test_decode_request_when_bad_fix_then_session_reject_naming_the_tag(
    changes: dict[str, str | None], error: type[Exception], tag: int
) -> None:
    with pytest.raises(error) as raised:
        marketdata.decode_market_data_request(request(**changes), SESSION, CLOCK)

    assert raised.value.tag == tag  # type: ignore[attr-defined]


def test_decode_increment_when_entry_has_bad_price_then_reject_names_270() -> None:
    fields = sf((35, "X"), (268, "1"), (279, "0"), (269, "0"), (55, "MSFT"), (270, "abc"), (271, "5"), (83, "1"))

    with pytest.raises(IncorrectDataFormat) as raised:
        marketdata.decode_incremental_refresh(fields, VENUE, CLOCK)

    assert raised.value.tag == 270


def test_decode_increment_when_bad_action_then_reject_names_279() -> None:
    fields = sf((35, "X"), (268, "1"), (279, "9"), (269, "0"), (270, "1"), (271, "5"))

    with pytest.raises(IncorrectTagValue) as raised:
        marketdata.decode_incremental_refresh(fields, VENUE, CLOCK)

    assert raised.value.tag == 279


def test_decode_increment_when_a_type_we_did_not_ask_for_then_left_out() -> None:
    fields = sf(
        (35, "X"), (268, "2"), (279, "0"), (269, "B"), (270, "1"), (271, "5"), (279, "2"), (269, "1"), (270, "2")
    )

    increment = marketdata.decode_incremental_refresh(fields, VENUE, CLOCK)

    assert increment.entries == (
        MDEntry(entry_type=MDEntryType.OFFER, price=Decimal(2), size=Decimal(0), action=MDUpdateAction.DELETE),
    )


def test_decode_increment_when_entries_carry_other_fields_or_another_order_then_same_entries() -> None:
    ours = sf(*[(35, "X"), (268, "2")], *_entry("0", "0", "1", "100.5", "7"), *_entry("2", "1", "2", "101", "0"))
    theirs = sf(
        *[(35, "X"), (268, "2")],
        *[(279, "0"), (278, "ID1"), (270, "100.5"), (269, "0"), (55, "MSFT"), (273, "10:00:00"), (271, "7"), (83, "1")],
        *[(279, "2"), (269, "1"), (55, "MSFT"), (270, "101"), (83, "2")],  # a delete without its size
    )

    decoded = marketdata.decode_incremental_refresh(ours, VENUE, CLOCK)

    assert marketdata.decode_incremental_refresh(theirs, VENUE, CLOCK) == decoded
    assert [(e.action, e.rpt_seq, e.size) for e in decoded.entries] == [
        (MDUpdateAction.NEW, 1, Decimal(7)),
        (MDUpdateAction.DELETE, 2, Decimal(0)),
    ]


def _entry(action: str, entry_type: str, seq: str, price: str, size: str) -> list[tuple[int, str]]:
    return [(279, action), (269, entry_type), (55, "MSFT"), (270, price), (271, size), (83, seq)]
