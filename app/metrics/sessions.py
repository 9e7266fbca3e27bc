"""FIX sessions, read at scrape time from ``FixApplication.stats()``.

Sessions are labelled by their key (``FIX.4.4:FIXGW->CLIENT1``: configured in the sessions file, never a peer's
choice) and a role: ``client``, ``venue`` or ``marketdata`` in the gateway, ``member`` in the venue simulator.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Protocol

from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric

from domain.ids import SessionKey


class SessionStats(Protocol):
    """What ``FixApplication`` gives: each session's state, sequence numbers and message counts."""

    def stats(self) -> Mapping[SessionKey, Mapping[str, Any]]:
        """Per session key: logged_on, since_ns, next_sender_seq, next_target_seq, messages_in, messages_out,
        last_heartbeat_ns."""
        ...


class SessionMetrics:
    """``fixgw_session_*`` for the sessions of some applications, each with its role."""

    def __init__(self, apps: Mapping[str, SessionStats]) -> None:
        """``apps``: role -> the application whose sessions have it."""
        self._apps = apps

    def collect(self) -> Iterator[Metric]:
        """Every family."""
        labels = ["role", "session"]
        up = GaugeMetricFamily("fixgw_session_logged_on", "1 while the FIX session is logged on.", labels=labels)
        since = GaugeMetricFamily(
            "fixgw_session_state_since_timestamp_seconds",
            "When the session last logged on (while it is on), or off (while it is off).",
            labels=labels,
        )
        messages = CounterMetricFamily(
            "fixgw_session_messages",
            "FIX messages received (in) and sent (out), admin and application.",
            labels=[*labels, "direction"],
        )
        sender = GaugeMetricFamily(
            "fixgw_session_next_sender_seq_num", "MsgSeqNum (34) of the next message sent.", labels=labels
        )
        target = GaugeMetricFamily(
            "fixgw_session_next_target_seq_num", "MsgSeqNum (34) expected of the next message received.", labels=labels
        )
        heartbeat = GaugeMetricFamily(
            "fixgw_session_last_heartbeat_timestamp_seconds", "When the last Heartbeat (35=0) arrived.", labels=labels
        )
        for role, app in self._apps.items():
            for session, stats in sorted(app.stats().items()):
                key = [role, session]
                up.add_metric(key, 1.0 if stats["logged_on"] else 0.0)
                messages.add_metric([*key, "in"], stats["messages_in"])
                messages.add_metric([*key, "out"], stats["messages_out"])
                _maybe(since, key, stats["since_ns"], 1e-9)
                _maybe(sender, key, stats["next_sender_seq"])
                _maybe(target, key, stats["next_target_seq"])
                _maybe(heartbeat, key, stats["last_heartbeat_ns"], 1e-9)
        yield from (up, since, messages, sender, target, heartbeat)


def _maybe(family: GaugeMetricFamily, labels: list[str], value: float | None, scale: float = 1.0) -> None:
    if value is not None:
        family.add_metric(labels, value * scale)
