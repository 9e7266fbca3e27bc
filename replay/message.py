"""One FIX message found in a log: its fields, where it was, which way it went, what is wrong with it."""

from __future__ import annotations

import re
from typing import Final

import msgspec
import simplefix
from simplefix.data import RAW_LEN_TAGS
from simplefix.errors import ParsingError

from replay.anomalies import Problem
from replay.prefixes import Direction

_KEYS: Final = tuple(str(tag) for tag in range(1000))
_RAW_LENGTH: Final = re.compile(b"\x01(?:" + b"|".join(str(t).encode() for t in RAW_LEN_TAGS) + b")=")


class Tags(msgspec.Struct, gc=False, array_like=True):
    """The tags replay works with, by their FIX names; "" when the message has none."""

    msg_type: str  # 35
    seq_num: str  # 34
    sender: str  # 49
    target: str  # 56
    sending_time: str  # 52
    poss_dup: str  # 43
    poss_resend: str  # 97
    new_seq_no: str  # 36
    gap_fill: str  # 123
    reset_seq_num: str  # 141
    ref_seq_num: str  # 45
    ref_msg_type: str  # 372
    account: str  # 1
    avg_px: str  # 6
    cl_ord_id: str  # 11
    cum_qty: str  # 14
    exec_id: str  # 17
    exec_ref_id: str  # 19
    exec_trans_type: str  # 20
    last_px: str  # 31
    last_qty: str  # 32
    order_id: str  # 37
    order_qty: str  # 38
    ord_status: str  # 39
    ord_type: str  # 40
    orig_cl_ord_id: str  # 41
    price: str  # 44
    side: str  # 54
    symbol: str  # 55
    text: str  # 58
    time_in_force: str  # 59
    transact_time: str  # 60
    ord_rej_reason: str  # 103
    exec_type: str  # 150
    leaves_qty: str  # 151
    begin_string: str  # 8
    body_length: str  # 9
    checksum: str  # 10


TAGS: Final = (
    "35",
    "34",
    "49",
    "56",
    "52",
    "43",
    "97",
    "36",
    "123",
    "141",
    "45",
    "372",
    "1",
    "6",
    "11",
    "14",
    "17",
    "19",
    "20",
    "31",
    "32",
    "37",
    "38",
    "39",
    "40",
    "41",
    "44",
    "54",
    "55",
    "58",
    "59",
    "60",
    "103",
    "150",
    "151",
    "8",
    "9",
    "10",
)
"""The tag numbers of ``Tags``' fields, in their order."""


def tags_from(data: dict[str, str]) -> Tags:
    """``Tags`` from a ``{tag: value}`` mapping."""
    return Tags(*[data.get(tag, "") for tag in TAGS])


class LogFields(msgspec.Struct, gc=False):
    """A message's fields as a ``FieldSource`` (first occurrence of a tag wins), header and body alike.

    ``data`` is the underlying ``{"35": "8", ...}`` mapping.
    """

    data: dict[str, str]

    def get(self, tag: int) -> str | None:
        """Return the value of ``tag`` or None."""
        return self.data.get(_KEYS[tag] if tag < 1000 else str(tag))

    def header(self, tag: int) -> str | None:
        """Return the value of ``tag`` or None (a flat message: header and body share one namespace)."""
        return self.get(tag)

    def as_dict(self) -> dict[int, str]:
        """Return the fields keyed by tag number."""
        return {int(tag): value for tag, value in self.data.items()}


def parse_fields(soh: bytes) -> tuple[dict[str, str], str | None]:
    """Return ``{tag: value}`` of an SOH-delimited message (first occurrence wins) and its first malformed field."""
    text = soh.decode("latin-1")
    if text.count("=") == text.count("\x01"):
        # No "=" inside a value: one split in C gives tag, value, tag, value... Reversed, so the first wins.
        tokens = text.replace("=", "\x01").split("\x01")
        tags = tokens[-3::-2]
        if "".join(tags).isdigit():
            return dict(zip(tags, tokens[-2::-2], strict=True)), None
    if _RAW_LENGTH.search(soh):
        parsed = _simplefix_fields(soh)
        if parsed is not None:
            return parsed, None
    data: dict[str, str] = {}
    malformed: str | None = None
    for part in text.split("\x01"):
        tag, sep, value = part.partition("=")
        if sep and tag.isdigit():
            data.setdefault(tag, value)
        elif part and malformed is None:
            malformed = part
    return data, malformed


def _simplefix_fields(soh: bytes) -> dict[str, str] | None:
    """Fields of a message with a data field (RawData 96, XmlData 213...), whose value may hold SOH or "="."""
    parser = simplefix.FixParser(allow_empty_values=True)
    parser.append_buffer(soh)
    try:
        message = parser.get_message()
    except (ParsingError, ValueError):
        return None
    if message is None:
        return None
    data: dict[str, str] = {}
    for tag, value in message.pairs:
        data.setdefault(tag.decode("ascii"), value.decode("latin-1"))
    return data


class Origin(msgspec.Struct, frozen=True, array_like=True):
    """What a reader worked out once per session and prefix layout, shared by their messages."""

    direction: Direction | None
    direction_source: str
    session: str
    stream: str
    begin_string: str
    sender: str
    target: str
    layout: str
    delimiter: str


class LogMessage(msgspec.Struct, gc=False):
    """A message as the reader found it; the fields are SOH-normalised whatever the log's delimiter."""

    file: str
    line: int
    """Line number (1-based) where the message starts."""
    index: int
    """Position in the file, 0-based: file order is kept, whatever the times say."""
    tags: Tags
    msg_type: str
    """MsgType (35); "" when missing."""
    begin_string: str
    sender: str
    """SenderCompID (49)."""
    target: str
    """TargetCompID (56)."""
    seq_num: int | None
    """MsgSeqNum (34); None when missing or not a number."""
    direction: Direction | None
    direction_source: str
    """prefix, own-compid, session-prefix, file-name or unknown."""
    stream: str
    """One direction of one session, for sequence numbers: ``SENDER->TARGET`` and the direction."""
    session: str
    """The session as the log's writer names it: ``BEGIN:OWN->PEER``, or ``BEGIN:A<->B`` when the
    direction is unknown."""
    log_time: str
    """The prefix's time as written ("" when none)."""
    layout: str
    """The prefix layout: quickfix, quickfixgo, screenlog, in-out, tracing, log4j, arrow, bare, other."""
    delimiter: str
    problems: tuple[Problem, ...] = ()
    """Integrity problems (CheckSum, BodyLength, missing tags, truncation): reported, never fatal."""
    lines: int = 1
    """How many physical lines the message spans."""
    raw: bytes = b""
    """The message with SOH delimiters, as the checks saw it (empty when read in another process)."""
    origin: int = 0
    """Which session, direction and prefix layout the reader read it under: an index into ``LogReader.origins``."""

    @property
    def fields(self) -> LogFields:
        """Every field of the message (parsed on each call: for tools and error paths, not hot paths)."""
        return LogFields(parse_fields(self.raw)[0])

    @property
    def poss_dup(self) -> bool:
        """PossDupFlag (43) or PossResend (97) is Y: the message may have been seen before."""
        return self.tags.poss_dup == "Y" or self.tags.poss_resend == "Y"

    @property
    def where(self) -> str:
        """``file:line`` for messages to people."""
        return f"{self.file}:{self.line}"
