"""Protocol errors: the exception's type *is* the FIX reaction (as in QuickFIX/J).

GatewayError
  FixReject(tag, text)          -> session Reject 35=3 with SessionRejectReason (373)
    RequiredTagMissing            373=1
    IncorrectTagValue             373=5
    IncorrectDataFormat           373=6
    UnsupportedMessageType        -> BusinessMessageReject 35=j, 380=3
    ApplicationNotAvailable       -> BusinessMessageReject 35=j, 380=4 (e.g. the book of record cannot commit)
  MarketDataRequestRefused      -> MarketDataRequestReject 35=Y with MDReqRejReason (281): well-formed, not served
  ConfigError                   startup only: refuse to start

The ``FixReject`` family is turned into FIX messages in exactly one place: ``fixgw.session.application``. A
``MarketDataRequestRefused`` is no protocol error: whoever serves market data answers it with the 35=Y its
``reject`` makes, and the session carries on.
"""

# Re-exported: the root errors live in ``domain`` so that every package can raise them.
from domain.errors import ConfigError as ConfigError
from domain.errors import GatewayError as GatewayError
from domain.ids import SessionKey
from domain.marketdata import MarketDataReject, MDReqRejReason


class FixReject(GatewayError):
    """A message that breaks the FIX protocol; answered with a session Reject (35=3)."""

    session_reject_reason: int = 99  # 373=99 Other

    def __init__(self, tag: int | None, text: str) -> None:
        super().__init__(text)
        self.tag = tag
        self.text = text


class RequiredTagMissing(FixReject):
    """A required tag is absent (373=1)."""

    session_reject_reason = 1

    def __init__(self, tag: int, text: str | None = None) -> None:
        super().__init__(tag, text or f"Required tag missing: {tag}")


class IncorrectTagValue(FixReject):
    """A tag carries a value we do not support (373=5)."""

    session_reject_reason = 5


class IncorrectDataFormat(FixReject):
    """A tag's value is not of its FIX data type (373=6)."""

    session_reject_reason = 6


class ApplicationNotAvailable(FixReject):
    """The application cannot take this message now (BusinessMessageReject 35=j, 380=4); Text says why."""

    def __init__(self, text: str) -> None:
        super().__init__(None, text)


class UnsupportedMessageType(FixReject):
    """A message type this session does not handle (BusinessMessageReject 35=j, 380=3)."""

    def __init__(self, msg_type: str) -> None:
        super().__init__(None, f"Unsupported message type: {msg_type}")
        self.msg_type = msg_type


class MarketDataRequestRefused(GatewayError):
    """A MarketDataRequest (35=V) that is good FIX but asks for what is not served (a subscription type, depth or
    entry type we do not support): answered with a MarketDataRequestReject (35=Y), not a session Reject."""

    def __init__(self, md_req_id: str, reason: MDReqRejReason, text: str) -> None:
        super().__init__(text)
        self.md_req_id = md_req_id
        self.reason = reason
        self.text = text

    def reject(self, session: SessionKey) -> MarketDataReject:
        """The MarketDataRequestReject (35=Y) that answers the request on ``session``."""
        return MarketDataReject(session=session, md_req_id=self.md_req_id, reason=self.reason, text=self.text)
