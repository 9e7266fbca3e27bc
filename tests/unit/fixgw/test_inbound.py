"""Decoding FIX into typed commands and events; every error names its tag."""

from __future__ import annotations

from decimal import Decimal

import pytest
import simplefix

from domain.clock import TestClock
from domain.enums import OrdRejReason, OrdStatus, OrdType, Side, TimeInForce
from domain.events import (
    OrderAccepted,
    OrderCanceled,
    OrderFilled,
    OrderRejected,
    OrderReplaced,
    OrderStatusReported,
)
from domain.ids import Account, SessionKey, VenueId
from fixgw.codec.fields import SfFields
from fixgw.codec.inbound import decode_execution_report, decode_new_order_single
from fixgw.errors import IncorrectDataFormat, IncorrectTagValue, RequiredTagMissing

SESSION = SessionKey("FIX.4.4:FIXGW->CLIENT1")


def fix(*pairs: tuple[int, str]) -> SfFields:
    message = simplefix.FixMessage()
    for tag, value in pairs:
        message.append_pair(tag, value)
    return SfFields(message)


NOS = ((35, "D"), (11, "C1"), (1, "ACCT9"), (55, "MSFT"), (54, "1"), (38, "100"), (40, "2"), (44, "100.5"))


def nos(**changes: str | None) -> SfFields:
    pairs = [(t, changes.get(f"t{t}", v)) for t, v in NOS]
    extra = [(int(k[1:]), v) for k, v in changes.items() if int(k[1:]) not in dict(NOS)]
    return fix(*[(t, v) for t, v in pairs + extra if v is not None])


def decode(fields: SfFields):  # type: ignore[no-untyped-def]
    return decode_new_order_single(fields, SESSION, Account("DEFAULT"), TestClock(42))


def test_decode_new_order_single_when_complete_then_typed_command() -> None:
    command = decode(nos(t59="3"))

    assert (command.cl_ord_id, command.account, command.symbol) == ("C1", "ACCT9", "MSFT")
    assert (command.side, command.ord_type, command.time_in_force) == (
        Side.BUY,
        OrdType.LIMIT,
        TimeInForce.IMMEDIATE_OR_CANCEL,
    )
    assert (command.order_qty, command.price, command.ts_received_ns) == (Decimal(100), Decimal("100.5"), 42)
    assert command.session == SESSION


def test_decode_new_order_single_when_no_account_then_session_default() -> None:
    assert decode(nos(t1=None)).account == "DEFAULT"


def test_decode_new_order_single_when_no_time_in_force_then_day() -> None:
    assert decode(nos()).time_in_force is TimeInForce.DAY


@pytest.mark.parametrize("tag", [11, 55, 54, 38, 40])
def test_decode_new_order_single_when_required_tag_missing_then_names_it(tag: int) -> None:
    with pytest.raises(RequiredTagMissing) as caught:
        decode(nos(**{f"t{tag}": None}))
    assert caught.value.tag == tag
    assert caught.value.session_reject_reason == 1


@pytest.mark.parametrize(("tag", "value"), [(54, "7"), (40, "3"), (59, "6")])
def test_decode_new_order_single_when_enum_unsupported_then_incorrect_tag_value(tag: int, value: str) -> None:
    with pytest.raises(IncorrectTagValue) as caught:
        decode(nos(**{f"t{tag}": value}))
    assert caught.value.tag == tag
    assert repr(value) in caught.value.text


@pytest.mark.parametrize(("tag", "value"), [(38, "abc"), (38, "NaN"), (44, "Infinity"), (44, "1e")])
def test_decode_new_order_single_when_number_malformed_then_incorrect_data_format(tag: int, value: str) -> None:
    with pytest.raises(IncorrectDataFormat) as caught:
        decode(nos(**{f"t{tag}": value}))
    assert caught.value.tag == tag


def report(**changes: str) -> SfFields:
    base = {35: "8", 37: "V1", 11: "O7", 17: "E1", 150: "0", 39: "0", 55: "MSFT", 54: "1"}
    base |= {int(k[1:]): v for k, v in changes.items()}
    return fix(*base.items())


