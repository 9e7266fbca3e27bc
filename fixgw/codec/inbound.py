"""FIX -> typed commands and events. Every failure names the tag it is about.

The session's data dictionary has already rejected what it can (required tags, enum values it does not
list, data types) before these run; the checks here cover what a dictionary cannot express and keep the
decoders safe for log replay, where no dictionary runs.
"""

from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, TypeVar

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
    VenueEvent,
)
from domain.ids import Account, ClOrdId, ExecId, OrderId, SessionKey, Symbol, VenueId
from fixgw.codec.fields import FieldSource
from fixgw.errors import IncorrectDataFormat, IncorrectTagValue, RequiredTagMissing

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
        raise IncorrectTagValue(tag, f"{enum.__name__} ({tag}) value {raw!r} is not supported") from None


def required_decimal(fields: FieldSource, tag: int) -> Decimal:
    """Return ``tag`` as a finite Decimal, or raise ``RequiredTagMissing``."""
    value = optional_decimal(fields, tag)
    if value is None:
        raise RequiredTagMissing(tag)
    return value


def optional_decimal(fields: FieldSource, tag: int) -> Decimal | None:
    """Return ``tag`` as a finite Decimal, None when absent."""
    raw = fields.get(tag)
    if raw is None or raw == "":
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise IncorrectDataFormat(tag, f"Tag {tag} value {raw[:32]!r} is not a number") from None
    if not value.is_finite():  # Decimal accepts "NaN" and "Infinity"; FIX does not
        raise IncorrectDataFormat(tag, f"Tag {tag} value {raw[:32]!r} is not a number")
    return value


def decode_new_order_single(
    fields: FieldSource, session: SessionKey, default_account: Account, clock: Clock
) -> SubmitOrder:
    """Decode a NewOrderSingle (35=D) into ``SubmitOrder``."""
    return SubmitOrder(
        session=session,
        cl_ord_id=ClOrdId(required(fields, 11)),
        account=Account(fields.get(1) or default_account),
        symbol=Symbol(required(fields, 55)),
        side=enum_value(fields, 54, Side),
        ord_type=enum_value(fields, 40, OrdType),
        order_qty=required_decimal(fields, 38),
        price=optional_decimal(fields, 44),
        time_in_force=enum_value(fields, 59, TimeInForce, TimeInForce.DAY),
        ts_received_ns=clock.now_ns(),
        poss_dup=fields.header(43) == "Y",
    )


def decode_cancel_request(fields: FieldSource, session: SessionKey, clock: Clock) -> CancelOrder:
    """Decode an OrderCancelRequest (35=F) into ``CancelOrder``."""
    return CancelOrder(
        session=session, cl_ord_id=ClOrdId(required(fields, 11)), orig_cl_ord_id=ClOrdId(required(fields, 41)),
        symbol=Symbol(required(fields, 55)), side=enum_value(fields, 54, Side), ts_received_ns=clock.now_ns(),
        poss_dup=fields.header(43) == "Y",
    )  # fmt: skip


def decode_replace_request(
    fields: FieldSource, session: SessionKey, default_account: Account, clock: Clock
) -> ReplaceOrder:
    """Decode an OrderCancelReplaceRequest (35=G) into ``ReplaceOrder``."""
    return ReplaceOrder(
        session=session, cl_ord_id=ClOrdId(required(fields, 11)), orig_cl_ord_id=ClOrdId(required(fields, 41)),
        account=Account(fields.get(1) or default_account), symbol=Symbol(required(fields, 55)),
        side=enum_value(fields, 54, Side), ord_type=enum_value(fields, 40, OrdType),
        order_qty=required_decimal(fields, 38), price=optional_decimal(fields, 44),
        time_in_force=enum_value(fields, 59, TimeInForce, TimeInForce.DAY), ts_received_ns=clock.now_ns(),
        poss_dup=fields.header(43) == "Y",
    )  # fmt: skip


