"""Typed reports and orders -> quickfix messages, using only tag-number calls (cheap in the SWIG binding)."""

import time
from decimal import Decimal

import quickfix

from domain.commands import CancelAtVenue, ReplaceAtVenue, VenueRequest
from domain.enums import OrdType, Side, TimeInForce
from domain.ids import Account, ClOrdId, Symbol
from domain.reports import CancelReject, ExecutionReport, MassCancelReport
from fixgw.codec.values import safe_text

_last_second = -1
_last_prefix = ""

_FIX42 = "FIX.4.2:"
"""The start of a FIX 4.2 session's key (``SessionID.toString()``: BeginString first)."""
# FIX 4.2 enumerates OrdRejReason (103) 0-8 and CxlRejReason (102) 0-3 only (specs/FIX42.xml); the values added in
# 4.3/4.4 that we send (11, 13, 15, 99; 6, 99) go out as Broker option there (103=0, 102=2). Text (58) still names
# the check, limit and value. FIX 4.4 and 5.0 SP2 enumerate every value we send, so they go out as they are.
_ORD_REJ_FIX42: dict[str, str] = {"11": "0", "13": "0", "15": "0", "99": "0"}
_CXL_REJ_FIX42: dict[str, str] = {"6": "2", "99": "2"}


def format_decimal(value: Decimal) -> str:
    """Format a Decimal as FIX Qty/Price text: no exponent, no trailing zeros."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def format_utc_timestamp(ns: int) -> str:
    """Format ns since the epoch as FIX UTCTimestamp with milliseconds (valid in FIX 4.2 to 5.0)."""
    global _last_second, _last_prefix
    second, rest = divmod(ns, 1_000_000_000)
    if second != _last_second:  # strftime costs microseconds: do it once a second
        _last_prefix = time.strftime("%Y%m%d-%H:%M:%S", time.gmtime(second))
        _last_second = second
    return f"{_last_prefix}.{rest // 1_000_000:03d}"


def _message(msg_type: str) -> quickfix.Message:
    message = quickfix.Message()
    message.getHeader().setField(35, msg_type)
    return message


def _from_text(msg_type: str, body: str, poss_resend: bool = False) -> quickfix.Message:
    """One quickfix message from FIX body text (``tag=value<SOH>`` …) in a single call into the binding.

    Why text: each ``setField`` is a trip through SWIG (about 1 µs); a report of 17 fields built field by field
    cost 15 µs, parsed from text 2.4 µs. The session fills in the rest of the header (8, 49, 56, 34, 52),
    BodyLength (9) and CheckSum (10) when it sends.
    """
    return quickfix.Message(f"35={msg_type}\x01{'97=Y' + SOH if poss_resend else ''}{body}", False)


SOH = "\x01"


def sent_text(message: quickfix.Message) -> str | None:
    """The text of a message once a session has taken it: the session filled in the header (8, 9, 34, 49, 52, 56)
    and CheckSum (10) as it sent or stored it, so this is the wire's (the audit trail's, ``oms.store.sent``). None
    for a message no session took (it has no MsgSeqNum 34)."""
    text: str = message.toString()
    return text if "\x0134=" in text else None


def raw_message(msg_type: str, fields: list[tuple[int, str]]) -> quickfix.Message:
    """Build a message from raw (tag, value) pairs, in order, unvalidated (tools and tests)."""
    m = _message(msg_type)
    for tag, value in fields:
        m.setField(tag, value)
    return m


def execution_report(report: ExecutionReport) -> quickfix.Message:
    """Encode an ExecutionReport (35=8)."""
    parts = [
        f"37={report.order_id}\x0111={report.cl_ord_id}\x0117={report.exec_id}\x01150={report.exec_type.value}"
        f"\x0139={report.ord_status.value}\x01"
    ]
    if report.account:
        parts.append(f"1={report.account}\x01")
    parts.append(f"55={report.symbol}\x0154={report.side.value}\x01")
    if report.ord_type is not None:
        parts.append(f"40={report.ord_type.value}\x01")
    if report.price is not None:
        parts.append(f"44={format_decimal(report.price)}\x01")
    parts.append(
        f"38={format_decimal(report.order_qty)}\x0114={format_decimal(report.cum_qty)}"
        f"\x01151={format_decimal(report.leaves_qty)}\x016={format_decimal(report.avg_px)}\x01"
    )
    if report.last_qty is not None and report.last_px is not None:
        parts.append(f"32={format_decimal(report.last_qty)}\x0131={format_decimal(report.last_px)}\x01")
    parts.append(f"60={format_utc_timestamp(report.transact_time_ns)}\x01")
    if report.ord_rej_reason is not None:
        reason = report.ord_rej_reason.value
        if report.session.startswith(_FIX42):
            reason = _ORD_REJ_FIX42.get(reason, reason)
        parts.append(f"103={reason}\x01")
    if report.text:
        parts.append(f"58={_text(report.text)}\x01")
    if report.orig_cl_ord_id:
        parts.append(f"41={report.orig_cl_ord_id}\x01")
    if report.commission is not None:
        parts.append(f"12={format_decimal(report.commission)}\x01")
        if report.comm_type is not None:
            parts.append(f"13={report.comm_type.value}\x01")
    return _from_text("8", "".join(parts), report.poss_resend)


def _text(value: str) -> str:
    """Text (58) can quote anything a client sent: SOH would end the field early and a control byte or one that is
    not UTF-8 is not something our store can resend (issue 12), so none goes out raw (``safe_text`` escapes them)."""
    return value if value.isprintable() else safe_text(value) or ""


def order_cancel_reject(reject: CancelReject) -> quickfix.Message:
    """Encode an OrderCancelReject (35=9)."""
    reason = reject.reason.value
    if reject.session.startswith(_FIX42):
        reason = _CXL_REJ_FIX42.get(reason, reason)
    body = (
        f"37={reject.order_id}\x0111={reject.cl_ord_id}\x0141={reject.orig_cl_ord_id}\x0139={reject.ord_status.value}"
        f"\x01434={reject.response_to.value}\x01102={reason}\x0158={_text(reject.text)}\x01"
    )
    return _from_text("9", body, reject.poss_resend)


def new_order_single(
    *,
    cl_ord_id: ClOrdId,
    account: Account | None,
    symbol: Symbol,
    side: Side,
    ord_type: OrdType,
    order_qty: Decimal,
    price: Decimal | None,
    time_in_force: TimeInForce,
    transact_time_ns: int,
) -> quickfix.Message:
    """Encode a NewOrderSingle (35=D)."""
    body = (
        f"11={cl_ord_id}\x01{f'1={account}{SOH}' if account else ''}55={symbol}\x0154={side.value}"
        f"\x0138={format_decimal(order_qty)}\x0140={ord_type.value}\x01"
        f"{f'44={format_decimal(price)}{SOH}' if price is not None else ''}"
        f"{f'59={time_in_force.value}{SOH}' if time_in_force is not TimeInForce.DAY else ''}"
        f"60={format_utc_timestamp(transact_time_ns)}\x01"
    )
    return _from_text("D", body)


def session_reject(
    ref_seq_num: int, ref_msg_type: str | None, tag: int | None, reason: int, text: str
) -> quickfix.Message:
    """Encode a session-level Reject (35=3) naming the offending tag."""
    m = _message("3")
    m.setField(45, str(ref_seq_num))
    if ref_msg_type:
        m.setField(372, ref_msg_type)
    if tag is not None:
        m.setField(371, str(tag))
    m.setField(373, str(reason))
    m.setField(58, _text(text))
    return m


def business_reject(
    ref_seq_num: int | None,
    ref_msg_type: str,
    reason: int,
    text: str,
    ref_id: str | None = None,
    poss_resend: bool = False,
) -> quickfix.Message:
    """Encode a BusinessMessageReject (35=j); RefSeqNum (45) is optional in FIX 4.2 and 4.4."""
    m = _message("j")
    if poss_resend:
        m.getHeader().setField(97, "Y")
    if ref_seq_num is not None:
        m.setField(45, str(ref_seq_num))
    m.setField(372, ref_msg_type)
    if ref_id:
        m.setField(379, ref_id)
    m.setField(380, str(reason))
    m.setField(58, _text(text))
    return m


def cancel_request(request: CancelAtVenue, transact_time_ns: int) -> quickfix.Message:
    """Encode an OrderCancelRequest (35=F)."""
    m = _message("F")
    m.setField(41, request.venue_orig_cl_ord_id)
    m.setField(11, request.venue_cl_ord_id)
    m.setField(55, request.symbol)
    m.setField(54, request.side.value)
    m.setField(38, format_decimal(request.order_qty))
    m.setField(60, format_utc_timestamp(transact_time_ns))
    return m


def replace_request(request: ReplaceAtVenue, transact_time_ns: int) -> quickfix.Message:
    """Encode an OrderCancelReplaceRequest (35=G) with the new terms."""
    m = _message("G")
    m.setField(41, request.venue_orig_cl_ord_id)
    m.setField(11, request.venue_cl_ord_id)
    if request.account:
        m.setField(1, request.account)
    m.setField(55, request.symbol)
    m.setField(54, request.side.value)
    m.setField(38, format_decimal(request.order_qty))
    m.setField(40, request.ord_type.value)
    if request.price is not None:
        m.setField(44, format_decimal(request.price))
    if request.time_in_force is not TimeInForce.DAY:
        m.setField(59, request.time_in_force.value)
    m.setField(60, format_utc_timestamp(transact_time_ns))
    return m


def status_request(request: VenueRequest) -> quickfix.Message:
    """Encode an OrderStatusRequest (35=H) for the order's current ClOrdID at the venue."""
    m = _message("H")
    m.setField(11, request.venue_orig_cl_ord_id)
    m.setField(55, request.symbol)
    m.setField(54, request.side.value)
    return m


def mass_cancel_report(report: MassCancelReport) -> quickfix.Message:
    """Encode an OrderMassCancelReport (35=r)."""
    m = _message("r")
    m.setField(11, report.cl_ord_id)
    m.setField(37, report.order_id)
    m.setField(530, report.request_type)
    m.setField(531, report.response)
    if report.reject_reason is not None:
        m.setField(532, report.reject_reason)
    m.setField(533, str(report.total_affected))
    if report.text:
        m.setField(58, _text(report.text))
    if report.poss_resend:
        m.getHeader().setField(97, "Y")
    return m
