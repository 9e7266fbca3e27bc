"""The reader's fast path (``Shapes.read_line``) finds exactly what the general path finds, on every log we have
and on damaged copies of them: the same messages, field for field, and the same file statistics."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from unittest.mock import patch

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from replay.message import LogMessage, Origin
from replay.prefixes import Layout, Prefix
from replay.reader import FileStats, LogReader
from replay.shapes import Shapes
from tests.conftest import SHARED
from tests.replay.make_fixtures import fix
from tests.unit.replay.logs import T

FIXTURES = Path(__file__).resolve().parent / "fixtures"
LOG_SUFFIXES = (".log", ".txt", ".body")
OWN_LOGS = sorted(p for p in FIXTURES.rglob("*") if p.is_file() and p.suffix in LOG_SUFFIXES)
FIXLOGS = SHARED / "fixlogs"
SHARED_LOGS = sorted(p for p in FIXLOGS.rglob("*") if p.is_file() and p.suffix in LOG_SUFFIXES)

Read = tuple[list[LogMessage], FileStats, list[Origin]]


class Counted:
    """How many lines the fast path read."""

    def __init__(self) -> None:
        self.lines = 0


@contextmanager
def fast_path_counted() -> Iterator[Counted]:
    """Count the lines ``Shapes.read_line`` answers for while the block runs."""
    counted = Counted()
    original = Shapes.read_line

    def counting(
        self: Shapes, line: bytes, start: int, layout: Layout | None
    ) -> tuple[Prefix, tuple[str, ...], int] | None:
        found = original(self, line, start, layout)
        counted.lines += found is not None
        return found

    with patch.object(Shapes, "read_line", counting):
        yield counted


def read(path: Path, own_comp_id: str | None = None) -> Read:
    reader = LogReader(path, own_comp_id=own_comp_id)
    messages = list(reader)
    return messages, reader.stats, reader.origins


def read_both(path: Path, own_comp_id: str | None = None) -> tuple[Read, Read, int]:
    """What the reader finds with its fast path, without it, and how many lines the fast path read."""
    with fast_path_counted() as counted:
        fast = read(path, own_comp_id)
    with patch.object(Shapes, "read_line", return_value=None):
        general = read(path, own_comp_id)
    return fast, general, counted.lines


@pytest.mark.parametrize("path", OWN_LOGS, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_fast_path_when_a_fixture_is_read_then_it_finds_what_the_general_path_finds(path: Path) -> None:
    fast, general, _ = read_both(path, own_comp_id="FIXGW")

    assert fast == general


@pytest.mark.skipif(
    not FIXLOGS.is_dir(), reason=f"{FIXLOGS} is absent: the shared FIX log samples are on CI and dev machines only"
)
@pytest.mark.parametrize("path", SHARED_LOGS, ids=lambda p: str(p.relative_to(FIXLOGS)))
def test_fast_path_when_a_shared_log_is_read_then_it_finds_what_the_general_path_finds(path: Path) -> None:
    fast, general, _ = read_both(path)

    assert fast == general


def test_fast_path_when_a_quickfix_file_log_repeats_its_shapes_then_it_reads_every_message(tmp_path: Path) -> None:
    demo = (FIXTURES / "scenarios" / "demo.log").read_bytes()
    log = tmp_path / "FIX.4.4-FIXGW-CLIENT1.messages.current.log"
    log.write_bytes(demo * 5)

    (messages, _, _), _, lines = read_both(log)

    # The first copy teaches the shapes (the general path reads a shape's first message); then every line is fast.
    assert len(messages) == 5 * 19
    assert lines >= 4 * 19


def test_fast_path_when_a_prefix_holds_a_begin_string_then_the_message_starts_where_the_general_path_says(
    tmp_path: Path,
) -> None:
    message = fix("FIX.4.4", "0", 2, "A", "B", T, [])
    tracing = b"2020/03/02-06:14:36,393 INFO :: TracingIncomingMessage[%s]: "
    log = tmp_path / "trace.log"
    log.write_bytes(b"".join(tracing % session + message + b"\n" for session in (b"S1", b"S1", b"8=FIX.4.4|9=5|")))

    fast, general, lines = read_both(log)

    assert fast == general
    assert lines == 1  # the second line; the third is not the fast path's, though its pattern matches it
    # The general path starts the message at the first 8=FIX: "8=FIX.4.4|9=5|]: 8=FIX.4.4^A...", after a prefix
    # that no layout knows.
    assert [m.layout for m in fast[0]] == ["tracing", "tracing", "other"]


LINES = [line for path in OWN_LOGS for line in path.read_bytes().splitlines(keepends=True)[:40]]
SNIPPETS = [
    b"",
    b"\x01",
    b"|",
    b"^A",
    b" ",
    b"8=FIX.4.4",
    b"8=FIX.4.4\x019=5\x01",
    b"\x0110=000\x01",
    b"10=",
    b"\r",
    b"\n",
    b"\r\n",
    b"\x00",
    b"junk ",
    b"9=0",
    b"58=a=b\x01",
    b"20240507-21:35:21.405 : ",
    b"IN ",
]
Edit = tuple[int, int, bytes]


def damaged(line: bytes, edits: list[Edit]) -> bytes:
    for at, cut, snippet in edits:
        at %= len(line) + 1
        line = line[:at] + snippet + line[at + cut :]
    return line


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(LINES),
            st.lists(st.tuples(st.integers(0, 400), st.integers(0, 12), st.sampled_from(SNIPPETS)), max_size=3),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_fast_path_when_lines_are_damaged_then_it_still_finds_what_the_general_path_finds(
    lines: list[tuple[bytes, list[Edit]]],
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "FIX.4.4-FIXGW-CLIENT1.messages.current.log"
        path.write_bytes(b"".join(damaged(line, edits) for line, edits in lines))

        fast, general, _ = read_both(path)

    assert fast == general
