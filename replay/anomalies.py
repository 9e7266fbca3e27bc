"""What replay reports: integrity problems of single messages, and anomalies of orders and sessions."""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple

import msgspec


class AnomalyKind(StrEnum):
    """What is wrong; the value is what ``--json`` prints."""

    # one message (the reader)
    BAD_CHECKSUM = "bad_checksum"
    BAD_BODY_LENGTH = "bad_body_length"
    MISSING_TAG = "missing_tag"
    MALFORMED_FIELD = "malformed_field"
    TRUNCATED = "truncated"
    # orders (the book)
    CUM_QTY_DECREASED = "cum_qty_decreased"
    OVERFILL = "overfill"
    UNKNOWN_ORDER_FILL = "unknown_order_fill"
    UNKNOWN_ORDER_REPORT = "unknown_order_report"
    BROKEN_CHAIN = "broken_chain"
    LEAVES_QTY_MISMATCH = "leaves_qty_mismatch"
    FILLS_NE_CUM_QTY = "fills_ne_cum_qty"
    DUPLICATE_CL_ORD_ID = "duplicate_cl_ord_id"
    DUPLICATE_EXEC_ID = "duplicate_exec_id"
    BAD_VALUE = "bad_value"
    # sessions (sequence numbers)
    SEQUENCE_GAP = "sequence_gap"
    SEQUENCE_BACKWARDS = "sequence_backwards"
    SEQUENCE_REPEAT = "sequence_repeat"

    @property
    def category(self) -> str:
        """``integrity``, ``order`` or ``session``."""
        if self in _INTEGRITY:
            return "integrity"
        return "session" if self.value.startswith("sequence") else "order"


_INTEGRITY = frozenset(
    {
        AnomalyKind.BAD_CHECKSUM,
        AnomalyKind.BAD_BODY_LENGTH,
        AnomalyKind.MISSING_TAG,
        AnomalyKind.MALFORMED_FIELD,
        AnomalyKind.TRUNCATED,
    }
)


class Problem(NamedTuple):
    """An integrity problem of one message, found by the reader."""

    kind: AnomalyKind
    text: str


class Anomaly(msgspec.Struct, frozen=True, kw_only=True):
    """One thing found wrong, with where it was found."""

    kind: AnomalyKind
    text: str
    file: str
    line: int
    msg_type: str = ""
    seq_num: int | None = None
    session: str = ""
    order: str = ""
    """The order's first ClOrdID (11), for order anomalies."""
