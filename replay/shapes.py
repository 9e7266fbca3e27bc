"""Message shapes: the tag sequences of the messages read so far, each compiled into one pattern.

Theory of operation: an engine writes the messages of one type with few different sequences of tags (QuickFIX
orders the body by tag number), so a pattern that matches the whole message and captures exactly the tags
replay needs reads them in one call in C: twice as fast as splitting every field into a dict. Shapes are kept
by number of fields, the most frequent first. A message no known shape matches teaches a new one, up to
``Shapes.MAX_PER_COUNT`` per number of fields; beyond that, and for messages with a malformed field or a data
field holding SOH, the reader splits the fields instead. At most one shape matches a message: a field
``35=...`` can only be tag 35.

The fast path (``Shapes.read_line``) is for the lines that make up nearly all of a large log: one standard SOH
message ending the line, after a prefix of the layout the previous lines had (or none). It matches the whole
line with one pattern, the layout's and the shape's joined, over the line decoded as latin-1 (one character a
byte, so positions are the same; ``re.ASCII``, so classes such as ``\\w`` and ``\\s`` are the bytes' ones), and
so gets the prefix's time and the message's tags from one match and one ``groups()`` call. It answers exactly
what the reader's general path would, or nothing: it checks what that path would check first (the message
starts at the first ``8=FIX`` of the line; nothing but the line end follows its last SOH; the shape is
standard), changes the order of the shapes only as ``read`` would, and leaves learning new shapes to ``read``.
"""

from __future__ import annotations

import re
from typing import Final

from replay.message import TAGS
from replay.prefixes import Layout, Prefix, text_direction

_WANTED: Final = frozenset(TAGS)
_BARE: Final[Prefix] = ("bare", "", None, "")
_LINE_END: Final = "\r?\n?"


class Shape:
    """One tag sequence: its pattern, the numbers of the groups holding ``TAGS``, whether it is standard."""

    __slots__ = ("groups", "lines", "pattern", "standard")

    def __init__(self, pattern: re.Pattern[str], groups: tuple[int, ...], standard: bool) -> None:
        self.pattern = pattern
        self.groups = groups
        self.standard = standard
        self.lines: dict[Layout | None, LineShape] = {}
        """This shape after each prefix layout met (None: no prefix), compiled on first use."""


class LineShape:
    """A whole line: a prefix of one layout (or none), a message of one shape, the line end."""

    __slots__ = ("direction", "message", "name", "pattern", "session", "time", "values")

    def __init__(self, shape: Shape, layout: Layout | None) -> None:
        prefix = f"(?:{layout.text_pattern.pattern})" if layout is not None else ""
        offset = layout.text_pattern.groups if layout is not None else 0
        self.pattern = re.compile(f"{prefix}({shape.pattern.pattern}){_LINE_END}", re.ASCII)
        self.message = offset + 1
        """The number of the group holding the message: the message's group N is the line's offset + 1 + N."""
        self.values = tuple(offset + 1 + group for group in shape.groups)
        self.name = layout.name if layout is not None else ""
        index = layout.text_pattern.groupindex if layout is not None else {}
        self.time = index.get("time", 0)
        self.direction = index.get("dir", 0)
        self.session = index.get("session", 0)

    def prefix(self, match: re.Match[str]) -> Prefix:
        """What the prefix says, as ``Layout.read`` would say it."""
        if not self.name:
            return _BARE
        if not (self.direction or self.session):
            return self.name, match.group(self.time), None, ""
        word = match.group(self.direction) if self.direction else None
        session = match.group(self.session) if self.session else None
        return self.name, match.group(self.time), text_direction(word) if word else None, session or ""


class Shapes:
    """The shapes of the messages read so far, by number of fields."""

    MAX_PER_COUNT: Final = 16

    def __init__(self) -> None:
        self._by_count: dict[int, list[Shape]] = {}

    def read(self, text: str) -> tuple[tuple[str, ...], bool] | None:
        """The values of ``TAGS`` in ``text`` ("" for an absent tag) and whether the message is standard
        (8, 9 first, 10 last, once each); None when no shape fits."""
        shapes = self._by_count.setdefault(text.count("\x01"), [])
        for position, shape in enumerate(shapes):
            match = shape.pattern.fullmatch(text)
            if match is not None:
                if position:  # one step forward: the shapes settle in order of frequency
                    shapes[position - 1], shapes[position] = shapes[position], shapes[position - 1]
                return match.group(*shape.groups), shape.standard
        if len(shapes) >= self.MAX_PER_COUNT:
            return None
        learned = _shape(text)
        if learned is None:
            return None
        match = learned.pattern.fullmatch(text)
        if match is None:
            return None
        shapes.insert(0, learned)
        return match.group(*learned.groups), learned.standard

    def read_line(self, line: bytes, start: int, layout: Layout | None) -> tuple[Prefix, tuple[str, ...], int] | None:
        """The prefix, the values of ``TAGS`` and the end of the message of a line whose message starts at
        ``start`` after a prefix of ``layout`` (None: at the start of the line), when the line is the common
        case: exactly what the general path would find. None when it is not: the general path decides."""
        text = line.decode("latin-1")
        shapes = self._by_count.get(text.count("\x01"))
        if not shapes:
            return None
        for position, shape in enumerate(shapes):
            compiled = shape.lines.get(layout)
            if compiled is None:
                compiled = shape.lines[layout] = LineShape(shape, layout)
            match = compiled.pattern.fullmatch(text)
            if match is None:
                continue
            begin, end = match.span(compiled.message)
            # Matched from elsewhere than the first "8=FIX" (a prefix holding one), or not standard: not ours.
            if begin != start or not shape.standard:
                return None
            if position:  # as ``read`` would
                shapes[position - 1], shapes[position] = shapes[position], shapes[position - 1]
            return compiled.prefix(match), match.group(*compiled.values), end
        return None


def _shape(text: str) -> Shape | None:
    """The shape of ``text``: group 1 is empty (for absent tags), then one group per tag of ``TAGS`` (its
    first occurrence); standard when 8 and 9 come first, 10 last, each once."""
    parts = text.split("\x01")
    if parts.pop() != "":
        return None
    pieces = ["()"]
    groups: dict[str, int] = {}
    tags = []
    for part in parts:
        tag, sep, _ = part.partition("=")
        if not sep or not tag.isdigit():
            return None
        tags.append(tag)
        if tag in _WANTED and tag not in groups:
            groups[tag] = len(groups) + 2
            pieces.append(f"{tag}=([^\x01]*)\x01")
        else:
            pieces.append(f"{tag}=[^\x01]*\x01")
    standard = tags[:2] == ["8", "9"] and tags[-1] == "10" and tags.count("8") == 1 and tags.count("10") == 1
    return Shape(re.compile("".join(pieces)), tuple(groups.get(tag, 1) for tag in TAGS), standard)
