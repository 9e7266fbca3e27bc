"""One read interface over quickfix and simplefix messages, so a decoder serves live sessions and log replay."""

from collections.abc import Callable
from typing import Protocol

import quickfix
import simplefix

from domain.audit import audit_text

Recorder = Callable[[str, int, str, str | None, str, int], None]
"""Record a received message: (session, MsgSeqNum, MsgType, ClOrdID, FIX text, time received in ns)."""


class FieldSource(Protocol):
    """Read a field by tag number; ``None`` when absent."""

    def get(self, tag: int) -> str | None:
        """Return the body field ``tag`` or None."""
        ...

    def header(self, tag: int) -> str | None:
        """Return the header field ``tag`` or None."""
        ...


class MessageSource(FieldSource, Protocol):
    """A ``FieldSource`` whose repeating groups can be read too: the whole message as FIX text."""

    @property
    def raw(self) -> str:
        """The whole message as FIX text, SOH-delimited, fields (and each group's entries) in order."""
        ...


class QfFields:
    """A quickfix message's body and header as a ``FieldSource``.

    Why from text: every ``getField`` is a trip through SWIG (0.7 µs, 2.8 µs when the tag is absent and
    quickfix raises), and the audit trail needs the message's text anyway; one ``toString`` and a split serve
    every lookup of the message for about 3 µs. Header and body tags share one namespace, as in FIX; a tag that
    appears in a repeating group as well answers its first occurrence. A message whose data field (RawData (96)
    and the like) carries SOH cannot be split safely, and is read through quickfix's own lookups instead.
    """

    __slots__ = ("_body", "_fields", "_raw", "_split")

    def __init__(self, message: quickfix.Message) -> None:
        self._body = message
        self._raw: str = message.toString()
        self._fields: dict[str, str] | None = None
        self._split = False
        """The text is split into fields on the first lookup: a market data refresh (35=X) is decoded from the text
        alone (``fixgw.codec.marketdata``), and the split would be a third of its cost."""

    def _lookup(self) -> dict[str, str] | None:
        if not self._split:
            self._split = True
            parts = self._raw[:-1].split("\x01")
            parts.reverse()  # so that the first occurrence of a tag is the one the dict keeps
            try:
                self._fields = dict(part.split("=", 1) for part in parts)
            except ValueError:
                self._fields = None
        return self._fields

    def get(self, tag: int) -> str | None:
        """Return the field ``tag`` or None."""
        fields = self._fields if self._split else self._lookup()
        if fields is not None:
            return fields.get(str(tag))
        return self._engine_get(self._body, tag)

    def header(self, tag: int) -> str | None:
        """Return the header field ``tag`` or None."""
        fields = self._fields if self._split else self._lookup()
        if fields is not None:
            return fields.get(str(tag))
        return self._engine_get(self._body.getHeader(), tag)

    def msg_type(self) -> str:
        """MsgType (35), read from the text without splitting it (quickfix writes it third: 8, 9, 35)."""
        raw = self._raw
        start = raw.find("\x0135=")
        if start < 0:
            return self.header(35) or ""
        start += 4
        return raw[start : raw.find("\x01", start)]

    @staticmethod
    def _engine_get(fields: quickfix.FieldMap, tag: int) -> str | None:
        try:
            return fields.getField(tag)  # type: ignore[no-any-return]
        except quickfix.FieldNotFound:
            return None

    @property
    def raw(self) -> str:
        """The whole message as received, SOH-delimited (repeating groups in their order)."""
        return self._raw

    def text(self) -> str:
        """The whole message as audit text: FIX with SOH shown as ``|``, reversible to its bytes (``audit_text``)."""
        return audit_text(self._raw)

    def seq_num(self) -> int:
        """MsgSeqNum (34), 0 when absent."""
        raw = self.header(34)
        return int(raw) if raw and raw.isdigit() else 0

    def as_dict(self) -> dict[int, str]:
        """Return every header and body field (first occurrence of a tag wins); for tools, not the hot path."""
        return parse_fields(self._raw)


def parse_fields(raw: str) -> dict[int, str]:
    """Split SOH-delimited FIX text into ``{tag: value}`` (first occurrence of a tag wins)."""
    fields: dict[int, str] = {}
    for part in raw.split("\x01"):
        tag, sep, value = part.partition("=")
        if sep and tag.isdigit():
            fields.setdefault(int(tag), value)
    return fields


class SfFields:
    """A simplefix message as a ``FieldSource`` (first occurrence of a tag)."""

    __slots__ = ("_message",)

    def __init__(self, message: simplefix.FixMessage) -> None:
        self._message = message

    def get(self, tag: int) -> str | None:
        """Return the first value of ``tag`` decoded as text, or None."""
        raw = self._message.get(tag)
        return None if raw is None else raw.decode("latin-1")

    header = get  # a flat message: header and body tags share one namespace

    @property
    def raw(self) -> str:
        """The whole message as FIX text, SOH-delimited, fields in the order they were appended."""
        return "".join(f"{tag.decode('latin-1')}={value.decode('latin-1')}\x01" for tag, value in self._message.pairs)


class DictFields:
    """A plain ``{tag: value}`` mapping as a ``FieldSource`` (tests, tools)."""

    __slots__ = ("_fields",)

    def __init__(self, fields: dict[int, str]) -> None:
        self._fields = fields

    def get(self, tag: int) -> str | None:
        """Return the value of ``tag`` or None."""
        return self._fields.get(tag)

    header = get
