"""The audit trail's outbound FIX text: a message as its session sent it, header and trailer included (issue 16).

Theory of operation: the book commits a report before it is sent (``oms.store.journal``), as JSON in ``messages``
(``seq`` NULL): what a restart sends again if the send may not have happened. Its FIX header — MsgSeqNum (34),
SendingTime (52), BodyLength (9), CheckSum (10) — exists only once the session has sent it, after that commit. So
the session's own text of each sent message is taken right after the send (on the journal's thread, after the
batch's reports have left) and written as one more ``messages`` row with the journal's next transaction, together
with the delivery marker: the text of a report is recorded exactly when its delivery is. It goes in the same table
as the other audit rows so that it rides in the same multi-row INSERT (no statement and no pages of its own in the
transaction: on SQLite that halved its cost). The row has the MsgSeqNum it was sent with, which tells it from the
JSON, and a report's names its JSON row (``sent_from``).

A crash in between loses neither: the restart sends the report again (PossResend 97=Y, a new MsgSeqNum) and records
that text against the same JSON row; the first one is in the session's message store and log. Resends the engine
makes itself for a ResendRequest (PossDupFlag 43=Y, the same MsgSeqNum) are the session layer's and are not
recorded again. A request to a venue is recorded the same way, found by its ClOrdID (ours: unique per request).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from domain.audit import SOH, audit_id, audit_text

Row = dict[str, Any]


def sent_row(session: str, raw: str, ts_ns: int, *, order_id: str | None, sent_from: int | None = None) -> Row:
    """The ``messages`` row of ``raw`` (the message as the session sent it, at ``ts_ns``) on ``session``.

    Every value is made safe for the book's columns (printable text, bounded ids): a row here can only fail to
    commit when the database does, so it never takes the batch it rides with into quarantine.
    """
    return {
        "ts_ns": ts_ns,
        "direction": "out",
        "session": session,
        "msg_type": audit_id(field(raw, 35), 4) or "",
        "seq": _seq(raw),
        "order_id": order_id,
        "cl_ord_id": audit_id(field(raw, 11)),
        "body": audit_text(raw),
        "sent_from": sent_from,
    }


def report_rows(decided: Sequence[Row | None], texts: Sequence[str | None], sent_ns: int) -> list[Row]:
    """The rows of reports just sent: ``texts[i]`` is what the report of JSON row ``decided[i]`` went out as, None
    if it was not sent (the risk engine's own orders have no client). On the journal's thread after every batch:
    what the JSON row already says (session, MsgType, ids) is taken from it, only MsgSeqNum (34) from the text."""
    return [
        row | {"id": None, "ts_ns": sent_ns, "seq": _seq(raw), "body": audit_text(raw), "sent_from": row["id"]}
        for row, raw in zip(decided, texts, strict=True)
        if raw is not None and row is not None
    ]


def field(raw: str, tag: int) -> str | None:
    """The first value of ``tag`` in a FIX message's text (SOH-delimited), None if it has none."""
    marker = f"{SOH}{tag}="
    start = raw.find(marker)
    if start < 0:
        return None
    start += len(marker)
    end = raw.find(SOH, start)
    return raw[start:] if end < 0 else raw[start:end]


def _seq(raw: str) -> int:
    """MsgSeqNum (34): every message a session took has one (0 would mark one that somehow has none)."""
    seq = field(raw, 34)
    return int(seq) if seq is not None and seq.isdigit() else 0
