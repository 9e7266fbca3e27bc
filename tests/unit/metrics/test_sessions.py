"""Session families from ``FixApplication.stats()``: one series per session and role, times in seconds."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.metrics.sessions import SessionMetrics
from domain.ids import SessionKey
from tests.unit.metrics.values import value, values

CLIENT = SessionKey("FIX.4.4:FIXGW->CLIENT1")


class _App:
    def __init__(self, stats: dict[SessionKey, dict[str, Any]]) -> None:
        self._stats = stats

    def stats(self) -> Mapping[SessionKey, Mapping[str, Any]]:
        return self._stats


def _stats(logged_on: bool, heartbeat: int | None) -> dict[str, Any]:
    return {
        "logged_on": logged_on,
        "since_ns": 1_800_000_000_500_000_000,
        "next_sender_seq": 12,
        "next_target_seq": 9,
        "messages_in": 8,
        "messages_out": 11,
        "last_heartbeat_ns": heartbeat,
    }


def test_collect_when_sessions_then_state_counts_sequence_numbers_and_times_in_seconds() -> None:
    app = _App({CLIENT: _stats(True, 1_800_000_001_000_000_000)})

    found = values(SessionMetrics({"client": app}))

    labels = {"role": "client", "session": CLIENT}
    assert value(found, "fixgw_session_logged_on", **labels) == 1
    assert value(found, "fixgw_session_messages_total", direction="in", **labels) == 8
    assert value(found, "fixgw_session_messages_total", direction="out", **labels) == 11
    assert value(found, "fixgw_session_next_sender_seq_num", **labels) == 12
    assert value(found, "fixgw_session_next_target_seq_num", **labels) == 9
    assert value(found, "fixgw_session_state_since_timestamp_seconds", **labels) == 1_800_000_000.5
    assert value(found, "fixgw_session_last_heartbeat_timestamp_seconds", **labels) == 1_800_000_001


def test_collect_when_session_down_and_never_heartbeat_then_zero_and_no_heartbeat_series() -> None:
    found = values(SessionMetrics({"venue": _App({SessionKey("FIX.4.4:FIXGW->VENUE"): _stats(False, None)})}))

    assert value(found, "fixgw_session_logged_on", role="venue", session="FIX.4.4:FIXGW->VENUE") == 0
    assert not any(name == "fixgw_session_last_heartbeat_timestamp_seconds" for name, _ in found)
