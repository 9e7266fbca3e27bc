"""A received message as the audit trail keeps it: readable FIX text that gives back every byte (pure: the FIX
edge writes it, the book of record and the CLI read it).

The audit trail shows a message as FIX text with SOH written ``|``. A message is bytes of unknown encoding, and
the book's text columns take neither NUL (PostgreSQL) nor bytes that are not UTF-8 (issue 12), so the text is
made reversible: a byte outside printable ASCII, and ``|`` and ``\\`` themselves, are written ``\\xHH``. An
ordinary message (printable ASCII, no ``|`` or ``\\`` in a value) reads exactly as before, and ``audit_bytes``
turns any such text back into the message's bytes.
"""

from __future__ import annotations

import re

from domain.bounds import ID_LENGTH

SOH = "\x01"
_ESCAPE = re.compile(r"(\\x[0-9a-f]{2})")


def audit_text(raw: str) -> str:
    """``raw`` (a message as the binding decodes it: bytes that are not UTF-8 as lone surrogates) as audit text."""
    text = raw.replace(SOH, "|")
    if text.isascii() and text.isprintable() and "|" not in raw and "\\" not in raw:
        return text  # the common case: nothing to escape
    out = []
    for char in raw:
        if char == SOH:
            out.append("|")
        elif " " <= char <= "~" and char not in "|\\":
            out.append(char)
        else:
            out.extend(f"\\x{byte:02x}" for byte in char.encode("utf-8", "surrogateescape"))
    return "".join(out)


def audit_bytes(text: str) -> bytes:
    """The message's bytes from its audit text (the inverse of ``audit_text``)."""
    out = bytearray()
    for part in _ESCAPE.split(text):  # a backslash only ever starts an escape: its own is one (\x5c)
        if part.startswith("\\x") and len(part) == 4:
            out.append(int(part[2:], 16))
        else:
            out += part.replace("|", SOH).encode("ascii")
    return bytes(out)


def audit_id(value: str | None, size: int = ID_LENGTH) -> str | None:
    """A value the audit row is found by (ClOrdID (11), MsgType (35)): as it came when it is printable ASCII that
    fits the column, else its audit text cut to the column's ``size`` (the message itself is in the row whole)."""
    if value is None or (len(value) <= size and value.isascii() and value.isprintable()):
        return value
    return audit_text(value)[:size]
