"""Read a large log in a second process while this one rebuilds the book.

Theory of operation: reading is pure (bytes in, messages out) and the book is sequential, so on two cores they
run side by side. A child process runs ``LogReader``: it finds, checks and reads the messages and sends them in
batches of compact rows (msgspec msgpack, array-like structs); this process turns each row back into a
``LogMessage`` and hands it on. A row carries what the book, the sequence checks and the summary use: where the
message was, its tags, its problems and the index of its origin (session, direction, prefix layout), whose
table travels with the batches as it grows. The raw bytes stay behind, so ``LogMessage.fields`` of a piped
message is empty; tools that need every field read the file themselves. The child is forked where the platform
can (it starts at once and re-imports nothing; it only reads a file, so the threads a parent may hold do not
matter to it), spawned elsewhere. Files under ``PIPELINE_FROM`` bytes, and any file where this process may
use only one CPU, are read in this process (``worthwhile``).
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import traceback
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Final

import msgspec

from replay.anomalies import Problem
from replay.message import LogMessage, Origin, Tags
from replay.reader import FileStats, LogReader

PIPELINE_FROM: Final = 8 << 20
"""Files this large or larger are read in a second process (below, the start-up would cost more than it saves)."""


def worthwhile(size: int) -> bool:
    """Whether a file of ``size`` bytes is better read in a second process: a large one, and a second CPU this
    process may use (on one CPU the hand-over between the processes is pure cost, a fifth more work)."""
    if size < PIPELINE_FROM:
        return False
    cpus = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else range(os.cpu_count() or 1)
    return len(cpus) >= 2


PIPE_SIZE: Final = 1 << 20
"""Bytes the pipe between the processes may hold (Linux's default limit for an unprivileged user)."""
BATCH: Final = 128
"""Messages a batch: small enough that a batch's objects are still in the CPU's cache when the book takes them.
With 4,096 (some 10 MB of rows a batch) this process spent a third more time on the same work."""


class Row(msgspec.Struct, array_like=True, gc=False):
    """One message as the reading process sends it."""

    origin: int
    line: int
    index: int
    seq_num: int | None
    log_time: str
    lines: int
    problems: tuple[Problem, ...]
    tags: Tags


class Batch(msgspec.Struct, array_like=True, tag=True):
    """Messages, the origins first met among them, and how many bytes of the file have been read."""

    origins: list[Origin]
    rows: list[Row]
    read: int


class End(msgspec.Struct, array_like=True, tag=True):
    """The file is read: its statistics, or the error that stopped the read."""

    stats: FileStats | None
    error: str = ""
    errno: int | None = None
    """Set for an OSError (the file could not be read); None for anything else (a bug, with its traceback)."""


_ENCODER = msgspec.msgpack.Encoder()
_DECODER = msgspec.msgpack.Decoder(Batch | End)


class PipedReader:
    """Like ``LogReader`` (iterate, then read ``stats``), with the reading done by a child process."""

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
        self._own = own_comp_id
        self._progress = progress
        self.stats = FileStats(file=self.name)

    def __iter__(self) -> Iterator[LogMessage]:
        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        receiver, sender = context.Pipe(duplex=False)
        _widen(receiver)
        child = context.Process(  # type: ignore[attr-defined]
            target=_read, args=(self.path, self._own, self.name, sender), name="replay-reader", daemon=True
        )
        child.start()
        sender.close()
        try:
            yield from self._receive(receiver)
        finally:
            receiver.close()
            child.join(timeout=5)
            if child.is_alive():
                child.terminate()

    def _receive(self, receiver: Connection) -> Iterator[LogMessage]:
        origins: list[Origin] = []
        name = self.name
        progress = self._progress
        while True:
            try:
                item = _DECODER.decode(receiver.recv_bytes())
            except EOFError:
                raise RuntimeError(f"the process reading {self.path} ended without a word") from None
            if isinstance(item, End):
                if item.stats is None and item.errno is not None:
                    raise OSError(item.errno, item.error, str(self.path))
                if item.stats is None:
                    raise RuntimeError(f"the process reading {self.path} failed:\n{item.error}")
                self.stats = item.stats
                return
            origins += item.origins
            for row in item.rows:
                o = origins[row.origin]
                tags = row.tags
                yield LogMessage(
                    name,
                    row.line,
                    row.index,
                    tags,
                    tags.msg_type,
                    o.begin_string,
                    o.sender,
                    o.target,
                    row.seq_num,
                    o.direction,
                    o.direction_source,
                    o.stream,
                    o.session,
                    row.log_time,
                    o.layout,
                    o.delimiter,
                    row.problems,
                    row.lines,
                    b"",
                    row.origin,
                )
            if progress is not None:
                progress(item.read)


def _widen(pipe: Connection) -> None:
    """Give the pipe room for some 5,000 messages (Linux; elsewhere it keeps its size).

    On a shared machine either process waits for a CPU now and then; with 64 KiB (two or three batches) the
    other one soon has to wait too."""
    try:
        import fcntl
    except ImportError:  # not POSIX
        return
    resize = getattr(fcntl, "F_SETPIPE_SZ", None)  # Linux only
    if resize is not None:
        # Above /proc/sys/fs/pipe-max-size, or past the user's pipe allowance: the pipe keeps its size.
        with contextlib.suppress(OSError):
            fcntl.fcntl(pipe.fileno(), resize, PIPE_SIZE)


def _read(path: Path, own_comp_id: str | None, name: str, sender: Connection) -> None:
    """The child: read ``path`` and send batches of rows, then the statistics (or the error)."""
    gc.disable()  # it makes nothing that could form a cycle, and lives only as long as the read
    read = 0

    def note(done: int) -> None:
        nonlocal read
        read = done

    reader = LogReader(path, own_comp_id=own_comp_id, name=name, progress=note)
    sent = 0
    rows: list[Row] = []
    try:
        for m in reader:
            rows.append(Row(m.origin, m.line, m.index, m.seq_num, m.log_time, m.lines, m.problems, m.tags))
            if len(rows) >= BATCH:
                sender.send_bytes(_ENCODER.encode(Batch(reader.origins[sent:], rows, read)))
                sent = len(reader.origins)
                rows = []
        sender.send_bytes(_ENCODER.encode(Batch(reader.origins[sent:], rows, reader.stats.bytes)))
        sender.send_bytes(_ENCODER.encode(End(reader.stats)))
    except OSError as exc:
        sender.send_bytes(_ENCODER.encode(End(None, exc.strerror or str(exc), exc.errno or 0)))
    except Exception:  # noqa: BLE001 - anything else goes back to the parent whole, to be shown there
        sender.send_bytes(_ENCODER.encode(End(None, traceback.format_exc())))
    finally:
        sender.close()
