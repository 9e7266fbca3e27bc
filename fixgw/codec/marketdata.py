"""Market data over FIX 4.4: MarketDataRequest (35=V), MarketDataSnapshotFullRefresh (35=W),
MarketDataIncrementalRefresh (35=X) and MarketDataRequestReject (35=Y), to and from ``domain.marketdata``.

Theory of operation. The four messages are mostly repeating groups: NoMDEntryTypes (267) and NoRelatedSym (146)
in 35=V, NoMDEntries (268) in 35=W and 35=X. Decoding reads the message's FIX text once, front to back (quickfix
writes each group entry's fields in the dictionary's order, delimiter first: 279 in MDIncGrp, 269 in MDFullGrp),
so a 35=X of five entries costs one split and one pass, not a lookup per field per entry. Encoding writes FIX text
and has quickfix parse it once against our FIX 4.4 dictionary: without a dictionary quickfix sorts every body field
by tag and the entries of a group would be shuffled together.

Errors. A missing required tag or a value that is not of its FIX type is a session Reject (``FixReject``: 35=3
naming the tag), as for orders. A well-formed 35=V asking for what is not served (SubscriptionRequestType (263)
other than 0/1/2, a negative MarketDepth (264), an MDEntryType (269) other than bid, offer or trade) raises
``MarketDataRequestRefused``, which the server answers with 35=Y and the MDReqRejReason (281) it names.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

import quickfix

from domain.bounds import ID_LENGTH, NAME_LENGTH
from domain.clock import Clock
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
from fixgw.codec.fields import MessageSource
from fixgw.codec.md_text import (
    SOH,
    check_count,
    decimal_value,
    group_start,
    grouped,
    integer,
    optional_integer,
    required,
)
from fixgw.codec.outbound import format_decimal
from fixgw.codec.values import checked_identifier, identifier, optional_identifier, safe_text, shown
from fixgw.errors import (
    FixReject,
    IncorrectDataFormat,
    IncorrectTagValue,
    MarketDataRequestRefused,
    RequiredTagMissing,
)

_ENTRY_TYPES: dict[str, MDEntryType] = {t.value: t for t in MDEntryType}
_ACTIONS: dict[str, MDUpdateAction] = {a.value: a for a in MDUpdateAction}
_SUBSCRIPTIONS: dict[str, SubscriptionRequestType] = {s.value: s for s in SubscriptionRequestType}
_REASONS: dict[str, MDReqRejReason] = {r.value: r for r in MDReqRejReason}
_ZERO = Decimal(0)


# -- MarketDataRequest (35=V) ----------------------------------------------------------------------------------


def decode_market_data_request(message: MessageSource, session: SessionKey, clock: Clock) -> MarketDataRequest:
    """Decode a MarketDataRequest (35=V); raise ``FixReject`` for bad FIX, ``MarketDataRequestRefused`` for a
    request that is well-formed but not served."""
    md_req_id = identifier(message, 262, ID_LENGTH)
    raw_type = required(message, 263)
    depth = integer(required(message, 264), 264)
    entry_types, symbols = _request_groups(message.raw)
    subscription = _SUBSCRIPTIONS.get(raw_type)
    if subscription is None:
        text = f"SubscriptionRequestType (263) {shown(raw_type)} is not supported (0, 1 or 2)"
        raise MarketDataRequestRefused(md_req_id, MDReqRejReason.UNSUPPORTED_SUBSCRIPTION_REQUEST_TYPE, text)
    if depth < 0:
        text = f"MarketDepth (264) {depth} is not supported (0 for the full book, or N levels a side)"
        raise MarketDataRequestRefused(md_req_id, MDReqRejReason.UNSUPPORTED_MARKET_DEPTH, text)
    unsupported = [t for t in entry_types if t not in _ENTRY_TYPES]
    if unsupported:
        text = f"MDEntryType (269) {shown(unsupported[0])} is not supported (0 bid, 1 offer, 2 trade)"
        raise MarketDataRequestRefused(md_req_id, MDReqRejReason.UNSUPPORTED_MD_ENTRY_TYPE, text)
    return MarketDataRequest(
        session=session,
        md_req_id=md_req_id,
        subscription=subscription,
        depth=depth,
        entry_types=tuple(_ENTRY_TYPES[t] for t in entry_types),
        symbols=tuple(Symbol(checked_identifier(s, 55, NAME_LENGTH)) for s in symbols),
        ts_ns=clock.now_ns(),
    )


def _request_groups(raw: str) -> tuple[list[str], list[str]]:
    """NoMDEntryTypes (267) / MDEntryType (269) and NoRelatedSym (146) / Symbol (55): in a 35=V each of 269 and 55
    appears only inside its group, so one pass collects both in order."""
    entry_types: list[str] = []
    symbols: list[str] = []
    counts: dict[str, str] = {}
    for part in raw.split(SOH):
        tag, _, value = part.partition("=")
        if tag == "269":
            entry_types.append(value)
        elif tag == "55":
            symbols.append(value)
        elif tag in ("267", "146"):
            counts[tag] = value
    check_count(counts.get("267"), 267, len(entry_types), 269)
    check_count(counts.get("146"), 146, len(symbols), 55)
    return entry_types, symbols


def market_data_request(request: MarketDataRequest) -> quickfix.Message:
    """Encode a MarketDataRequest (35=V)."""
    parts = [
        f"262={request.md_req_id}{SOH}263={request.subscription.value}{SOH}264={request.depth}{SOH}"
        f"267={len(request.entry_types)}{SOH}"
    ]
    parts += [f"269={t.value}{SOH}" for t in request.entry_types]
    parts.append(f"146={len(request.symbols)}{SOH}")
    parts += [f"55={s}{SOH}" for s in request.symbols]
    return grouped("V", "".join(parts))


# -- MarketDataSnapshotFullRefresh (35=W) ----------------------------------------------------------------------


def snapshot_full_refresh(snapshot: BookSnapshot) -> quickfix.Message:
    """Encode a MarketDataSnapshotFullRefresh (35=W): the symbol once, RptSeq (83), then one entry per level or
    trade (269, 270, 271)."""
    parts = [f"262={snapshot.md_req_id}{SOH}" if snapshot.md_req_id else "", f"55={snapshot.symbol}{SOH}"]
    if snapshot.rpt_seq is not None:
        parts.append(f"83={snapshot.rpt_seq}{SOH}")
    parts.append(f"268={len(snapshot.entries)}{SOH}")
    parts += [
        f"269={e.entry_type.value}{SOH}270={format_decimal(e.price)}{SOH}271={format_decimal(e.size)}{SOH}"
        for e in snapshot.entries
    ]
    return grouped("W", "".join(parts))


def decode_snapshot_full_refresh(message: MessageSource, venue: VenueId, clock: Clock) -> BookSnapshot:
    """Decode a MarketDataSnapshotFullRefresh (35=W); entries of types other than bid, offer and trade are left
    out (a venue may add statistics we did not ask for)."""
    raw = message.raw
    start = group_start(raw, "268")
    entries: list[MDEntry] = []
    count = 0
    entry_type: str | None = None
    price = size = None
    for part in raw[start:].split(SOH):
        tag, _, value = part.partition("=")
        if tag == "269":
            if entry_type is not None:
                _add_snapshot_entry(entries, entry_type, price, size)
            count += 1
            entry_type, price, size = value, None, None
        elif tag == "270":
            price = value
        elif tag == "271":
            size = value
        elif tag == "10":
            break
    if entry_type is not None:
        _add_snapshot_entry(entries, entry_type, price, size)
    check_count(message.get(268), 268, count, 269)
    md_req_id = optional_identifier(message, 262, ID_LENGTH)
    return BookSnapshot(
        venue=venue,
        md_req_id=md_req_id,
        symbol=Symbol(identifier(message, 55, NAME_LENGTH)),
        entries=tuple(entries),
        rpt_seq=optional_integer(message.get(83), 83),
        ts_ns=clock.now_ns(),
    )


def _add_snapshot_entry(entries: list[MDEntry], entry_type: str, price: str | None, size: str | None) -> None:
    kind = _ENTRY_TYPES.get(entry_type)
    if kind is not None:
        entries.append(MDEntry(entry_type=kind, price=decimal_value(price, 270), size=decimal_value(size, 271)))


# -- MarketDataIncrementalRefresh (35=X) -----------------------------------------------------------------------


def incremental_refresh(increment: BookIncrement) -> quickfix.Message:
    """Encode a MarketDataIncrementalRefresh (35=X): per entry MDUpdateAction (279), MDEntryType (269), Symbol
    (55), MDEntryPx (270), MDEntrySize (271) and RptSeq (83)."""
    parts = [f"262={increment.md_req_id}{SOH}" if increment.md_req_id else "", f"268={len(increment.entries)}{SOH}"]
    for e in increment.entries:
        action = (e.action or MDUpdateAction.NEW).value
        symbol = f"55={e.symbol}{SOH}" if e.symbol is not None else ""
        seq = f"83={e.rpt_seq}{SOH}" if e.rpt_seq is not None else ""
        parts.append(
            f"279={action}{SOH}269={e.entry_type.value}{SOH}{symbol}270={format_decimal(e.price)}{SOH}"
            f"271={format_decimal(e.size)}{SOH}{seq}"
        )
    return grouped("X", "".join(parts))


def decode_incremental_refresh(message: MessageSource, venue: VenueId, clock: Clock) -> BookIncrement:
    """Decode a MarketDataIncrementalRefresh (35=X).

    The hot path of market data. Entries as quickfix writes ours (279, 269, 55, 270, 271, 83, in the dictionary's
    order) are read by one regular expression over the group, in C, with no work per field in Python; anything else
    (other fields in an entry, a missing one, a bad value) is read by a pass over the fields that names the tag
    at fault. An entry of a type other than bid, offer or trade is left out; a delete may omit its size (0).
    """
    raw = message.raw
    start = group_start(raw, "268")
    count = integer(required(message, 268), 268)
    entries = _common_entries(raw, start, count)
    if entries is None:
        entries = _any_entries(raw, start, count)
    md_req_id = message.get(262)
    return BookIncrement(
        venue=venue,
        md_req_id=checked_identifier(md_req_id, 262, ID_LENGTH) if md_req_id else None,
        entries=tuple(entries),
        ts_ns=clock.now_ns(),
    )


_COMMON_ENTRY = re.compile(
    "\x01279=([0-2])\x01269=([0-2])\x0155=([^\x01]+)\x01270=(-?[0-9]*\\.?[0-9]+)\x01271=([0-9]*\\.?[0-9]+)"
    "\x0183=([0-9]{1,18})(?=\x01)"
)
"""One MDIncGrp entry of exactly the fields we send, in the dictionary's order, each value of its FIX type."""


