"""Sequence numbers of each stream of a log: gaps, numbers going back, repeats.

Theory of operation: a stream is one direction of one session (SenderCompID, TargetCompID and the direction:
t_atlas.log has GEH on both sides). Each message should carry the number after the previous one. The first
message of a stream sets the count; a Logon (35=A) with MsgSeqNum 1 or ResetSeqNumFlag (141=Y) and a
SequenceReset (35=4, NewSeqNo 36) set it again; a resent message (PossDupFlag 43=Y) with an old number is
left alone, since it repeats that number on purpose (one with a new number is counted: t_atlas.log marks
each repeat of its ResendRequest 43=Y). Anything else that does not follow is reported: a gap
(messages missing from the log, or never sent), a number going back without a reset, or a repeat.
"""

from __future__ import annotations

from replay.anomalies import Anomaly, AnomalyKind
from replay.message import LogMessage


class SequenceTracker:
    """Check MsgSeqNum (34) stream by stream."""

    def __init__(self) -> None:
        self._expected: dict[str, int] = {}

    def check(self, message: LogMessage) -> Anomaly | None:
        """Advance the message's stream; return an anomaly when its number does not follow."""
        seq = message.seq_num
        if seq is None:
            return None
        key = message.stream
        tags = message.tags
        msg_type = message.msg_type
        if msg_type == "4":
            new = tags.new_seq_no
            if new.isdigit():
                self._expected[key] = int(new)
                return None
        expected = self._expected.get(key)
        if expected is not None and seq < expected and tags.poss_dup == "Y":
            return None  # a resend: an old number on purpose
        self._expected[key] = seq + 1
        if expected is None or seq == expected:
            return None
        if msg_type == "A" and (seq == 1 or tags.reset_seq_num == "Y"):
            return None
        stream = f"{message.sender}->{message.target}"
        if seq > expected:
            missing = seq - expected
            kind, text = AnomalyKind.SEQUENCE_GAP, f"{stream}: MsgSeqNum {seq}, expected {expected} ({missing} missing)"
        elif seq == expected - 1:
            kind, text = AnomalyKind.SEQUENCE_REPEAT, f"{stream}: MsgSeqNum {seq} repeated"
        else:
            kind, text = AnomalyKind.SEQUENCE_BACKWARDS, f"{stream}: MsgSeqNum {seq} after {expected - 1}, no reset"
        return Anomaly(
            kind=kind,
            text=text,
            file=message.file,
            line=message.line,
            msg_type=msg_type,
            seq_num=seq,
            session=message.session,
        )
