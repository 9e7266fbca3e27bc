"""Reading in a second process (replay.pipeline) gives exactly what reading in this one gives."""

from __future__ import annotations

import os
from pathlib import Path

import msgspec
import pytest

from replay.pipeline import PIPELINE_FROM, worthwhile
from replay.replayer import Replayer
from replay.summary import ReplaySummary

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def summary(path: Path, *, pipeline: bool) -> ReplaySummary:
    replayer = Replayer(pipeline=pipeline)
    replayer.replay(path)
    return replayer.summary()


def test_pipeline_when_a_log_is_read_in_a_child_process_then_the_summary_is_the_same(tmp_path: Path) -> None:
    parts = [
        FIXTURES / "own" / "broker-chains.log",
        FIXTURES / "scenarios" / "demo.log",
        FIXTURES / "scenarios" / "cancel-replace.log",
    ]
    log = tmp_path / "FIX.4.4-FIXGW-CLIENT1.messages.current.log"
    log.write_bytes(b"".join(part.read_bytes() for part in parts) * 300)  # > BATCH messages, with anomalies

    piped, direct = summary(log, pipeline=True), summary(log, pipeline=False)

    assert piped.messages == direct.messages == 15600
    assert msgspec.to_builtins(piped) == msgspec.to_builtins(direct)


def test_pipeline_when_the_file_cannot_be_read_then_the_child_s_error_is_raised_here(tmp_path: Path) -> None:
    with pytest.raises(OSError, match="No such file"):
        summary(tmp_path / "nope.log", pipeline=True)


@pytest.mark.parametrize(
    ("size", "cpus", "expected"),
    [(PIPELINE_FROM, {0, 1}, True), (PIPELINE_FROM - 1, {0, 1}, False), (PIPELINE_FROM, {1}, False)],
)
def test_pipeline_when_the_file_is_small_or_one_cpu_is_ours_then_it_is_not_worth_a_second_process(
    monkeypatch: pytest.MonkeyPatch, size: int, cpus: set[int], expected: bool
) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: cpus, raising=False)

    assert worthwhile(size) is expected
