"""OrdRejReason (103) and CxlRejReason (102) as sent: always a value the session's dictionary enumerates (issue 4:
"an OrdRejReason(103) value the session's dictionary accepts"), checked by quickfix's own DataDictionary."""

from __future__ import annotations

import functools
from decimal import Decimal

import pytest
import quickfix

from domain.enums import CxlRejReason, CxlRejResponseTo, ExecType, OrdRejReason, OrdStatus, OrdType, Side
from domain.ids import Account, ClOrdId, ExecId, OrderId, SessionKey, Symbol
from domain.reports import CancelReject, ExecutionReport
from fixgw.codec import outbound
from fixgw.codec.fields import QfFields
from tests.conftest import ROOT

DICTIONARIES = {"FIX.4.2": "FIX42.xml", "FIX.4.4": "FIX44.xml", "FIXT.1.1": "FIX50SP2.xml"}
"""BeginString -> the (application) dictionary its sessions use (tests/acceptance/sessions.cfg)."""
TEXT = "max order quantity exceeded: OrderQty 6000 > limit 5000 (account ACCT1, MSFT)"


@functools.cache
def dictionary(begin_string: str) -> quickfix.DataDictionary:
    return quickfix.DataDictionary(str(ROOT / "specs" / DICTIONARIES[begin_string]))


def session(begin_string: str) -> SessionKey:
    return SessionKey(f"{begin_string}:FIXGW->CLIENT1")


@pytest.mark.parametrize("reason", list(OrdRejReason))
@pytest.mark.parametrize("begin_string", list(DICTIONARIES))
def test_execution_report_when_denied_then_103_is_enumerated_by_the_sessions_dictionary(
    begin_string: str, reason: OrdRejReason
) -> None:
    report = ExecutionReport(
        session=session(begin_string),
        order_id=OrderId("NONE"),
        cl_ord_id=ClOrdId("C1"),
        exec_id=ExecId("X1"),
        exec_type=ExecType.REJECTED,
        ord_status=OrdStatus.REJECTED,
        account=Account("ACCT1"),
        symbol=Symbol("MSFT"),
        side=Side.BUY,
        ord_type=OrdType.LIMIT,
        price=Decimal(100),
        order_qty=Decimal(6000),
        cum_qty=Decimal(0),
        leaves_qty=Decimal(0),
        avg_px=Decimal(0),
        transact_time_ns=0,
        ord_rej_reason=reason,
        text=TEXT,
    )

    fields = QfFields(outbound.execution_report(report)).as_dict()

    assert dictionary(begin_string).isFieldValue(103, fields[103]), fields[103]
    assert fields[58] == TEXT  # the check, limit and value are still named
    if begin_string != "FIX.4.2":
        assert fields[103] == reason.value  # nothing to map where the dictionary has the value


@pytest.mark.parametrize("reason", list(CxlRejReason))
@pytest.mark.parametrize("begin_string", list(DICTIONARIES))
def test_cancel_reject_when_any_reason_then_102_is_enumerated_by_the_sessions_dictionary(
    begin_string: str, reason: CxlRejReason
) -> None:
    reject = CancelReject(
        session=session(begin_string),
        order_id=OrderId("O1"),
        cl_ord_id=ClOrdId("C2"),
        orig_cl_ord_id=ClOrdId("C1"),
        ord_status=OrdStatus.NEW,
        response_to=CxlRejResponseTo.ORDER_CANCEL_REPLACE_REQUEST,
        reason=reason,
        text=TEXT,
    )

    fields = QfFields(outbound.order_cancel_reject(reject)).as_dict()

    assert dictionary(begin_string).isFieldValue(102, fields[102]), fields[102]
    assert fields[58] == TEXT
    if begin_string != "FIX.4.2":
        assert fields[102] == reason.value


def test_execution_report_when_fix42_and_other_then_broker_option() -> None:
    report = ExecutionReport(
        session=session("FIX.4.2"),
        order_id=OrderId("NONE"),
        cl_ord_id=ClOrdId("C1"),
        exec_id=ExecId("X1"),
        exec_type=ExecType.REJECTED,
        ord_status=OrdStatus.REJECTED,
        account=None,
        symbol=Symbol("MSFT"),
        side=Side.BUY,
        ord_type=OrdType.LIMIT,
        price=Decimal(120),
        order_qty=Decimal(1),
        cum_qty=Decimal(0),
        leaves_qty=Decimal(0),
        avg_px=Decimal(0),
        transact_time_ns=0,
        ord_rej_reason=OrdRejReason.OTHER,
        text="price band: 120 is 20.00% from reference 100",
    )

    fields = QfFields(outbound.execution_report(report)).as_dict()

    assert (fields[103], fields[58]) == ("0", "price band: 120 is 20.00% from reference 100")


@pytest.mark.parametrize("begin_string", list(DICTIONARIES))
def test_dictionary_when_new_order_single_then_decision_px_5900_is_a_declared_optional_price(begin_string: str) -> None:
    dd = dictionary(begin_string)

    assert dd.getFieldName(5900, "")[0] == "DecisionPx"
    assert dd.isMsgField("D", 5900)
    assert not dd.isRequiredField("D", 5900)
