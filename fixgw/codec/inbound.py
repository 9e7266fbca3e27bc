"""FIX -> typed commands and events. Every failure names the tag it is about.

The session's data dictionary has already rejected what it can (required tags, enum values it does not
list, data types) before these run; the checks here cover what a dictionary cannot express and keep the
decoders safe for log replay, where no dictionary runs.
"""

from decimal import Decimal
from enum import StrEnum
from typing import Any, TypeVar

from domain.bounds import ID_LENGTH, NAME_LENGTH
from domain.clock import Clock
from domain.commands import CancelOrder, MassCancel, QueryOrder, ReplaceOrder, SubmitOrder
from domain.enums import CxlRejReason, ExecType, OrdRejReason, OrdStatus, OrdType, Side, TimeInForce
from domain.events import (
    CancelRejected,
    OrderAccepted,
    OrderCanceled,
    OrderDoneForDay,
    OrderExpired,
    OrderFilled,
    OrderRejected,
    OrderReplaced,
    OrderStatusReported,
    VenueReport,
)
from domain.ids import Account, ClOrdId, ExecId, OrderId, SessionKey, Symbol, VenueId
from fixgw.codec.fields import FieldSource
from fixgw.codec.values import (
    identifier,
    optional_decimal,
    optional_identifier,
    required_decimal,
    safe_text,
    shown,
)
from fixgw.errors import IncorrectTagValue, RequiredTagMissing

E = TypeVar("E", bound=StrEnum)


def required(fields: FieldSource, tag: int) -> str:
    """Return the value of ``tag`` or raise ``RequiredTagMissing``."""
    value = fields.get(tag)
    if value is None or value == "":
        raise RequiredTagMissing(tag)
    return value


def enum_value(fields: FieldSource, tag: int, enum: type[E], default: E | None = None) -> E:
    """Return ``tag`` as a member of ``enum``; absent means ``default`` (or a missing-tag error)."""
    raw = fields.get(tag)
    if raw is None:
        if default is None:
            raise RequiredTagMissing(tag)
        return default
    try:
        return enum(raw)
    except ValueError:
        raise IncorrectTagValue(tag, f"{enum.__name__} ({tag}) value {shown(raw)} is not supported") from None


def _cl_ord_id(fields: FieldSource, tag: int = 11) -> ClOrdId:
    return ClOrdId(identifier(fields, tag, ID_LENGTH))


def _symbol(fields: FieldSource) -> Symbol:
    return Symbol(identifier(fields, 55, NAME_LENGTH))


def _account(fields: FieldSource, default: Account) -> Account:
    return Account(optional_identifier(fields, 1, NAME_LENGTH) or default)


def _price(fields: FieldSource, ord_type: OrdType) -> Decimal | None:
    """Price (44); a market order's is ignored (never stored, never echoed): it does not price anything."""
    price = optional_decimal(fields, 44)
    return None if ord_type is OrdType.MARKET else price


def decode_new_order_single(
    fields: FieldSource, session: SessionKey, default_account: Account, clock: Clock
) -> SubmitOrder:
    """Decode a NewOrderSingle (35=D) into ``SubmitOrder``."""
    ord_type = enum_value(fields, 40, OrdType)
    return SubmitOrder(
        session=session,
        cl_ord_id=_cl_ord_id(fields),
        account=_account(fields, default_account),
        symbol=_symbol(fields),
        side=enum_value(fields, 54, Side),
        ord_type=ord_type,
        order_qty=required_decimal(fields, 38),
        price=_price(fields, ord_type),
        time_in_force=enum_value(fields, 59, TimeInForce, TimeInForce.DAY),
        ts_received_ns=clock.now_ns(),
        poss_dup=fields.header(43) == "Y",
        decision_px=_decision_px(fields),
    )


DECISION_PX = 5900
"""DecisionPx: a user-defined tag (FIX leaves 5000-9999 to counterparties) declared in our dictionaries (specs/)."""


def _decision_px(fields: FieldSource) -> Decimal | None:
    """DecisionPx (5900): the price the sender decided at (TCA's implementation shortfall benchmark); optional."""
    price = optional_decimal(fields, DECISION_PX)
    if price is not None and price <= 0:
        raise IncorrectTagValue(DECISION_PX, f"DecisionPx ({DECISION_PX}) must be a positive price, was {price}")
    return price


def decode_cancel_request(fields: FieldSource, session: SessionKey, clock: Clock) -> CancelOrder:
    """Decode an OrderCancelRequest (35=F) into ``CancelOrder``."""
    return CancelOrder(
        session=session,
        cl_ord_id=_cl_ord_id(fields),
        orig_cl_ord_id=_cl_ord_id(fields, 41),
        symbol=_symbol(fields),
        side=enum_value(fields, 54, Side),
        ts_received_ns=clock.now_ns(),
        poss_dup=fields.header(43) == "Y",
    )


