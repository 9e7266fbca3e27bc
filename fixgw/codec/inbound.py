"""FIX -> typed commands and events. Every failure names the tag it is about.

The session's data dictionary has already rejected what it can (required tags, enum values it does not
list, data types) before these run; the checks here cover what a dictionary cannot express and keep the
decoders safe for log replay, where no dictionary runs.
"""

from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, TypeVar

from domain.clock import Clock
from domain.commands import SubmitOrder
from domain.enums import ExecType, OrdRejReason, OrdType, Side, TimeInForce
from domain.events import OrderAccepted, OrderCanceled, OrderFilled, OrderRejected, VenueEvent
from domain.ids import Account, ClOrdId, ExecId, SessionKey, Symbol, VenueId
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
    )


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
    if exec_type == ExecType.TRADE:
        return OrderFilled(
            **common,
            last_qty=required_decimal(fields, 32),
            last_px=required_decimal(fields, 31),
        )
    if exec_type == ExecType.NEW:
        return OrderAccepted(**common)
    if exec_type == ExecType.REJECTED:
        reason = enum_value(fields, 103, OrdRejReason, OrdRejReason.OTHER)
        return OrderRejected(**common, reason=reason, text=fields.get(58) or "rejected by venue")
    if exec_type in (ExecType.CANCELED, ExecType.EXPIRED, ExecType.DONE_FOR_DAY):
        return OrderCanceled(**common, text=fields.get(58) or "")
    if exec_type is None:
        raise RequiredTagMissing(150)
    return None
