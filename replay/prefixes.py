"""Line prefixes: the time, direction and session an engine writes in front of ``8=FIX``.

Theory of operation: a prefix is whatever precedes the BeginString on its line. Each layout we know
(../shared/fixlogs/README.md, rule 3) is one regular expression over those bytes that yields a time and,
for some layouts, a direction or a session id. The reader asks the layout that matched the previous line
first, so a file costs one match per line. A prefix that no layout knows is still searched for a direction
word, a time and a session id, and kept as text. A prefix time is the log's, not SendingTime (52): it may
be local time, have no date, or come from a skewed clock, so it is only ever shown, never computed with.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Final


class Direction(StrEnum):
    """Which way a message went, seen from the engine that wrote the log."""

    INCOMING = "in"
    OUTGOING = "out"


Prefix = tuple[str, str, "Direction | None", str]
"""What a prefix says: the layout's name, the time as written, the direction, and the session id it names
(``FIX.4.4:SENDER->TARGET`` in log4j and ScreenLog lines, else "")."""


class Layout:
    """A known prefix layout: a name and a pattern with a ``time`` group and maybe ``dir`` and ``session``."""

    __slots__ = ("has_direction", "has_session", "name", "pattern", "text_pattern")

    def __init__(self, name: str, pattern: re.Pattern[bytes]) -> None:
        self.name = name
        self.pattern = pattern
        self.has_direction = "dir" in pattern.groupindex
        self.has_session = "session" in pattern.groupindex
        # The same pattern for text decoded as latin-1 (one character a byte; ASCII classes, as for bytes): the
        # reader's fast path matches it and the message in one go (``replay.shapes``).
        self.text_pattern = re.compile(pattern.pattern.decode("latin-1"), re.ASCII)

    def read(self, match: re.Match[bytes]) -> Prefix:
        """What a match of this layout's pattern says."""
        direction = match.group("dir") if self.has_direction else None
        session = match.group("session") if self.has_session else None
        return (
            self.name,
            match.group("time").decode("latin-1"),
            _WORDS[direction] if direction else None,
            session.decode("latin-1") if session else "",
        )


_IN: Final = Direction.INCOMING
_OUT: Final = Direction.OUTGOING
_WORDS: Final[dict[bytes, Direction]] = {
    b"IN": _IN,
    b"OUT": _OUT,
    b"incoming": _IN,
    b"outgoing": _OUT,
    b"Incoming": _IN,
    b"Outgoing": _OUT,
    b"<-": _IN,
    b"<==": _IN,
    b"<<": _IN,
    b"->": _OUT,
    b"==>": _OUT,
    b">>": _OUT,
}
_TEXT_WORDS: Final[dict[str, Direction]] = {word.decode("latin-1"): direction for word, direction in _WORDS.items()}


def text_direction(word: str) -> Direction:
    """The direction a layout's ``dir`` group says, from text (``Layout.text_pattern``)."""
    return _TEXT_WORDS[word]