def decode_replace_request(
    fields: FieldSource, session: SessionKey, default_account: Account, clock: Clock
) -> ReplaceOrder:
    """Decode an OrderCancelReplaceRequest (35=G) into ``ReplaceOrder``."""
    ord_type = enum_value(fields, 40, OrdType)
    return ReplaceOrder(
        session=session,
        cl_ord_id=_cl_ord_id(fields),
        orig_cl_ord_id=_cl_ord_id(fields, 41),
        account=_account(fields, default_account),
        symbol=_symbol(fields),
        side=enum_value(fields, 54, Side),
        ord_type=ord_type,
        order_qty=required_decimal(fields, 38),
        price=_price(fields, ord_type),
        time_in_force=enum_value(fields, 59, TimeInForce, TimeInForce.DAY),
        ts_received_ns=clock.now_ns(),
        poss_dup=fields.header(43) == "Y",
    )


def decode_status_request(fields: FieldSource, session: SessionKey, clock: Clock) -> QueryOrder:
    """Decode an OrderStatusRequest (35=H) into ``QueryOrder``."""
    order_id = optional_identifier(fields, 37, ID_LENGTH)
    return QueryOrder(
        session=session,
        cl_ord_id=_cl_ord_id(fields),
        order_id=OrderId(order_id) if order_id else None,
        symbol=_symbol(fields),
        side=enum_value(fields, 54, Side),
        ts_received_ns=clock.now_ns(),
    )


def decode_mass_cancel_request(fields: FieldSource, session: SessionKey, clock: Clock) -> MassCancel:
    """Decode an OrderMassCancelRequest (35=q) into ``MassCancel``."""
    symbol = optional_identifier(fields, 55, NAME_LENGTH)
    return MassCancel(
        session=session,
        cl_ord_id=_cl_ord_id(fields),
        request_type=identifier(fields, 530, 1),
        symbol=Symbol(symbol) if symbol else None,
        ts_received_ns=clock.now_ns(),
    )


def decode_execution_report(fields: FieldSource, venue: VenueId, clock: Clock) -> VenueReport | None:
    """Decode a venue's ExecutionReport (35=8) into an event; None for report types we only log."""
    common: dict[str, Any] = {
        "venue": venue,
        "venue_cl_ord_id": _cl_ord_id(fields),
        "venue_order_id": identifier(fields, 37, ID_LENGTH),
        "venue_exec_id": ExecId(identifier(fields, 17, ID_LENGTH)),
        "ts_ns": clock.now_ns(),
        "poss_dup": fields.header(43) == "Y",
    }
    exec_type = fields.get(150)
    if exec_type is None:
        raise RequiredTagMissing(150)
    decoder = _EXEC_TYPE_DECODERS.get(exec_type)
    return decoder(fields, common) if decoder is not None else None


def _filled(fields: FieldSource, common: dict[str, Any]) -> OrderFilled:
    last_qty, last_px = required_decimal(fields, 32), required_decimal(fields, 31)
    return OrderFilled(**common, last_qty=last_qty, last_px=last_px, commission=commission(fields, last_qty, last_px))


def commission(fields: FieldSource, last_qty: Decimal, last_px: Decimal) -> Decimal:
    """The fill's fee in money: Commission (12) as CommType (13) says (1 per unit, 2 percent, else absolute)."""
    amount = optional_decimal(fields, 12)
    if amount is None:
        return Decimal(0)
    comm_type = fields.get(13)
    if comm_type == "1":
        return amount * last_qty
    if comm_type == "2":
        return amount / 100 * last_qty * last_px
    return amount


def _rejected(fields: FieldSource, common: dict[str, Any]) -> OrderRejected:
    reason = enum_value(fields, 103, OrdRejReason, OrdRejReason.OTHER)
    return OrderRejected(**common, reason=reason, text=_text(fields, "rejected by venue"))


_EXEC_TYPE_DECODERS: dict[str, Any] = {
    ExecType.NEW: lambda f, c: OrderAccepted(**c),
    ExecType.TRADE: lambda f, c: _filled(f, c),
    ExecType.REJECTED: _rejected,
    ExecType.CANCELED: lambda f, c: OrderCanceled(**c, text=_text(f)),
    ExecType.DONE_FOR_DAY: lambda f, c: OrderDoneForDay(**c, text=_text(f)),
    ExecType.EXPIRED: lambda f, c: OrderExpired(**c, text=_text(f)),
    ExecType.REPLACED: lambda f, c: OrderReplaced(
        **c, order_qty=required_decimal(f, 38), price=optional_decimal(f, 44)
    ),
    ExecType.ORDER_STATUS: lambda f, c: OrderStatusReported(
        **c, ord_status=enum_value(f, 39, OrdStatus), cum_qty=optional_decimal(f, 14) or Decimal(0), text=_text(f)
    ),
}


def _text(fields: FieldSource, default: str = "") -> str:
    """A venue's Text (58), made safe to store and echo (fixgw.codec.values)."""
    return safe_text(fields.get(58)) or default


def decode_cancel_reject(fields: FieldSource, venue: VenueId, clock: Clock) -> CancelRejected:
    """Decode a venue's OrderCancelReject (35=9)."""
    return CancelRejected(
        venue=venue,
        venue_cl_ord_id=_cl_ord_id(fields),
        reason=enum_value(fields, 102, CxlRejReason, CxlRejReason.OTHER),
        text=_text(fields, "cancel rejected by venue"),
        ts_ns=clock.now_ns(),
    )
