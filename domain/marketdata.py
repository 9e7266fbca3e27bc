"""Market data as the domain sees it: FIX 4.4 MarketDataRequest (35=V), snapshots (35=W), incremental refreshes
(35=X) and rejects (35=Y), decoded into typed values (``fixgw.codec.marketdata``) and kept as L2 books
(``marketdata``). Prices and sizes are ``Decimal``; times are ns from the ``Clock``.

RptSeq (83) numbers each symbol's updates at a venue (our FIX 4.4 dictionary carries it in MDIncGrp and in 35=W, as
FIX 5.0 does): a book knows when it missed one.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Protocol

import msgspec

from domain.ids import SessionKey, Symbol, VenueId


class MDEntryType(StrEnum):
    """MDEntryType (269): what an entry is."""

    BID = "0"
    OFFER = "1"
    TRADE = "2"


class MDUpdateAction(StrEnum):
    """MDUpdateAction (279) of an incremental entry."""

    NEW = "0"
    CHANGE = "1"
    DELETE = "2"


class SubscriptionRequestType(StrEnum):
    """SubscriptionRequestType (263) of a MarketDataRequest."""

    SNAPSHOT = "0"
    SUBSCRIBE = "1"
    """Snapshot plus updates."""
    UNSUBSCRIBE = "2"


class MDReqRejReason(StrEnum):
    """MDReqRejReason (281) of a MarketDataRequestReject, the values FIX 4.4 enumerates that we use."""

    UNKNOWN_SYMBOL = "0"
    DUPLICATE_MD_REQ_ID = "1"
    INSUFFICIENT_PERMISSIONS = "3"
    UNSUPPORTED_SUBSCRIPTION_REQUEST_TYPE = "4"
    UNSUPPORTED_MARKET_DEPTH = "5"
    UNSUPPORTED_MD_UPDATE_TYPE = "6"
    UNSUPPORTED_AGGREGATED_BOOK = "7"
    UNSUPPORTED_MD_ENTRY_TYPE = "8"


class MDEntry(msgspec.Struct, frozen=True, kw_only=True):
    """One entry of a snapshot or an incremental refresh: a price level (bid or offer) or a trade."""

    entry_type: MDEntryType
    price: Decimal
    """MDEntryPx (270)."""
    size: Decimal
    """MDEntrySize (271): a level's whole size (0 in a delete), or a trade's quantity."""
    action: MDUpdateAction | None = None
    """MDUpdateAction (279): incremental entries only."""
    symbol: Symbol | None = None
    """Symbol (55): each incremental entry names its instrument; a snapshot names it once, for all."""
    rpt_seq: int | None = None
    """RptSeq (83): the symbol's update number at its venue (incremental entries)."""


class MarketDataRequest(msgspec.Struct, frozen=True, kw_only=True):
    """A MarketDataRequest (35=V): subscribe to, snapshot or unsubscribe from the books of some symbols."""

    session: SessionKey
    md_req_id: str
    """MDReqID (262): names the subscription (an unsubscribe names the one it ends)."""
    subscription: SubscriptionRequestType
    depth: int
    """MarketDepth (264): 0 the full book, 1 top of book, N levels a side."""
    entry_types: tuple[MDEntryType, ...]
    """NoMDEntryTypes (267) / MDEntryType (269)."""
    symbols: tuple[Symbol, ...]
    """NoRelatedSym (146) / Symbol (55)."""
    ts_ns: int = 0


class BookSnapshot(msgspec.Struct, frozen=True, kw_only=True):
    """A MarketDataSnapshotFullRefresh (35=W): one symbol's whole book (to the requested depth) and last trade."""

    venue: VenueId
    md_req_id: str | None
    symbol: Symbol
    entries: tuple[MDEntry, ...]
    rpt_seq: int | None = None
    """RptSeq (83) of the last update the snapshot includes: the next increment is rpt_seq + 1."""
    ts_ns: int = 0
    """When it arrived (or was made)."""


class BookIncrement(msgspec.Struct, frozen=True, kw_only=True):
    """A MarketDataIncrementalRefresh (35=X): level changes and trades, each entry naming its symbol."""

    venue: VenueId
    md_req_id: str | None
    entries: tuple[MDEntry, ...]
    ts_ns: int = 0


class MarketDataReject(msgspec.Struct, frozen=True, kw_only=True):
    """A MarketDataRequestReject (35=Y) for a request that cannot be served; Text (58) names the problem."""

    session: SessionKey
    md_req_id: str
    reason: MDReqRejReason
    text: str


class MarksSampled(msgspec.Struct, frozen=True, kw_only=True):
    """The consolidated mid of every symbol that has a usable one, sampled at ``ts_ns`` (one sample every
    ``[risk.var] interval_ms``): what portfolio risk marks positions to and estimates volatilities from."""

    ts_ns: int
    mids: dict[str, Decimal]
    """Symbols with no usable mid (no book, one-sided, crossed, stale) are left out."""


class Quotes(Protocol):
    """What the rest of the gateway reads of the live books (``marketdata.books.MarketBooks``): consolidated across
    venues, thread-safe and non-blocking (the order path calls it), ``None`` where there is no usable price.

    A book is usable when it is built from a snapshot, not crossed or locked, and not stale (no update within the
    configured time while its session is up).
    """

    def bid_ask(self, symbol: str) -> tuple[Decimal | None, Decimal | None]:
        """The consolidated best bid and best offer over the symbol's usable books (either may be ``None``)."""
        ...

    def mid(self, symbol: str) -> tuple[Decimal | None, str]:
        """The consolidated mid, or ``None`` and why not ("no book", "one-sided", "stale", "crossed")."""
        ...

    def last_trade(self, symbol: str) -> Decimal | None:
        """The latest trade price any venue published for the symbol."""
        ...


class NoQuotes:
    """``Quotes`` for a gateway without market data: no prices at all."""

    def bid_ask(self, symbol: str) -> tuple[Decimal | None, Decimal | None]:
        return None, None

    def mid(self, symbol: str) -> tuple[Decimal | None, str]:
        return None, "no market data"

    def last_trade(self, symbol: str) -> Decimal | None:
        return None


class BookFeed(Protocol):
    """Where a venue's market data session delivers what it decodes (the books, through ``marketdata.feed``)."""

    def on_snapshot(self, snapshot: BookSnapshot) -> bool:
        """Replace the symbol's book at the venue; True when it still needs a fresh snapshot (e.g. it is crossed)."""
        ...

    def on_increment(self, increment: BookIncrement) -> list[Symbol]:
        """Apply a refresh; return the symbols whose book found a problem (gap, missing level, crossed) and needs a
        fresh snapshot."""
        ...

    def reset(self, venue: VenueId) -> None:
        """The venue's market data session is down: its books wait for new snapshots and are not used."""
        ...


class MarketDataDesk(Protocol):
    """What serves clients' MarketDataRequests (35=V) from the consolidated books (``marketdata.clients``)."""

    def request(self, request: MarketDataRequest) -> MarketDataReject | None:
        """Start, snapshot or end a subscription; the reject (35=Y) when it cannot be served."""
        ...

    def session_down(self, session: SessionKey) -> None:
        """The client's session logged out: its subscriptions end."""
        ...
