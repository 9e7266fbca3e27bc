"""Market data values for the book tests: levels, increments and snapshots written as briefly as the rules."""

from __future__ import annotations

from decimal import Decimal

from domain.ids import Symbol, VenueId
from domain.marketdata import BookIncrement, BookSnapshot, MDEntry, MDEntryType, MDUpdateAction

BID, OFFER, TRADE = MDEntryType.BID, MDEntryType.OFFER, MDEntryType.TRADE
NEW, CHANGE, DELETE = MDUpdateAction.NEW, MDUpdateAction.CHANGE, MDUpdateAction.DELETE
D = Decimal


def level(kind: MDEntryType, price: str, size: str) -> MDEntry:
    """A snapshot entry: a price level (bid or offer) or a trade."""
    return MDEntry(entry_type=kind, price=D(price), size=D(size))


def inc(
    action: MDUpdateAction | None,
    kind: MDEntryType,
    price: str,
    size: str = "0",
    seq: int | None = None,
    symbol: str = "MSFT",
) -> MDEntry:
    """An incremental entry (a trade's action is NEW, as venues send it)."""
    return MDEntry(entry_type=kind, price=D(price), size=D(size), action=action, symbol=Symbol(symbol), rpt_seq=seq)


def snapshot(
    *entries: MDEntry, seq: int | None = None, symbol: str = "MSFT", venue: str = "V1", ts_ns: int = 0
) -> BookSnapshot:
    """A 35=W of one symbol."""
    return BookSnapshot(
        venue=VenueId(venue), md_req_id="R1", symbol=Symbol(symbol), entries=entries, rpt_seq=seq, ts_ns=ts_ns
    )


def increment(*entries: MDEntry, venue: str = "V1") -> BookIncrement:
    """A 35=X."""
    return BookIncrement(venue=VenueId(venue), md_req_id="R1", entries=entries)


def ladder(bids: str = "99.5:10 99:20", offers: str = "100:5 100.5:15") -> tuple[MDEntry, ...]:
    """Snapshot levels from 'price:size' lists."""
    out = [level(BID, *item.split(":")) for item in bids.split()]
    return (*out, *(level(OFFER, *item.split(":")) for item in offers.split()))
