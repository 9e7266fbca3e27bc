"""FIX UTCTimestamp text (SendingTime 52, TransactTime 60) to integer nanoseconds since the epoch."""

from __future__ import annotations

import calendar
import re
from typing import Final

_TIMESTAMP: Final = re.compile(r"(\d{4})(\d\d)(\d\d)-(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?")
_seconds: dict[str, int] = {}


def parse_utc_timestamp(text: str | None) -> int | None:
    """Return ``YYYYMMDD-HH:MM:SS[.fff...]`` as ns since the epoch; None when it is not one."""
    if not text:
        return None
    head = text[:17]
    second = _seconds.get(head)
    if second is None:  # timegm costs microseconds: once per distinct second
        match = _TIMESTAMP.fullmatch(text)
        if match is None:
            return None
        try:
            year, month, day, hour, minute, sec = (int(part) for part in match.groups()[:6])
            second = calendar.timegm((year, month, day, hour, minute, sec, 0, 0, 0))
        except (ValueError, OverflowError):
            return None
        if len(_seconds) > 100_000:
            _seconds.clear()
        _seconds[head] = second
    fraction = text[18:] if len(text) > 18 and text[17] == "." else ""
    if fraction and not fraction.isdigit():
        return None
    return second * 1_000_000_000 + (int(fraction.ljust(9, "0")[:9]) if fraction else 0)
