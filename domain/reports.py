"""Outbound report values, encoded to FIX by ``fixgw.codec.outbound``."""

from decimal import Decimal

import msgspec

from domain.enums import CommType, CxlRejReason, CxlRejResponseTo, ExecType, OrdRejReason, OrdStatus, OrdType, Side
from domain.ids import Account, ClOrdId, ExecId, OrderId, SessionKey, Symbol


class ExecutionReport(msgspec.Struct, frozen=True, kw_only=True):
    """ExecutionReport (35=8) addressed to one session."""

    session: SessionKey
    order_id: OrderId
    cl_ord_id: ClOrdId
    exec_id: ExecId
    exec_type: ExecType
    ord_status: OrdStatus
    account: Account | None
    symbol: Symbol
    side: Side
    ord_type: OrdType | None
    price: Decimal | None
    order_qty: Decimal
    cum_qty: Decimal
    leaves_qty: Decimal
    avg_px: Decimal
    last_qty: Decimal | None = None
    last_px: Decimal | None = None
    transact_time_ns: int
    ord_rej_reason: OrdRejReason | None = None
    text: str | None = None
    orig_cl_ord_id: ClOrdId | None = None
    """OrigClOrdID (41) on reports that answer a cancel or replace."""
    poss_resend: bool = False
    """PossResend (97): sent again after a restart; the receiver dedupes by ExecID (17)."""
    commission: Decimal | None = None
    """Commission (12) of a fill, expressed as ``comm_type`` says (a simulated venue's fee)."""
    comm_type: CommType | None = None
    """CommType (13): per unit, percent, or absolute (the default when absent)."""

    def fee(self) -> Decimal:
        """The fill's fee in money, as Commission (12) and CommType (13) state it; 0 without a commission."""
        if self.commission is None:
            return Decimal(0)
        if self.comm_type is CommType.PER_UNIT:
            return self.commission * (self.last_qty or 0)
        if self.comm_type is CommType.PERCENT:
            return self.commission / 100 * (self.last_qty or 0) * (self.last_px or 0)
        return self.commission


class CancelReject(msgspec.Struct, frozen=True, kw_only=True):
    """OrderCancelReject (35=9) addressed to one session."""

    session: SessionKey
    order_id: OrderId
    """OrderID (37); "NONE" when the order is unknown."""
    cl_ord_id: ClOrdId
    orig_cl_ord_id: ClOrdId
    ord_status: OrdStatus
    """OrdStatus (39) after the reject (REJECTED when the order is unknown)."""
    response_to: CxlRejResponseTo
    reason: CxlRejReason
    text: str
    poss_resend: bool = False


class MassCancelReport(msgspec.Struct, frozen=True, kw_only=True):
    """OrderMassCancelReport (35=r) addressed to one session."""

    session: SessionKey
    cl_ord_id: ClOrdId
    order_id: OrderId
    """OrderID (37), required in 35=r: our id of the mass-cancel request."""
    request_type: str
    """MassCancelRequestType (530), echoed."""
    response: str
    """MassCancelResponse (531): 0 rejected, else the request type that was accepted."""
    reject_reason: str | None = None
    """MassCancelRejectReason (532) when rejected."""
    total_affected: int = 0
    """TotalAffectedOrders (533)."""
    text: str | None = None
    poss_resend: bool = False


class BusinessReject(msgspec.Struct, frozen=True, kw_only=True):
    """BusinessMessageReject (35=j) addressed to one session: an application message refused for a business reason
    when FIX has no specific reject for it (e.g. a throttled OrderStatusRequest)."""

    session: SessionKey
    cl_ord_id: ClOrdId
    """BusinessRejectRefID (379): the ClOrdID (11) of the refused message."""
    ref_msg_type: str
    """RefMsgType (372)."""
    reason: int
    """BusinessRejectReason (380): 0 Other (FIX 4.4 has no throttle value; 8 exists only in FIX Latest)."""
    text: str
    poss_resend: bool = False


ClientReport = ExecutionReport | CancelReject | MassCancelReport | BusinessReject
