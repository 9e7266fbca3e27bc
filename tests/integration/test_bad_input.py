"""Bad input gets the answer a counterparty expects; the session stays up; accepted orders stay."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

from domain.enums import Side
from fixgw.codec.outbound import format_utc_timestamp
from tests.integration.conftest import System

pytestmark = pytest.mark.integration


def nos(**overrides: str | None) -> list[tuple[int, str]]:
    fields = {11: "BAD", 55: "MSFT", 54: "1", 38: "100", 40: "2", 44: "100", 60: format_utc_timestamp(time.time_ns())}
    fields |= {int(k[1:]): v for k, v in overrides.items() if v is not None}
    return [(t, v) for t, v in fields.items() if f"t{t}" not in overrides or overrides[f"t{t}"] is not None]


def assert_session_still_trades(system: System, cl_ord_id: str) -> None:
    assert system.client.app.is_logged_on(system.client.session)
    system.client.send_order(cl_ord_id, "MSFT", Side.BUY, Decimal(1), Decimal("100.05"))
    system.client.wait_for(lambda m: m.get(11) == cl_ord_id and m.get(39) == "2")


@pytest.mark.parametrize(
    ("fields", "tag", "reason"),
    [
        (nos(t11="M1", t54=None), "54", "1"),  # required tag missing (dictionary)
        (nos(t11="M2", t54="Z"), "54", "5"),  # value not in the dictionary's enum
        (nos(t11="M3", t38="abc"), "38", "6"),  # wrong data type
        (nos(t11="M4", t40="3"), "40", "5"),  # a stop order: valid FIX, not supported here
    ],
)
def test_bad_new_order_single_when_protocol_error_then_session_reject_naming_tag(
    system: System, fields: list[tuple[int, str]], tag: str, reason: str
) -> None:
    system.client.send_fields("D", fields)

    reject = system.client.wait_for(lambda m: m.get(35) == "3" and m.get(371) == tag)

    assert (reject[373], reject[372]) == (reason, "D")
    assert reject.get(58)
    assert_session_still_trades(system, f"OK-{tag}-{reason}")


@pytest.mark.parametrize(
    ("fields", "rej_reason", "text"),
    [
        (nos(t11="B1", t38="0"), "13", "OrderQty (38) must be positive"),
        (nos(t11="B2", t38="-5"), "13", "OrderQty (38) must be positive"),
        (nos(t11="B3", t44="0"), "99", "Price (44) must be positive"),
        (nos(t11="B4", t44=None), "99", "Price (44) is required"),
        (nos(t11="B5", t55="NOPE"), "1", "Unknown symbol 'NOPE'"),
        (nos(t11="B6", t38="99999999999999999999"), "3", "max order quantity"),
    ],
)
def test_bad_new_order_single_when_business_error_then_execution_report_rejected(
    system: System, fields: list[tuple[int, str]], rej_reason: str, text: str
) -> None:
    cl_ord_id = dict(fields)[11]
    system.client.send_fields("D", fields)

    report = system.client.wait_for(lambda m: m.get(35) == "8" and m.get(11) == cl_ord_id)

    assert (report[150], report[39], report[103]) == ("8", "8", rej_reason)
    assert text in report[58]
    assert_session_still_trades(system, f"OK-{cl_ord_id}")


def test_unsupported_message_type_then_business_message_reject_380_3(system: System) -> None:
    system.client.send_fields("B", [(148, "hello"), (33, "1"), (58, "line")])  # News

    reject = system.client.wait_for(lambda m: m.get(35) == "j")

    assert (reject[372], reject[380]) == ("B", "3")
    assert_session_still_trades(system, "OK-NEWS")


def test_bad_input_when_orders_were_accepted_before_then_they_are_intact(system: System) -> None:
    system.client.send_order("KEEP-1", "AAPL", Side.BUY, Decimal(800), Decimal("100.01"))
    system.client.wait_for(lambda m: m.get(11) == "KEEP-1" and m.get(39) == "1")

    system.client.send_fields("D", nos(t11="X1", t54=None))
    system.client.send_fields("D", nos(t11="X2", t38="-1"))
    system.client.wait_for(lambda m: m.get(11) == "X2")

    order = next(o for o in system.gateway.oms.book.by_id.values() if o.cl_ord_id == "KEEP-1")
    assert (order.cum_qty, order.leaves_qty) == (500, 300)
