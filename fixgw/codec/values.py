"""Field values from the wire, checked against what FIX allows and what the book of record can hold.

Theory of operation (issue 12). A value arrives as bytes of unknown encoding; the binding hands it to us as text
with undecodable bytes kept as surrogates (``surrogateescape``). What the gateway keeps and echoes must round-trip
exactly into the book, the audit trail and every report, and must be something its own message store can resend.
So:

- an *identifier* (ClOrdID, OrigClOrdID, OrderID, ExecID, Account, Symbol, ...) is printable ASCII (space to
  ``~``) and no longer than its column: anything else is refused with a session Reject naming the tag (373=6 for
  the bytes, 373=5 for the length). What passes is stored and echoed byte for byte.
- a *number* is a FIX float (digits, one optional ``.``, an optional leading ``-``: no exponent, no ``+``, no
  spaces, no ``NaN``) that NUMERIC(38, 12) holds: 26 digits before the point and 12 after, once leading and
  trailing zeros are dropped (373=6 for the format, 373=5 for the size).
- *free text* from a counterparty (Text (58) of a venue's report) is never refused for its bytes: it is made safe
  (``safe_text``) before it is stored or echoed.
"""

from __future__ import annotations

import re
from decimal import Decimal

from domain.bounds import MONEY_INTEGER_DIGITS, MONEY_SCALE
from fixgw.codec.fields import FieldSource
from fixgw.errors import IncorrectDataFormat, IncorrectTagValue, RequiredTagMissing

_FIX_FLOAT = re.compile(r"-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)")
_PRINTABLE_ASCII = re.compile(r"[ -~]*")


def shown(raw: str, limit: int = 32) -> str:
    """``raw`` as it may appear in a Text (58) we send: quoted, at most ``limit`` characters, printable ASCII."""
    text = "'" + "".join(c if " " <= c <= "~" else _escape(c) for c in raw[:limit]) + "'"
    return text + "..." if len(raw) > limit else text


def identifier(fields: FieldSource, tag: int, max_length: int) -> str:
    """Return the required identifier ``tag``, or raise the session reject it calls for."""
    raw = fields.get(tag)
    if raw is None or raw == "":
        raise RequiredTagMissing(tag)
    return checked_identifier(raw, tag, max_length)


def optional_identifier(fields: FieldSource, tag: int, max_length: int) -> str | None:
    """Return the identifier ``tag``, None when absent or empty."""
    raw = fields.get(tag)
    if raw is None or raw == "":
        return None
    return checked_identifier(raw, tag, max_length)


def checked_identifier(raw: str, tag: int, max_length: int) -> str:
    """``raw`` if it is printable ASCII of at most ``max_length`` characters; else raise 373=6 or 373=5."""
    if not _PRINTABLE_ASCII.fullmatch(raw):
        raise IncorrectDataFormat(tag, f"Tag {tag} value {shown(raw)} holds bytes other than printable ASCII")
    if len(raw) > max_length:
        raise IncorrectTagValue(tag, f"Tag {tag} value {shown(raw)} is longer than {max_length} characters")
    return raw


def required_decimal(fields: FieldSource, tag: int) -> Decimal:
    """Return ``tag`` as a Decimal the book can hold, or raise ``RequiredTagMissing``."""
    value = optional_decimal(fields, tag)
    if value is None:
        raise RequiredTagMissing(tag)
    return value


def optional_decimal(fields: FieldSource, tag: int) -> Decimal | None:
    """Return ``tag`` as a Decimal the book can hold, None when absent."""
    raw = fields.get(tag)
    if raw is None or raw == "":
        return None
    return checked_decimal(raw, tag)


def checked_decimal(raw: str, tag: int) -> Decimal:
    """``raw`` as a Decimal if it is a FIX float that NUMERIC(38, 12) holds; else raise 373=6 or 373=5."""
    if not _FIX_FLOAT.fullmatch(raw):
        raise IncorrectDataFormat(
            tag,
            f"Tag {tag} value {shown(raw)} is not a number (FIX float: digits, an "
            "optional '.' and an optional leading '-')",
        )
    whole, _, fraction = raw.lstrip("-").partition(".")
    if len(whole.lstrip("0")) > MONEY_INTEGER_DIGITS or len(fraction.rstrip("0")) > MONEY_SCALE:
        raise IncorrectTagValue(
            tag,
            f"Tag {tag} value {shown(raw)} is out of range: at most "
            f"{MONEY_INTEGER_DIGITS} digits before the point and {MONEY_SCALE} after",
        )
    value = Decimal(raw)
    return value if value else abs(value)  # -0 is 0: the book never keeps a sign a zero does not have


def safe_text(raw: str | None) -> str | None:
    """Free text from a counterparty, safe to store and to echo: printable characters kept, anything else (control
    bytes, NUL, bytes that were not UTF-8) written as an escape such as ``\\x00``."""
    if raw is None or raw.isprintable():
        return raw
    return "".join(c if c.isprintable() else _escape(c) for c in raw)


def _escape(char: str) -> str:
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8, kept by the binding as a lone surrogate
        return f"\\x{code - 0xDC00:02x}"
    return ascii(char)[1:-1]