def decode_status_request(fields: FieldSource, session: SessionKey, clock: Clock) -> QueryOrder:
    """Decode an OrderStatusRequest (35=H) into ``QueryOrder``."""
    order_id = fields.get(37)
    return QueryOrder(
        session=session, cl_ord_id=ClOrdId(required(fields, 11)), order_id=OrderId(order_id) if order_id else None,
        symbol=Symbol(required(fields, 55)), side=enum_value(fields, 54, Side), ts_received_ns=clock.now_ns(),
    )  # fmt: skip


def decode_mass_cancel_request(fields: FieldSource, session: SessionKey, clock: Clock) -> MassCancel:
    """Decode an OrderMassCancelRequest (35=q) into ``MassCancel``."""
    symbol = fields.get(55)
    return MassCancel(
        session=session, cl_ord_id=ClOrdId(required(fields, 11)), request_type=required(fields, 530),
        symbol=Symbol(symbol) if symbol else None, ts_received_ns=clock.now_ns(),
    )  # fmt: skip


def decode_execution_report(fields: FieldSource, venue: VenueId, clock: Clock) -> VenueEvent | None:
    """Decode a venue's ExecutionReport (35=8) into an event; None for report types we only log."""
    common: dict[str, Any] = {
        "venue": venue,
        "venue_cl_ord_id": ClOrdId(required(fields, 11)),
        "venue_order_id": required(fields, 37),
        "venue_exec_id": ExecId(required(fields, 17)),
        "ts_ns": clock.now_ns(),
        "poss_dup": fields.header(43) == "Y",
    }
    exec_type = fields.get(150)
    if exec_type is None:
        raise RequiredTagMissing(150)
    decoder = _EXEC_TYPE_DECODERS.get(exec_type)
    return decoder(fields, common) if decoder is not None else None


def _filled(fields: FieldSource, common: dict[str, Any]) -> VenueEvent:
    last_qty, last_px = required_decimal(fields, 32), required_decimal(fields, 31)
    return OrderFilled(**common, last_qty=last_qty, last_px=last_px,
                       commission=commission(fields, last_qty, last_px))  # fmt: skip


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


def _rejected(fields: FieldSource, common: dict[str, Any]) -> VenueEvent:
    reason = enum_value(fields, 103, OrdRejReason, OrdRejReason.OTHER)
    return OrderRejected(**common, reason=reason, text=fields.get(58) or "rejected by venue")


_EXEC_TYPE_DECODERS: dict[str, Any] = {
    ExecType.NEW: lambda f, c: OrderAccepted(**c),
    ExecType.TRADE: lambda f, c: _filled(f, c),
    ExecType.REJECTED: _rejected,
    ExecType.CANCELED: lambda f, c: OrderCanceled(**c, text=f.get(58) or ""),
    ExecType.DONE_FOR_DAY: lambda f, c: OrderDoneForDay(**c, text=f.get(58) or ""),
    ExecType.EXPIRED: lambda f, c: OrderExpired(**c, text=f.get(58) or ""),
    ExecType.REPLACED: lambda f, c: OrderReplaced(**c, order_qty=required_decimal(f, 38),
                                                  price=optional_decimal(f, 44)),
    ExecType.ORDER_STATUS: lambda f, c: OrderStatusReported(
        **c, ord_status=enum_value(f, 39, OrdStatus), cum_qty=optional_decimal(f, 14) or Decimal(0),
        text=f.get(58) or ""),
}  # fmt: skip


def decode_cancel_reject(fields: FieldSource, venue: VenueId, clock: Clock) -> CancelRejected:
    """Decode a venue's OrderCancelReject (35=9)."""
    return CancelRejected(
        venue=venue, venue_cl_ord_id=ClOrdId(required(fields, 11)),
        reason=enum_value(fields, 102, CxlRejReason, CxlRejReason.OTHER),
        text=fields.get(58) or "cancel rejected by venue", ts_ns=clock.now_ns(),
    )  # fmt: skip
