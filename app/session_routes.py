"""Admin API route over the gateway's FIX sessions: ``GET /sessions``, what ``fixgw sessions`` and the dashboard show.

The answer is ``{"sessions": [...]}``, one object per configured session, clients first, then venues' order sessions,
then their market data sessions, each group by name::

    {"session": "FIX.4.4:FIXGW->CLIENT1", "role": "client" | "venue" | "marketdata", "logged_on": bool,
     "since_ns": int | null, "next_sender_seq": int, "next_target_seq": int, "messages_in": int,
     "messages_out": int, "last_heartbeat_ns": int | null}

``since_ns`` is when it logged on (while logged on) or off (while down), null if it never was; the sequence numbers
are the engine's next MsgSeqNum (34) to send and to expect; the counts include admin messages; times are ns since
the epoch, UTC (``fixgw.session.stats``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.admin import Route
from fixgw.session.application import FixApplication

Answer = tuple[int, dict[str, Any]]
ROLES = ("client", "venue", "marketdata")
"""What a session is to the gateway: a client's (acceptor), a venue's order session, a venue's market data."""


def session_routes(apps: Mapping[str, FixApplication]) -> dict[tuple[str, str], Route]:
    """The route, bound to the FIX application of each role (``ROLES``)."""
    return {("GET", "/sessions"): lambda _: sessions(apps)}


def sessions(apps: Mapping[str, FixApplication]) -> Answer:
    """Every session of every application, with its state, sequence numbers and message counts."""
    rows: list[dict[str, Any]] = []
    for role in ROLES:
        if (app := apps.get(role)) is None:
            continue
        stats = app.stats()
        rows.extend({"session": key, "role": role, **stats[key]} for key in sorted(stats))
    return 200, {"sessions": rows}
