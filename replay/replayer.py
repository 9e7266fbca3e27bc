"""Replay log files into a book: read, check sequence numbers, rebuild orders, sum up."""

from __future__ import annotations

import gc
from collections import Counter
from collections.abc import Callable, Iterable
from enum import StrEnum
from pathlib import Path

from replay.anomalies import Anomaly
from replay.book import ReplayBook
from replay.pipeline import PipedReader, worthwhile
from replay.reader import FileStats, LogReader
from replay.sequence import SequenceTracker
from replay.summary import PositionRow, ReplaySummary, ord_status_name


class Integrity(StrEnum):
    """What a message with a bad CheckSum, BodyLength or missing tag does to the book."""

    WARN = "warn"
    """Report it and replay it anyway (public logs are often edited, and their checksums go stale)."""
    STRICT = "strict"
    """Report it and leave it out of the book."""


class Replayer:
    """Read one file after another into one book."""

    def __init__(
        self, *, own_comp_id: str | None = None, integrity: Integrity = Integrity.WARN, pipeline: bool | None = None
    ) -> None:
        self.own_comp_id = own_comp_id
        self.integrity = integrity
        self.pipeline = pipeline
        """Read in a second process: always (True), never (False), or where it is worth it (``pipeline.worthwhile``)."""
        self.book = ReplayBook()
        self.files: list[FileStats] = []
        self.messages_by_type: Counter[str] = Counter()
        self.skipped = 0
        self._sequence = SequenceTracker()
        self._anomalies: list[Anomaly] = []

    def replay(self, path: Path, *, name: str | None = None, progress: Callable[[int], None] | None = None) -> None:
        """Replay one file; ``progress`` is told how many bytes of it have been read. Raises OSError."""
        piped = self.pipeline if self.pipeline is not None else worthwhile(path.stat().st_size)
        kind = PipedReader if piped else LogReader
        reader = kind(path, own_comp_id=self.own_comp_id, name=name, progress=progress)
        collecting = gc.isenabled()
        gc.disable()  # the book only grows while replaying, and has no cycles to collect: don't look for them
        try:
            self._replay(reader)
        finally:
            if collecting:
                gc.enable()
        self.files.append(reader.stats)

    def _replay(self, reader: LogReader | PipedReader) -> None:
        counts = self.messages_by_type
        strict = self.integrity is Integrity.STRICT
        check_sequence = self._sequence.check
        apply = self.book.apply
        anomalies = self._anomalies
        for message in reader:
            counts[message.msg_type] += 1
            if message.problems:
                anomalies.extend(
                    Anomaly(
                        kind=p.kind,
                        text=p.text,
                        file=message.file,
                        line=message.line,
                        msg_type=message.msg_type,
                        seq_num=message.seq_num,
                        session=message.session,
                    )
                    for p in message.problems
                )
                if strict:
                    self.skipped += 1
                    continue
            anomaly = check_sequence(message)
            if anomaly is not None:
                anomalies.append(anomaly)
            apply(message)

    def replay_all(self, paths: Iterable[Path]) -> ReplaySummary:
        """Replay every file in order and return the summary."""
        for path in paths:
            self.replay(path)
        return self.summary()

    def summary(self) -> ReplaySummary:
        """Finish the book and sum up (call once, after the last file)."""
        book = self.book
        book.finish()
        anomalies = self._anomalies + book.anomalies
        states = Counter(ord_status_name(status) for status in book.order_states().elements())
        return ReplaySummary(
            files=self.files,
            messages=sum(self.messages_by_type.values()),
            messages_by_type=dict(self.messages_by_type.most_common()),
            skipped_messages=self.skipped,
            orders=len(book.orders),
            orders_by_state=dict(states.most_common()),
            open_orders=book.open_orders,
            peak_open_orders=book.peak_open_orders,
            orders_with_anomalies=sum(1 for order in book.orders if order.flagged),
            executions=sum(len(order.fills) for order in book.orders),
            positions=self._positions(),
            anomalies_by_kind=dict(Counter(a.kind.value for a in anomalies).most_common()),
            anomalies=anomalies,
        )

    def _positions(self) -> list[PositionRow]:
        return [
            PositionRow(
                session=session,
                account=account,
                symbol=symbol,
                qty=p.qty,
                avg_cost=p.avg_cost,
                realized_pnl=p.realized_pnl,
                unrealized_pnl=p.unrealized_pnl,
                mark=p.mark,
                bought_qty=p.bought_qty,
                sold_qty=p.sold_qty,
            )
            for session, positions in sorted(self.book.positions.items())
            for (account, symbol), p in sorted(positions.positions.items())
        ]