# Every pattern must consume exactly the prefix: it is also used to strip the prefix from the continuation
# lines of a message wrapped over several lines (t_atlas.log repeats "(time) IN " on each of them).
LAYOUTS: Final[tuple[Layout, ...]] = (
    # QuickFIX C++/Python/QuickFIX/n FileLog: "20240507-21:35:21.405546000 : "
    Layout("quickfix", re.compile(rb"(?P<time>\d{8}-\d\d:\d\d:\d\d(?:\.\d{1,9})?) : ")),
    # quickfixgo FileLog: "2018/02/23 19:14:25.174454 "
    Layout("quickfixgo", re.compile(rb"(?P<time>\d{4}/\d\d/\d\d \d\d:\d\d:\d\d(?:\.\d+)?) ")),
    # QuickFIX/J ScreenLog: "<20200713-17:51:24, FIX.4.4:FIXTESTA->MONTRANTS, outgoing> ("
    Layout(
        "screenlog",
        re.compile(rb"<(?P<time>[^,>]*), (?P<session>[^,]*), (?P<dir>incoming|outgoing)> \("),
    ),
    # engine IN/OUT log: "(12:02:03.25700) IN "
    Layout("in-out", re.compile(rb"\((?P<time>\d\d:\d\d:\d\d(?:\.\d+)?)\) (?P<dir>IN|OUT) ")),
    # app tracing log: "2020/03/02-06:14:36,393 INFO :: TracingIncomingMessage[HFE_UAT_EQ_US]: "
    Layout(
        "tracing",
        re.compile(rb"(?P<time>\S+)(?: \w+)? :: \w*?(?P<dir>Incoming|Outgoing)\w*(?:\[[^\]]*\])?: "),
    ),
    # log4j/SLF4J with the session id QuickFIX/J prepends: "2015-08-26 23:10:17,748 FIX.4.2:A->B: " and
    # "incoming 09:15:57 INFO  - FIX.4.4:TFBRIDGE->BRBRIDGE: "
    Layout(
        "log4j",
        re.compile(
            rb"(?:(?P<dir>incoming|outgoing) )?(?P<time>\d[\d\-/:,. ]*\d)(?: \w+ +-)? "
            rb"(?P<session>FIXT?\.\d\.\d:\S+?->\S+?): ?"
        ),
    ),
    # arrows, with NUL bytes (Log4FIX-J): "20060410-07:01:59 ->\0 \0", "04/10/2006  15:20:39:   <== "
    Layout(
        "arrow",
        re.compile(rb"(?P<time>\d[\d/:\-. ]*\d)[:\s]*(?P<dir><==|==>|<-|->|<<|>>)[\s\x00]*"),
    ),
)

_GENERIC_DIRECTION: Final = re.compile(
    rb"(?P<in>\b(?:[Ii]ncoming|[Ii]nbound|[Rr]eceived|[Rr]eceiving|IN)\b|<==|<-|<<)"
    rb"|(?P<out>\b(?:[Oo]utgoing|[Oo]utbound|[Ss]ent|[Ss]ending|going out|OUT)\b|==>|->(?!\S)|>>)"
)
_GENERIC_TIME: Final = re.compile(
    rb"\d{4}[-/]\d\d[-/]\d\d[ T-]\d\d:\d\d:\d\d(?:[.,:]\d+)?"
    rb"|\d\d/\d\d/\d{4} +\d\d:\d\d:\d\d(?:[.,:]\d+)?"
    rb"|\d{8}-\d\d:\d\d:\d\d(?:\.\d+)?"
    rb"|\d\d:\d\d:\d\d(?:[.,]\d+)?"
)
_SESSION_ID: Final = re.compile(rb"FIXT?\.\d\.\d:[^\s:,>]+->[^\s:,>]+")
_EMPTY: Final[Prefix] = ("bare", "", None, "")


def parse_prefix(prefix: bytes, hint: Layout | None = None) -> tuple[Prefix, Layout | None]:
    """Return what ``prefix`` says and the layout that read it (None when no known layout did)."""
    if not prefix:
        return _EMPTY, hint
    for layout in (hint, *LAYOUTS) if hint is not None else LAYOUTS:
        match = layout.pattern.fullmatch(prefix)
        if match is not None:
            return layout.read(match), layout
    return _generic(prefix), None


def _generic(prefix: bytes) -> Prefix:
    text = prefix.replace(b"\x00", b"")
    if not text.strip():
        return _EMPTY
    word = _GENERIC_DIRECTION.search(text)
    direction = None if word is None else (_IN if word.group("in") else _OUT)
    time = _GENERIC_TIME.search(text)
    session = _SESSION_ID.search(text)
    return (
        "other",
        time.group(0).decode("latin-1") if time else "",
        direction,
        session.group(0).decode("latin-1") if session else "",
    )


def continuation_length(layout: Layout | None, line: bytes) -> int:
    """Return how many bytes of ``line`` are ``layout``'s prefix (0 when it has none)."""
    if layout is None:
        return 0
    match = layout.pattern.match(line)
    return match.end() if match is not None else 0
