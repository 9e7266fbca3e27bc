"""FIX enumerations. Each value is the FIX wire code, so decoding is ``Side(raw)``."""

from enum import StrEnum


class Side(StrEnum):
    """Side (54)."""

    BUY = "1"
    SELL = "2"


class OrdType(StrEnum):
    """OrdType (40)."""

    MARKET = "1"
    LIMIT = "2"


class TimeInForce(StrEnum):
    """TimeInForce (59); absent means DAY."""

    DAY = "0"
    GOOD_TILL_CANCEL = "1"
    IMMEDIATE_OR_CANCEL = "3"
    FILL_OR_KILL = "4"


class OrdStatus(StrEnum):
    """OrdStatus (39), FIX 4.4 (5 "Replaced" is not used in 4.4)."""

    NEW = "0"
    PARTIALLY_FILLED = "1"
    FILLED = "2"
    DONE_FOR_DAY = "3"
    CANCELED = "4"
    PENDING_CANCEL = "6"
    STOPPED = "7"
    REJECTED = "8"
    SUSPENDED = "9"
    PENDING_NEW = "A"
    CALCULATED = "B"
    EXPIRED = "C"
    ACCEPTED_FOR_BIDDING = "D"
    PENDING_REPLACE = "E"

    @property
    def is_terminal(self) -> bool:
        """Return True when no further execution is expected for the order."""
        return self in _TERMINAL


_TERMINAL = frozenset(
    {OrdStatus.FILLED, OrdStatus.CANCELED, OrdStatus.REJECTED, OrdStatus.EXPIRED, OrdStatus.DONE_FOR_DAY}
)


class ExecType(StrEnum):
    """ExecType (150), FIX 4.4: fills are TRADE (F), not the FIX 4.2 values 1/2."""

    NEW = "0"
    DONE_FOR_DAY = "3"
    CANCELED = "4"
    REPLACED = "5"
    PENDING_CANCEL = "6"
    STOPPED = "7"
    REJECTED = "8"
    SUSPENDED = "9"
    PENDING_NEW = "A"
    CALCULATED = "B"
    EXPIRED = "C"
    RESTATED = "D"
    PENDING_REPLACE = "E"
    TRADE = "F"
    TRADE_CORRECT = "G"
    TRADE_CANCEL = "H"
    ORDER_STATUS = "I"


class OrdRejReason(StrEnum):
    """OrdRejReason (103): only values the QuickFIX FIX44.xml dictionary enumerates."""

    BROKER_OPTION = "0"
    UNKNOWN_SYMBOL = "1"
    EXCHANGE_CLOSED = "2"
    ORDER_EXCEEDS_LIMIT = "3"
    TOO_LATE_TO_ENTER = "4"
    UNKNOWN_ORDER = "5"
    DUPLICATE_ORDER = "6"
    UNSUPPORTED_ORDER_CHARACTERISTIC = "11"
    INCORRECT_QUANTITY = "13"
    UNKNOWN_ACCOUNT = "15"
    OTHER = "99"


class CxlRejReason(StrEnum):
    """CxlRejReason (102), FIX 4.4."""

    TOO_LATE_TO_CANCEL = "0"
    UNKNOWN_ORDER = "1"
    BROKER_OPTION = "2"
    ALREADY_PENDING = "3"
    DUPLICATE_CL_ORD_ID = "6"
    OTHER = "99"


class CxlRejResponseTo(StrEnum):
    """CxlRejResponseTo (434)."""

    ORDER_CANCEL_REQUEST = "1"
    ORDER_CANCEL_REPLACE_REQUEST = "2"


class CommType(StrEnum):
    """CommType (13): how Commission (12) is expressed."""

    PER_UNIT = "1"
    PERCENT = "2"
    ABSOLUTE = "3"
