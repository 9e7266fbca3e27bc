"""Encoding reports and orders; number and time formats."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.enums import ExecType, OrdStatus, OrdType, Side, TimeInForce
from domain.ids import Account, ClOrdId, ExecId, OrderId, SessionKey, Symbol
from domain.reports import ExecutionReport
from fixgw.codec import outbound
from fixgw.codec.fields import QfFields


@pytest.mark.parametrize(
    ("value", "text"),
    [("100", "100"), ("100.00", "100"), ("100.0100", "100.01"), ("1E+3", "1000"), ("0.00000001", "0.00000001"),
     ("0", "0"), ("-2.50", "-2.5")],
)  # fmt: skip
def test_format_decimal_when_any_exponent_then_plain_text(value: str, text: str) -> None:
    assert outbound.format_decimal(Decimal(value)) == text


def test_format_utc_timestamp_when_ns_then_milliseconds_utc() -> None:
    assert outbound.format_utc_timestamp(1_700_000_000_123_456_789) == "20231114-22:13:20.123"
    assert outbound.format_utc_timestamp(1_700_000_001_000_000_000) == "20231114-22:13:21.000"


def test_execution_report_when_fill_then_every_field_present() -> None:
    report = ExecutionReport(
        session=SessionKey("S"), order_id=OrderId("O1"), cl_ord_id=ClOrdId("C1"), exec_id=ExecId("O1-2"),
        exec_type=ExecType.TRADE, ord_status=OrdStatus.PARTIALLY_FILLED, account=Account("A"),
        symbol=Symbol("MSFT"), side=Side.SELL, ord_type=OrdType.LIMIT, price=Decimal("10.50"),
        order_qty=Decimal(100), cum_qty=Decimal(40), leaves_qty=Decimal(60), avg_px=Decimal("10.5"),
        last_qty=Decimal(40), last_px=Decimal("10.5"), transact_time_ns=1_700_000_000_000_000_000,
    )  # fmt: skip

    fields = QfFields(outbound.execution_report(report)).as_dict()

    assert fields == {
        35: "8", 37: "O1", 11: "C1", 17: "O1-2", 150: "F", 39: "1", 1: "A", 55: "MSFT", 54: "2", 40: "2",
        44: "10.5", 38: "100", 14: "40", 151: "60", 6: "10.5", 32: "40", 31: "10.5", 60: "20231114-22:13:20.000",
        9: fields[9], 10: fields[10],
    }  # fmt: skip


def test_new_order_single_when_market_day_then_no_price_and_no_tif() -> None:
    message = outbound.new_order_single(
        cl_ord_id=ClOrdId("O9"), account=None, symbol=Symbol("IBM"), side=Side.BUY, ord_type=OrdType.MARKET,
        order_qty=Decimal(5), price=None, time_in_force=TimeInForce.DAY, transact_time_ns=0,
    )  # fmt: skip

    fields = QfFields(message).as_dict()

    assert (fields[35], fields[11], fields[55], fields[38], fields[40]) == ("D", "O9", "IBM", "5", "1")
    assert 44 not in fields and 59 not in fields and 1 not in fields
