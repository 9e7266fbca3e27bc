"""One FIX message found in a log: its fields, where it was, which way it went, what is wrong with it."""

from __future__ import annotations

from typing import Final

import msgspec

from replay.anomalies import Problem
from replay.prefixes import Direction

_KEYS: Final = tuple(str(tag) for tag in range(1000))


class LogFields(msgspec.Struct, gc=False):
    """A message's fields as a ``FieldSource`` (first occurrence of a tag wins), header and body alike.

    ``data`` is the underlying ``{"35": "8", ...}`` mapping, for hot paths that look up many tags.
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


class LogMessage(msgspec.Struct, gc=False):
    """A message as the reader found it; the fields are SOH-normalised whatever the log's delimiter."""

    file: str
    line: int
    """Line number (1-based) where the message starts."""
    index: int
    """Position in the file, 0-based: file order is kept, whatever the times say."""
    fields: LogFields
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
    """The message with SOH delimiters, as the checks saw it."""

    @property
    def poss_dup(self) -> bool:
        """PossDupFlag (43) or PossResend (97) is Y: the message may have been seen before."""
        data = self.fields.data
        return data.get("43") == "Y" or data.get("97") == "Y"

    @property
    def where(self) -> str:
        """``file:line`` for messages to people."""
        return f"{self.file}:{self.line}"
