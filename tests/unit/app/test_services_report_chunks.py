"""The core's reports leave in NATS messages of bounded size: after a stall the relay's call holds everything queued,
and NATS refuses a message over its max_payload (the relay would then retry it forever)."""

from __future__ import annotations

import msgspec

from app.services import core
from transport.envelope import RawReport


def _raw(size: int) -> RawReport:
    return RawReport("ExecutionReport", msgspec.Raw(b"x" * size))


def test_chunks_when_rows_exceed_the_limit_then_split_in_order_none_over_it() -> None:
    rows = [(i, _raw(core._MAX_MESSAGE_BYTES // 3)) for i in range(10)]
    parts = list(core._chunks(rows))
    assert [row for part in parts for row in part] == rows
    assert [len(part) for part in parts] == [3, 3, 3, 1]
    assert all(sum(len(r.body) for _, r in part) <= core._MAX_MESSAGE_BYTES for part in parts)


def test_chunks_when_one_row_alone_exceeds_the_limit_then_it_goes_alone() -> None:
    rows = [(1, _raw(10)), (2, _raw(core._MAX_MESSAGE_BYTES + 1)), (3, _raw(10))]
    assert [[i for i, _ in part] for part in core._chunks(rows)] == [[1], [2], [3]]


def test_chunks_when_small_then_one_message() -> None:
    rows = [(i, _raw(100)) for i in range(50)]
    assert list(core._chunks(rows)) == [rows]
