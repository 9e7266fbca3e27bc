"""Framing of one FIX message in a log: where it starts and ends, its SOH rewriting, its BodyLength and CheckSum.

Pure functions over bytes, used by ``replay.reader`` (and ``replay.shapes``' checks). See the reader's theory of
operation for why messages are found rather than assumed to be lines.
"""

from __future__ import annotations

import re
from typing import Final
from zlib import adler32

from replay.anomalies import AnomalyKind, Problem

SOH: Final = b"\x01"
BEGIN: Final = b"8=FIX"
# BeginString, then the delimiter (any run of up to 3 non-digits before the next "tag="), then BodyLength if
# it comes next (zero-padded values such as 9=0000095 read as ordinary integers).
HEAD: Final = re.compile(rb"8=(FIXT?\.\d\.\d(?:SP\d)?)([^0-9\r\n]{1,3}?)(?=\d{1,7}=)(?:9=(\d{1,9}))?")
_TRAILER: Final = re.compile(rb"10=(\d{0,3})")
_TAG: Final = re.compile(rb"\d{1,7}=")


def checksum(data: bytes) -> int:
    """Return the FIX CheckSum (10) of ``data``: the sum of its bytes modulo 256."""
    # adler32's low half is (1 + sum of the bytes) mod 65521, exact for up to 256 bytes (256 x 255 < 65521):
    # the sum is done in C, 256 bytes at a time, 8x faster than sum(data) on a typical message.
    if len(data) <= 256:
        return ((adler32(data) & 0xFFFF) - 1) & 0xFF
    view = memoryview(data)
    total = 0
    for start in range(0, len(data), 256):
        total += (adler32(view[start : start + 256]) & 0xFFFF) - 1
    return total & 0xFF


def split_terminator(data: bytes) -> tuple[bytes, bytes]:
    if data.endswith(b"\r\n"):
        return data[:-2], b"\r\n"
    if data.endswith(b"\n"):
        return data[:-1], b"\n"
    return data, b""


def frame(data: bytes, start: int) -> tuple[re.Match[bytes], int, int] | None:
    """Find the message starting at ``start``: its head, where ``10=`` starts and where it ends.

    None when ``start`` is no BeginString; a trailer position of -1 when the CheckSum is not in ``data``.
    """
    head = HEAD.match(data, start)
    if head is None:
        return None
    delimiter = head.group(2)
    length = head.group(3)
    after = head.end()
    trailer = -1
    if length is not None and len(delimiter) == 1 and data.startswith(delimiter, after):
        at = after + 1 + int(length)
        if data.startswith(b"10=", at) and data[at - 1 : at] == delimiter:
            trailer = at
    if trailer < 0:  # no BodyLength, a wrong one, or a two-byte delimiter: scan for the CheckSum field
        found = data.find(delimiter + b"10=", after)
        if found >= 0:
            following = data.find(BEGIN, after, found)
            trailer = found + len(delimiter) if following < 0 else -1
    if trailer < 0:
        return head, -1, -1
    match = _TRAILER.match(data, trailer)
    assert match is not None
    end = match.end()
    if data.startswith(delimiter, end):
        end += len(delimiter)
    return head, trailer, end


def normalise(raw: bytes, delimiter: bytes) -> bytes:
    """Rewrite a message with SOH delimiters; a delimiter inside a value (Text with spaces) stays."""
    if raw.endswith(delimiter):
        raw = raw[: -len(delimiter)]
    fields: list[bytes] = []
    for part in raw.split(delimiter):
        if fields and not _TAG.match(part):
            fields[-1] += delimiter + part
        else:
            fields.append(part)
    return SOH.join(fields) + SOH


def check(soh: bytes, declared_length: bytes | None, truncated: bool) -> list[Problem]:
    """BodyLength (9) and CheckSum (10) of an SOH-delimited message."""
    trailer = soh.rfind(b"\x0110=")
    if truncated or trailer < 0:
        return [Problem(AnomalyKind.TRUNCATED, "no CheckSum (10): the message is cut short")]
    problems: list[Problem] = []
    declared = soh[trailer + 4 : -1]
    computed = checksum(soh[: trailer + 1])
    if not declared.isdigit() or int(declared) != computed:
        problems.append(bad_checksum(declared, computed))
    if declared_length is None:
        problems.append(Problem(AnomalyKind.MISSING_TAG, "BodyLength (9) missing"))
    else:
        body_start = soh.find(SOH, soh.find(SOH) + 1) + 1
        counted = trailer + 1 - body_start
        if int(declared_length) != counted:
            text = f"BodyLength (9) is {int(declared_length)}, counted {counted}"
            problems.append(Problem(AnomalyKind.BAD_BODY_LENGTH, text))
    return problems


def bad_checksum(declared: bytes, computed: int) -> Problem:
    return Problem(
        AnomalyKind.BAD_CHECKSUM, f"CheckSum (10) is {declared.decode('latin-1')!r}, computed {computed:03d}"
    )
