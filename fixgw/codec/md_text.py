"""FIX text helpers of the market data codec (``fixgw.codec.marketdata``): our dictionary, a grouped message from
body text, and the checks that turn a field's text into a value or a session Reject (``FixReject``) naming its tag.
"""

from __future__ import annotations

import functools
from decimal import Decimal, InvalidOperation
from pathlib import Path

import quickfix

from fixgw.codec.fields import MessageSource
from fixgw.codec.values import shown
from fixgw.errors import IncorrectDataFormat, IncorrectTagValue, RequiredTagMissing

SOH = "\x01"
DICTIONARY = Path(__file__).resolve().parents[2] / "specs" / "FIX44.xml"
"""The dictionary whose group layout the encoders follow (the venue's and the gateway's sessions use it)."""


@functools.cache
def dictionary() -> quickfix.DataDictionary:
    """Our FIX 4.4 dictionary, loaded once."""
    return quickfix.DataDictionary(str(DICTIONARY))


def grouped(msg_type: str, body: str) -> quickfix.Message:
    """One quickfix message from body text, its repeating groups kept as groups (parsed against the dictionary,
    not validated: the receiving session does that).

    The CheckSum (10) placeholder ends the text because quickfix keeps a group entry only when a field outside the
    group follows it; the session writes the real BodyLength (9) and CheckSum when it sends.
    """
    return quickfix.Message(f"35={msg_type}{SOH}{body}10=000{SOH}", dictionary(), False)


def required(message: MessageSource, tag: int) -> str:
    """The value of ``tag``; a missing or empty one is refused."""
    value = message.get(tag)
    if value is None or value == "":
        raise RequiredTagMissing(tag)
    return value


def group_start(raw: str, count_tag: str) -> int:
    """Where the fields after the group's count field begin; a message without the count field is refused."""
    at = raw.find(f"{SOH}{count_tag}=")
    if at < 0:
        raise RequiredTagMissing(int(count_tag))
    return raw.index(SOH, at + 1) + 1


def check_count(raw: str | None, tag: int, found: int, first_tag: int) -> None:
    """A group's count field against the entries found (quickfix checks it too; log replay does not)."""
    if raw is None:
        raise RequiredTagMissing(tag)
    number = integer(raw, tag)
    if number != found:
        raise IncorrectTagValue(tag, f"Tag {tag} says {number} entries, found {found}")
    if number == 0 and tag in (267, 146):
        raise RequiredTagMissing(first_tag, f"Tag {tag}: a MarketDataRequest needs at least one {first_tag}")


def integer(raw: str, tag: int) -> int:
    """``raw`` as a FIX int (digits, an optional minus)."""
    text = raw[1:] if raw.startswith("-") else raw
    if not text.isdigit() or not text.isascii():
        raise IncorrectDataFormat(tag, f"Tag {tag} value {shown(raw)} is not an integer")
    return int(raw)


def optional_integer(raw: str | None, tag: int) -> int | None:
    """``integer``, or None when absent or empty."""
    return None if raw is None or raw == "" else integer(raw, tag)


def decimal_value(raw: str | None, tag: int) -> Decimal:
    """``raw`` as a finite FIX Price/Qty; missing or not a number is refused."""
    if raw is None:
        raise RequiredTagMissing(tag)
    try:
        value = Decimal(raw)
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite():
        raise IncorrectDataFormat(tag, f"Tag {tag} value {shown(raw)} is not a number")
    return value
