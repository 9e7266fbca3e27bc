"""Secrets never reach a log: the same redaction rule as our quickfix patch's ``FIX::redactSecrets``.

quickfix's own logs (FileLog, ScreenLog, the message store's copy of a Logon) are redacted in C++ by the patch
(patches/README.md). This module applies the identical rule to anything our Python code logs, through
``RedactingFilter`` on the log handlers, so a raw message quoted in an error never leaks a password either.

The rule: the values of Password (554), NewPassword (925), EncryptedPassword (1402) and EncryptedNewPassword
(1404) become ``********`` wherever a field starts (text start or after SOH); RawData (96) too in a Logon
(35=A), where venues carry credentials, its extent taken from RawDataLength (95) because data may contain SOH.
"""

from __future__ import annotations

import logging
import re
from typing import Final

MASK: Final = "********"
SECRET_TAGS: Final = frozenset({554, 925, 1402, 1404})
_RAW_DATA_LENGTH, _RAW_DATA = 95, 96
_MARKERS: Final = tuple(f"\x01{tag}=" for tag in (*sorted(SECRET_TAGS), _RAW_DATA))
_TAG = re.compile(r"(\d{1,9})=")


def redact(text: str) -> str:
    """Return ``text`` (a raw FIX message or a line quoting one) with every secret value masked."""
    if not any(marker in text for marker in _MARKERS):
        return text
    logon = "\x0135=A\x01" in text
    out: list[str] = []
    pos, raw_data_length = 0, -1
    while pos <= len(text):
        end = text.find("\x01", pos)
        end = len(text) if end < 0 else end
        field = _TAG.match(text, pos, end)
        tag = int(field.group(1)) if field else -1
        if tag == _RAW_DATA_LENGTH and field:
            digits = re.match(r"\d+", text[field.end() : end])
            raw_data_length = int(digits.group()) if digits else -1
        if tag == _RAW_DATA and field and raw_data_length >= 0:
            data_end = field.end() + raw_data_length
            if data_end == len(text) or (data_end < len(text) and text[data_end] == "\x01"):
                end = data_end
        if field and (tag in SECRET_TAGS or (tag == _RAW_DATA and logon)):
            out.append(text[pos : field.end()] + MASK)
        else:
            out.append(text[pos:end])
        if end >= len(text):
            break
        out.append("\x01")
        pos = end + 1
    return "".join(out)


class RedactingFilter(logging.Filter):
    """Mask FIX secrets in every record a handler emits (install it on handlers, not loggers)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Replace the record's message by its redacted text; never drop a record."""
        message = record.getMessage()
        redacted = redact(message)
        if redacted is not message and redacted != message:
            record.msg, record.args = redacted, None
        return True