def test_decode_execution_report_when_new_then_accepted() -> None:
    event = decode_execution_report(report(), VenueId("V"), TestClock(5))

    assert event == OrderAccepted(
        venue=VenueId("V"),
        venue_cl_ord_id="O7",
        venue_order_id="V1",  # type: ignore[arg-type]
        venue_exec_id="E1",
        ts_ns=5,
    )  # type: ignore[arg-type]


def test_decode_execution_report_when_trade_then_filled_with_last_qty_px() -> None:
    event = decode_execution_report(report(t150="F", t32="30", t31="99.5", t43="Y"), VenueId("V"), TestClock())

    assert isinstance(event, OrderFilled)
    assert (event.last_qty, event.last_px, event.poss_dup) == (Decimal(30), Decimal("99.5"), True)


def test_decode_execution_report_when_trade_without_last_px_then_required_missing() -> None:
    with pytest.raises(RequiredTagMissing) as caught:
        decode_execution_report(report(t150="F", t32="30"), VenueId("V"), TestClock())
    assert caught.value.tag == 31


def test_decode_execution_report_when_rejected_then_reason_and_text() -> None:
    event = decode_execution_report(report(t150="8", t103="1", t58="bad symbol"), VenueId("V"), TestClock())

    assert isinstance(event, OrderRejected)
    assert (event.reason, event.text) == (OrdRejReason.UNKNOWN_SYMBOL, "bad symbol")


def test_decode_execution_report_when_canceled_then_canceled() -> None:
    assert isinstance(decode_execution_report(report(t150="4"), VenueId("V"), TestClock()), OrderCanceled)


def test_decode_execution_report_when_status_report_then_status_reported() -> None:
    event = decode_execution_report(report(t150="I", t39="1", t14="40"), VenueId("V"), TestClock())

    assert isinstance(event, OrderStatusReported)
    assert (event.ord_status, event.cum_qty) == (OrdStatus.PARTIALLY_FILLED, Decimal(40))


def test_decode_execution_report_when_replaced_then_new_terms() -> None:
    event = decode_execution_report(report(t150="5", t38="70", t44="99.5"), VenueId("V"), TestClock())

    assert isinstance(event, OrderReplaced)
    assert (event.order_qty, event.price) == (Decimal(70), Decimal("99.5"))


def test_decode_execution_report_when_pending_cancel_ack_then_none() -> None:
    assert decode_execution_report(report(t150="6"), VenueId("V"), TestClock()) is None


@pytest.mark.parametrize(
    ("comm", "comm_type", "fee"), [("1.5", "3", "1.5"), ("0.01", "1", "0.3"), ("0.1", "2", "2.985")]
)
def test_decode_execution_report_when_commission_then_fee_in_money(comm: str, comm_type: str, fee: str) -> None:
    fields = report(t150="F", t32="30", t31="99.5", t12=comm, t13=comm_type)

    event = decode_execution_report(fields, VenueId("V"), TestClock())

    assert isinstance(event, OrderFilled) and event.commission == Decimal(fee)


def test_decode_execution_report_when_no_commission_then_zero_fee() -> None:
    event = decode_execution_report(report(t150="F", t32="30", t31="99.5"), VenueId("V"), TestClock())

    assert isinstance(event, OrderFilled) and event.commission == 0


def test_decode_new_order_single_when_decision_px_then_kept_and_absent_is_none() -> None:
    assert (decode(nos(t5900="99.985")).decision_px, decode(nos()).decision_px) == (Decimal("99.985"), None)


@pytest.mark.parametrize("value", ["0", "-1.5"])
def test_decode_new_order_single_when_decision_px_not_positive_then_incorrect_tag_value(value: str) -> None:
    with pytest.raises(IncorrectTagValue) as caught:
        decode(nos(t5900=value))
    assert caught.value.tag == 5900
    assert "DecisionPx (5900) must be a positive price" in caught.value.text


def test_decode_new_order_single_when_decision_px_malformed_then_incorrect_data_format() -> None:
    with pytest.raises(IncorrectDataFormat) as caught:
        decode(nos(t5900="1e2"))
    assert caught.value.tag == 5900
