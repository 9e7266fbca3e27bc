"""What an operator (``fixgw sessions``, the dashboard, ``/metrics``) sees of each FIX session: its state since when,
its sequence numbers, and how many messages went each way."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import quickfix


@dataclass(slots=True)
class SessionStats:
    """Counters of one session, kept by its ``FixApplication`` (plain ints: written by the engine's thread, read by
    whoever asks; a reader may see one message more or less, never a torn value)."""

    messages_in: int = 0
    """Every message received: application and admin (heartbeats, logons ...)."""
    messages_out: int = 0
    """Every message sent: application and admin."""
    logged_on_since_ns: int | None = None
    logged_out_at_ns: int | None = None
    last_heartbeat_ns: int | None = None
    """When the last Heartbeat (35=0) arrived."""

    def snapshot(self, session_id: quickfix.SessionID, logged_on: bool) -> dict[str, Any]:
        """The counters and the engine's sequence numbers, as JSON-ready values (times in ns since the epoch)."""
        session = quickfix.Session.lookupSession(session_id)
        return {
            "logged_on": logged_on,
            "since_ns": self.logged_on_since_ns if logged_on else self.logged_out_at_ns,
            "next_sender_seq": int(session.getExpectedSenderNum()) if session is not None else None,
            "next_target_seq": int(session.getExpectedTargetNum()) if session is not None else None,
            "messages_in": self.messages_in,
            "messages_out": self.messages_out,
            "last_heartbeat_ns": self.last_heartbeat_ns,
        }
