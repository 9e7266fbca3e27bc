"""Find the FIX messages in a log file, whatever engine wrote it, and check each one's integrity.

Theory of operation (../shared/fixlogs/README.md, "What a FIX log replay tool has to accept"): messages are
found, not assumed to be lines. A message starts at ``8=FIX`` wherever it is on a line; what comes before is
the line's prefix (``replay.prefixes``). Its delimiter is whatever sits between the BeginString value and the
next tag (SOH, ``|``, ``;``, a space, ``^`` or the text ``^A``), worked out per message. It ends after
``10=nnn``: found at the position BodyLength (9) gives when that is present and right (the only safe way
through data fields such as RawData 96), otherwise by scanning for ``<delimiter>10=``. Whatever follows on
the line is ignored unless another message starts there (a FileStore ``.body`` holds them back to back). A
message without its CheckSum on the line continues on the next ones: the prefix the engine repeats there is
stripped and the pieces are joined, which restores wrapped messages exactly (t_atlas.log). Each message is
then rewritten with SOH as delimiter, and BodyLength, CheckSum and the standard header tags are checked.
Problems are recorded on the message and never stop the read; prefix times are kept apart from 52/60. The
lines that make up nearly all of a large log (the usual prefix, then one SOH message of a shape seen before)
are read by one pattern match over the whole line (``Shapes.read_line``), which finds exactly what the steps
above would.

Why not simplefix's ``FixParser`` for everything: it knows only SOH, expects nothing but FIX in its buffer,
and walks the buffer a byte at a time in Python (135 us for a 357-byte ExecutionReport on the reference
machine, 7,400 messages/s, against 100,000/s wanted). It is used where it is the right tool: for the rare
message whose data field holds an ``=`` or a SOH, where its RawData handling is exactly what is needed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import BinaryIO, Final
from zlib import adler32

import msgspec

from replay.anomalies import AnomalyKind, Problem
from replay.framing import BEGIN, HEAD, SOH, bad_checksum, check, checksum, frame, normalise, split_terminator
from replay.message import TAGS, LogMessage, Origin, Tags, parse_fields
from replay.prefixes import Direction, Layout, Prefix, continuation_length, parse_prefix
from replay.shapes import Shapes

MAX_MESSAGE: Final = 1 << 20
"""A message still without CheckSum after this many bytes is reported as truncated."""
PROGRESS_EVERY: Final = 8192
"""Lines between two progress callbacks."""

_FILE_NAME: Final = re.compile(r"^(?:FIXT?\.\d\.\d)-([^-]+)-([^-.]+)(?:-[^.]*)?\.(?:messages|body)\b")
_DELIMITER_NAMES: Final = {b"\x01": "SOH", b"^A": "^A (text)"}
_CHECKSUM_TEXT: Final = tuple(f"{n:03d}" for n in range(256))
_LENGTHS: Final = 4096
_LENGTH_TEXT: Final = tuple(str(n) for n in range(_LENGTHS))
_REQUIRED_HEADER: Final = (("35", "MsgType"), ("49", "SenderCompID"), ("56", "TargetCompID"), ("34", "MsgSeqNum"))


class FileStats(msgspec.Struct, kw_only=True):
    """What one file held."""

    file: str
    bytes: int = 0
    lines: int = 0
    messages: int = 0
    other_lines: int = 0
    """Lines with no message on them: event lines, blank lines, junk, fixture trailers."""
    layouts: dict[str, int] = {}
    delimiters: dict[str, int] = {}
    direction_sources: dict[str, int] = {}
    begin_strings: dict[str, int] = {}
    own_comp_id: str | None = None
    """The CompID the file name says wrote it (QuickFIX ``BEGIN-SENDER-TARGET.messages.log``), if any."""

    @property
    def kind(self) -> str:
        """``messages``, ``events`` (lines but no FIX message, e.g. a QuickFIX event log) or ``empty``."""
        if self.messages:
            return "messages"
        return "events" if self.other_lines else "empty"


_Key = tuple[Direction | None, str, str, str, str, str, str]
"""Prefix direction, prefix session, BeginString, SenderCompID, TargetCompID, layout, delimiter."""
_BARE: Final[Prefix] = ("bare", "", None, "")


class _Pending:
    """A message whose CheckSum has not turned up yet."""

    __slots__ = ("data", "first_line", "layout", "lines", "prefix", "terminator")

    def __init__(self, data: bytes, terminator: bytes, first_line: int, prefix: Prefix, layout: Layout | None):
        self.data = data
        self.terminator = terminator
        self.first_line = first_line
        self.prefix = prefix
        self.layout = layout
        self.lines = 1


def own_comp_id_from_file_name(name: str) -> str | None:
    """Return SenderCompID from a QuickFIX log or store name (``FIX.4.2-KOD-BON.messages.current.log``)."""
    match = _FILE_NAME.match(name)
    return match.group(1) if match else None


class LogReader:
    """Iterate over the messages of one log file, in file order."""

    def __init__(
        self,
        path: Path,
        *,
        own_comp_id: str | None = None,
        name: str | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        self.path = path
        self.name = name or path.name
        self._own = own_comp_id or None
        self._progress = progress
        self.stats = FileStats(file=self.name, own_comp_id=own_comp_id_from_file_name(path.name))
        self._sessions: dict[_Key, tuple[Direction | None, str, str, str, int]] = {}
        self.origins: list[Origin] = []
        """Each session, direction and layout met so far, in order; ``LogMessage.origin`` indexes it."""
        self._counts: list[int] = []
        """Messages read under each origin."""
        self._index = 0
        self._shapes = Shapes()

    def __iter__(self) -> Iterator[LogMessage]:
        with self.path.open("rb") as file:
            yield from self._scan(file)
        self._finish_stats()

    # -- lines -------------------------------------------------------------------------------------

    def _scan(self, file: BinaryIO) -> Iterator[LogMessage]:
        pending: _Pending | None = None
        hint: Layout | None = None
        number = 0
        progress = self._progress
        shapes = self._shapes
        for line in file:
            number += 1
            if progress is not None and not number % PROGRESS_EVERY:
                progress(file.tell())
            if pending is not None:
                pending, rest = yield from self._continue(pending, line, number)
                if rest is None:
                    continue
                line = rest
            start = line.find(BEGIN)
            if start < 0:
                self.stats.other_lines += 1
                continue
            # The common case, a standard SOH message ending the line after the usual prefix: one match.
            if hint is not None or not start:
                fast = shapes.read_line(line, start, hint if start else None)
                if fast is not None:
                    yield self._standard(line[start : fast[2]], fast[1], number, fast[0])
                    continue
            if not start:
                prefix: Prefix = _BARE
            else:
                match = hint.pattern.fullmatch(line, 0, start) if hint is not None else None
                if match is None:
                    prefix, hint = parse_prefix(line[:start], hint)
                else:
                    assert hint is not None
                    prefix = hint.read(match)
            # The common case: an SOH message ending the line, in a shape seen before (``Shapes``).
            close = line.rfind(SOH)
            if close > start and line.find(BEGIN, close) < 0:
                raw = line[start : close + 1]
                found = shapes.read(raw.decode("latin-1"))
                if found is not None and found[1]:
                    yield self._standard(raw, found[0], number, prefix)
                    continue
            pending = yield from self._messages(line, start, number, prefix, hint)
        if pending is not None:
            yield self._message(pending.data, pending.first_line, pending.prefix, pending.lines, truncated=True)
        self.stats.lines = number
        self.stats.bytes = file.tell()
        if progress is not None:
            progress(self.stats.bytes)

    def _continue(
        self, pending: _Pending, line: bytes, number: int
    ) -> Generator[LogMessage, None, tuple[_Pending | None, bytes | None]]:
        """Add a line to a message that has no CheckSum yet; return what is left of the line to scan."""
        skip = continuation_length(pending.layout, line)
        body = line[skip:]
        if body.startswith(BEGIN) or len(pending.data) > MAX_MESSAGE:
            # A new message begins (or the old one never ends): the pending one was cut short.
            yield self._message(pending.data, pending.first_line, pending.prefix, pending.lines, truncated=True)
            return None, line
        content, terminator = split_terminator(body)
        # With the engine's prefix repeated, the line break is the log's wrapping; without, it is data.
        pending.data += content if skip else pending.terminator + content
        pending.terminator = terminator
        pending.lines += 1
        framed = frame(pending.data, 0)
        if framed is None or framed[1] < 0:
            return pending, None
        end = framed[2]
        yield self._message(pending.data[:end], pending.first_line, pending.prefix, pending.lines)
        rest = pending.data[end:]
        return None, (rest + terminator) if BEGIN in rest else None

    def _messages(
        self, line: bytes, start: int, number: int, prefix: Prefix, layout: Layout | None
    ) -> Generator[LogMessage, None, _Pending | None]:
        """Yield every message of a line; return the last one if it runs on to the next line."""
        while start >= 0:
            framed = frame(line, start)
            if framed is None:  # "8=FIX" but not a BeginString: junk
                start = line.find(BEGIN, start + len(BEGIN))
                continue
            head, trailer, end = framed
            if trailer < 0:
                following = line.find(BEGIN, head.end())
                if following < 0:
                    content, terminator = split_terminator(line[start:])
                    return _Pending(content, terminator, number, prefix, layout)
                yield self._message(line[start:following], number, prefix, 1, truncated=True)
                start = following
                continue
            yield self._message(line[start:end], number, prefix, 1, head=head)
            # Another message on the same line: back to back (FileStore .body) or after junk.
            start = line.find(BEGIN, end)
        return None

    # -- one message -------------------------------------------------------------------------------

    def _message(
        self,
        raw: bytes,
        line: int,
        prefix: Prefix,
        lines: int,
        *,
        truncated: bool = False,
        head: re.Match[bytes] | None = None,
    ) -> LogMessage:
        """Normalise, check and build a message found by the general path."""
        if head is None:
            head = HEAD.match(raw)
        delimiter = head.group(2) if head is not None else SOH
        soh = raw if delimiter == SOH else normalise(raw, delimiter)
        if not soh.endswith(SOH):
            soh += SOH
        problems = check(soh, head.group(3) if head is not None else None, truncated)
        name = _DELIMITER_NAMES.get(delimiter) or delimiter.decode("latin-1")
        begin = head.group(1) if head is not None else b""
        return self._build(soh, line, prefix, name, begin, tuple(problems), lines)

    def _standard(self, raw: bytes, values: tuple[str, ...], line: int, prefix: Prefix) -> LogMessage:
        """A message whose shape says it starts 8=, 9= and ends 10=: check BodyLength and CheckSum from the
        lengths of the values, without another pass over the fields."""
        begin, length, declared = values[-3], values[-2], values[-1]
        trailer = len(raw) - len(declared) - 4
        summed = raw[:trailer]
        computed = ((adler32(summed) & 0xFFFF) - 1) & 0xFF if trailer <= 256 else checksum(summed)
        problems: tuple[Problem, ...] = ()
        # CheckSum and BodyLength compared as text first (as nearly every message has them), as numbers only
        # when the text differs.
        if declared != _CHECKSUM_TEXT[computed] and (not declared.isdigit() or int(declared) != computed):
            problems = (bad_checksum(declared.encode("latin-1"), computed),)
        counted = trailer - len(begin) - len(length) - 6
        if not (0 <= counted < _LENGTHS and length == _LENGTH_TEXT[counted]) and (
            not length.isdigit() or int(length) != counted
        ):
            text = f"BodyLength (9) is {length!r}, counted {counted}"
            problems += (Problem(AnomalyKind.BAD_BODY_LENGTH, text),)
        return self._message_of(values, raw, line, prefix, "SOH", problems, 1)

    def _build(
        self,
        soh: bytes,
        line: int,
        prefix: Prefix,
        delimiter: str,
        begin_bytes: bytes,
        problems: tuple[Problem, ...],
        lines: int,
    ) -> LogMessage:
        """Read the tags of a message the general path found and checked."""
        found = self._shapes.read(soh.decode("latin-1"))
        if found is not None:
            values = found[0]
        else:
            data, malformed = parse_fields(soh)
            if malformed is not None:
                problems += (Problem(AnomalyKind.MALFORMED_FIELD, f"malformed field {malformed[:40]!r}"),)
            values = tuple([data.get(tag, "") for tag in TAGS])
        if not values[-3] and begin_bytes:
            values = (*values[:-3], begin_bytes.decode("latin-1"), *values[-2:])
        return self._message_of(values, soh, line, prefix, delimiter, problems, lines)

    def _message_of(
        self,
        values: tuple[str, ...],
        soh: bytes,
        line: int,
        prefix: Prefix,
        delimiter: str,
        problems: tuple[Problem, ...],
        lines: int,
    ) -> LogMessage:
        """Check the standard header, work out direction and session, make the message."""
        msg_type, seq, sender, target = values[0], values[1], values[2], values[3]
        if not (msg_type and sender and target and seq):
            problems += tuple(
                Problem(AnomalyKind.MISSING_TAG, f"{name} ({tag}) missing")
                for (tag, name), value in zip(_REQUIRED_HEADER, (msg_type, sender, target, seq), strict=True)
                if not value
            )
        begin = values[-3]
        layout, time, word, prefix_session = prefix
        key = (word, prefix_session, begin, sender, target, layout, delimiter)
        known = self._sessions.get(key)
        if known is None:  # once per session and layout
            known = self._sessions[key] = self._origin(key)
        direction, source, session, stream, origin = known
        self._counts[origin] += 1
        index = self._index
        self._index = index + 1
        return LogMessage(
            self.name,
            line,
            index,
            Tags(*values),
            msg_type,
            begin,
            sender,
            target,
            int(seq) if seq.isdigit() else None,
            direction,
            source,
            stream,
            session,
            time,
            layout,
            delimiter,
            problems,
            lines,
            soh,
            origin,
        )

    def _origin(self, key: _Key) -> tuple[Direction | None, str, str, str, int]:
        word, prefix_session, begin, sender, target, layout, delimiter = key
        direction, source, session, stream = self._work_out_direction(word, prefix_session, begin, sender, target)
        self.origins.append(Origin(direction, source, session, stream, begin, sender, target, layout, delimiter))
        self._counts.append(0)
        return direction, source, session, stream, len(self.origins) - 1

    def _work_out_direction(
        self, word: Direction | None, prefix_session: str, begin: str, sender: str, target: str
    ) -> tuple[Direction | None, str, str, str]:
        """Direction, where it came from, the session as the log's writer sees it, and the stream."""
        direction, source = word, "prefix"
        if direction is None:
            # Direction from the prefix when the log has one; otherwise the CompIDs against our own: the one
            # given, else the one the prefix's session id or the file name names.
            session_own = prefix_session.partition(":")[2].partition("->")[0]
            for own, where in (
                (self._own, "own-compid"),
                (session_own, "session-prefix"),
                (self.stats.own_comp_id, "file-name"),
            ):
                if own and own in (sender, target) and sender != target:
                    direction, source = (Direction.OUTGOING if sender == own else Direction.INCOMING), where
                    break
        stream = f"{begin}:{sender}->{target}:{direction or '?'}"
        if direction is None:
            low, high = sorted((sender, target))
            return None, "unknown", f"{begin}:{low}<->{high}", stream
        own, peer = (sender, target) if direction is Direction.OUTGOING else (target, sender)
        return direction, source, f"{begin}:{own}->{peer}", stream

    def _finish_stats(self) -> None:
        stats = self.stats
        stats.messages = self._index
        for o, count in zip(self.origins, self._counts, strict=True):  # in the order first met, as printed
            stats.layouts[o.layout] = stats.layouts.get(o.layout, 0) + count
            stats.delimiters[o.delimiter] = stats.delimiters.get(o.delimiter, 0) + count
            stats.direction_sources[o.direction_source] = stats.direction_sources.get(o.direction_source, 0) + count
            stats.begin_strings[o.begin_string] = stats.begin_strings.get(o.begin_string, 0) + count
