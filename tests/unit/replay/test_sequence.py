"""MsgSeqNum per stream: gaps, repeats, numbers going back, resets, gap fills and resends."""

from __future__ import annotations

from pathlib import Path

from replay.anomalies import AnomalyKind
from replay.sequence import SequenceTracker
from tests.replay.make_fixtures import fix
from tests.unit.replay.logs import T, read, write


def heartbeat(seq: int, sender: str = "A", target: str = "B", **extra: str) -> bytes:
    return fix("FIX.4.4", "0", seq, sender, target, T, [(int(t[1:]), v) for t, v in extra.items()])


def found(tmp_path: Path, *lines: bytes) -> list[tuple[AnomalyKind, int | None]]:
    tracker = SequenceTracker()
    results = [tracker.check(m) for m in read(write(tmp_path, *lines), own_comp_id="A")]
    return [(a.kind, a.seq_num) for a in results if a is not None]


def test_sequence_when_numbers_follow_in_each_direction_then_nothing_is_reported(tmp_path: Path) -> None:
    lines = [heartbeat(1), heartbeat(1, "B", "A"), heartbeat(2), heartbeat(2, "B", "A"), heartbeat(3)]

    assert found(tmp_path, *lines) == []


def test_sequence_when_numbers_jump_then_a_gap_is_reported(tmp_path: Path) -> None:
    assert found(tmp_path, heartbeat(1), heartbeat(2), heartbeat(7)) == [(AnomalyKind.SEQUENCE_GAP, 7)]


def test_sequence_when_a_number_repeats_then_a_repeat_is_reported(tmp_path: Path) -> None:
    assert found(tmp_path, heartbeat(1), heartbeat(2), heartbeat(2)) == [(AnomalyKind.SEQUENCE_REPEAT, 2)]


def test_sequence_when_numbers_go_back_without_reset_then_it_is_reported(tmp_path: Path) -> None:
    assert found(tmp_path, heartbeat(5), heartbeat(6), heartbeat(2)) == [(AnomalyKind.SEQUENCE_BACKWARDS, 2)]


def test_sequence_when_a_logon_resets_then_numbers_start_again_silently(tmp_path: Path) -> None:
    logon = fix("FIX.4.4", "A", 1, "A", "B", T, [(98, "0"), (108, "30"), (141, "Y")])

    assert found(tmp_path, heartbeat(5), heartbeat(6), logon, heartbeat(2)) == []


def test_sequence_when_a_gap_fill_moves_the_number_then_the_next_message_follows_it(tmp_path: Path) -> None:
    gap_fill = fix("FIX.4.4", "4", 3, "A", "B", T, [(43, "Y"), (123, "Y"), (36, "10")])

    assert found(tmp_path, heartbeat(1), heartbeat(2), gap_fill, heartbeat(10)) == []


def test_sequence_when_an_old_message_is_resent_with_possdup_then_it_is_not_a_repeat(tmp_path: Path) -> None:
    assert found(tmp_path, heartbeat(1), heartbeat(2), heartbeat(3), heartbeat(2, t43="Y"), heartbeat(4)) == []