def _common_entries(raw: str, start: int, count: int) -> list[MDEntry] | None:
    """The entries if every one is of the common shape (``_COMMON_ENTRY``), else None."""
    found = _COMMON_ENTRY.findall(raw, start - 1)  # from the SOH that ends the count field
    if len(found) != count:
        return None
    types, actions = _ENTRY_TYPES, _ACTIONS  # the pattern admits only values both hold
    entries = []
    for action, entry_type, symbol, price, size, seq in found:  # a Symbol is a str: no call to make it one
        entries.append(
            MDEntry(
                entry_type=types[entry_type],
                price=Decimal(price),
                size=Decimal(size),
                action=actions[action],
                symbol=symbol,
                rpt_seq=int(seq),
            )
        )
    return entries


def _any_entries(raw: str, start: int, count: int) -> list[MDEntry]:
    """The entries read field by field: any order after 279, other fields skipped, errors naming their tag."""
    entries: list[MDEntry] = []
    found = 0
    action = entry_type = symbol = price = size = seq = None
    for part in raw[start:].split(SOH):
        tag, _, value = part.partition("=")
        if tag == "279":
            if action is not None:
                _add_increment_entry(entries, action, entry_type, symbol, price, size, seq)
            found += 1
            action, entry_type, symbol, price, size, seq = value, None, None, None, None, None
        elif tag == "269":
            entry_type = value
        elif tag == "55":
            symbol = value
        elif tag == "270":
            price = value
        elif tag == "271":
            size = value
        elif tag == "83":
            seq = value
        elif tag == "10":
            break
    if action is not None:
        _add_increment_entry(entries, action, entry_type, symbol, price, size, seq)
    check_count(str(count), 268, found, 279)
    return entries


