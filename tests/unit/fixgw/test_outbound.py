"""Encoding reports and orders; number and time formats."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.enums import CxlRejReason, CxlRejResponseTo, ExecType, OrdStatus, OrdType, Side, TimeInForce
from domain.ids import Account, ClOrdId, ExecId, OrderId, SessionKey, Symbol
from domain.reports import CancelReject, ExecutionReport
from fixgw.codec import outbound
from fixgw.codec.fields import QfFields


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("100", "100"),
        ("100.00", "100"),
        ("100.0100", "100.01"),
        ("1E+3", "1000"),
        ("0.00000001", "0.00000001"),
        ("0", "0"),
        ("-2.50", "-2.5"),
    ],
)
def test_format_decimal_when_any_exponent_then_plain_text(value: str, text: str) -> None:
    assert outbound.format_decimal(Decimal(value)) == text


def test_format_utc_timestamp_when_ns_then_milliseconds_utc() -> None:
    assert outbound.format_utc_timestamp(1_700_000_000_123_456_789) == "20231114-22:13:20.123"
    assert outbound.format_utc_timestamp(1_700_000_001_000_000_000) == "20231114-22:13:21.000"


def test_execution_report_when_fill_then_every_field_present() -> None:
    report = ExecutionReport(
        session=SessionKey("S"),
        order_id=OrderId("O1"),
        cl_ord_id=ClOrdId("C1"),
        exec_id=ExecId("O1-2"),
        exec_type=ExecType.TRADE,
        ord_status=OrdStatus.PARTIALLY_FILLED,
        account=Account("A"),
        symbol=Symbol("MSFT"),
        side=Side.SELL,
        ord_type=OrdType.LIMIT,
        price=Decimal("10.50"),
        order_qty=Decimal(100),
        cum_qty=Decimal(40),
        leaves_qty=Decimal(60),
        avg_px=Decimal("10.5"),
        last_qty=Decimal(40),
        last_px=Decimal("10.5"),
        transact_time_ns=1_700_000_000_000_000_000,
    )

    fields = QfFields(outbound.execution_report(report)).as_dict()

    assert fields == {
        35: "8",
        37: "O1",
        11: "C1",
        17: "O1-2",
        150: "F",
        39: "1",
        1: "A",
        55: "MSFT",
        54: "2",
        40: "2",
        44: "10.5",
        38: "100",
        14: "40",
        151: "60",
        6: "10.5",
        32: "40",
        31: "10.5",
        60: "20231114-22:13:20.000",
        9: fields[9],
        10: fields[10],
    }


def test_new_order_single_when_market_day_then_no_price_and_no_tif() -> None:
    message = outbound.new_order_single(
        cl_ord_id=ClOrdId("O9"),
        account=None,
        symbol=Symbol("IBM"),
        side=Side.BUY,
        ord_type=OrdType.MARKET,
        order_qty=Decimal(5),
        price=None,
        time_in_force=TimeInForce.DAY,
        transact_time_ns=0,
    )

    fields = QfFields(message).as_dict()

    assert (fields[35], fields[11], fields[55], fields[38], fields[40]) == ("D", "O9", "IBM", "5", "1")
    assert 44 not in fields and 59 not in fields and 1 not in fields


def test_execution_report_when_resent_with_text_then_97_in_header_and_no_control_byte_in_text() -> None:
    report = ExecutionReport(
        session=SessionKey("S"),
        order_id=OrderId("O1"),
        cl_ord_id=ClOrdId("C1"),
        exec_id=ExecId("O1-1"),
        exec_type=ExecType.REJECTED,
        ord_status=OrdStatus.REJECTED,
        account=None,
        symbol=Symbol("MSFT"),
        side=Side.BUY,
        ord_type=None,
        price=None,
        order_qty=Decimal(1),
        cum_qty=Decimal(0),
        leaves_qty=Decimal(0),
        avg_px=Decimal(0),
        transact_time_ns=0,
        text="bad \x01 value\x00 = 3\udcff",
        poss_resend=True,
    )

    message = outbound.execution_report(report)

    assert message.getHeader().getField(97) == "Y"
    assert message.getField(58) == "bad \\x01 value\\x00 = 3\\xff"  # what the store cannot resend, escaped
    assert message.getField(39) == "8"


def test_order_cancel_reject_has_every_field() -> None:
    reject = CancelReject(
        session=SessionKey("S"),
        order_id=OrderId("O1"),
        cl_ord_id=ClOrdId("C2"),
        orig_cl_ord_id=ClOrdId("C1"),
        ord_status=OrdStatus.NEW,
        response_to=CxlRejResponseTo.ORDER_CANCEL_REPLACE_REQUEST,
        reason=CxlRejReason.BROKER_OPTION,
        text="limit",
    )

    fields = QfFields(outbound.order_cancel_reject(reject)).as_dict()

    assert {t: fields[t] for t in (35, 37, 11, 41, 39, 434, 102, 58)} == {
        35: "9",
        37: "O1",
        11: "C2",
        41: "C1",
        39: "0",
        434: "2",
        102: "2",
        58: "limit",
    }
    assert 97 not in fields


def test_fields_when_data_field_carries_soh_then_read_through_quickfix() -> None:
    message = outbound.raw_message("D", [(11, "C1"), (95, "3"), (96, "a\x01b"), (55, "IBM")])

    fields = QfFields(message)

    assert (fields.get(11), fields.get(96), fields.get(55), fields.get(44)) == ("C1", "a\x01b", "IBM", None)
    assert fields.header(35) == "D"