def _add_increment_entry(
    entries: list[MDEntry],
    action: str,
    entry_type: str | None,
    symbol: str | None,
    price: str | None,
    size: str | None,
    seq: str | None,
) -> None:
    kind = _ENTRY_TYPES.get(entry_type or "")
    update = _ACTIONS.get(action)
    if kind is None or update is None or price is None or size is None:
        if update is None:
            raise IncorrectTagValue(279, f"MDUpdateAction (279) value {shown(action)} is not supported")
        if entry_type is None:
            raise RequiredTagMissing(269)
        if kind is None:
            return  # a type we did not ask for
        if price is None:
            raise RequiredTagMissing(270)
        if update is not MDUpdateAction.DELETE:
            raise RequiredTagMissing(271)
    try:
        entry = MDEntry(
            entry_type=kind,
            price=Decimal(price),
            size=_ZERO if size is None else Decimal(size),
            action=update,
            symbol=Symbol(symbol) if symbol is not None else None,
            rpt_seq=int(seq) if seq is not None else None,
        )
    except (InvalidOperation, ValueError):
        raise _bad_number(price, size, seq) from None
    if not (entry.price.is_finite() and entry.size.is_finite()):
        raise _bad_number(price, size, seq)
    entries.append(entry)


def _bad_number(price: str, size: str | None, seq: str | None) -> FixReject:
    """The session Reject naming the field of an entry that is not a number (only on bad input)."""
    for tag, raw in ((270, price), (271, size)):
        if raw is not None:
            try:
                decimal_value(raw, tag)
            except FixReject as exc:
                return exc
    return IncorrectDataFormat(83, f"RptSeq (83) value {shown(seq or '')} is not an integer")


# -- MarketDataRequestReject (35=Y) ----------------------------------------------------------------------------


def market_data_request_reject(reject: MarketDataReject) -> quickfix.Message:
    """Encode a MarketDataRequestReject (35=Y) with MDReqRejReason (281) and a Text (58) naming the problem."""
    text = safe_text(reject.text) or ""
    return grouped("Y", f"262={reject.md_req_id}{SOH}281={reject.reason.value}{SOH}58={text}{SOH}")


def decode_market_data_request_reject(message: MessageSource, session: SessionKey) -> MarketDataReject:
    """Decode a MarketDataRequestReject (35=Y); a reason outside those we model is refused naming tag 281."""
    raw_reason = required(message, 281)
    reason = _REASONS.get(raw_reason)
    if reason is None:
        raise IncorrectTagValue(281, f"MDReqRejReason (281) value {shown(raw_reason)} is not supported")
    return MarketDataReject(
        session=session,
        md_req_id=identifier(message, 262, ID_LENGTH),
        reason=reason,
        text=safe_text(message.get(58)) or "",
    )
