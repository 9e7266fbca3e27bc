"""What travels between the services: the domain's commands and reports survive the trip unchanged."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec
import pytest

from domain.commands import CancelOrder, CancelWorking
from domain.ids import ClOrdId, SessionKey
from domain.reports import BusinessReject, ExecutionReport
from tests.factories import execution_report, new_order
from transport.envelope import (
    CommandBatch,
    Inbound,
    decode_commands,
    decode_report,
    encode_commands,
    encode_report,
    encode_report_rows,
    report_rows,
)
from transport.subjects import command_subject, report_subject, reports_of

SESSION = SessionKey("FIX.4.4:FIXGW->CLIENT1")


def test_command_batch_when_encoded_then_decodes_to_equal_commands_and_inbound() -> None:
    # Arrange
    cancel = CancelOrder(
        session=SESSION,
        cl_ord_id=ClOrdId("C2"),
        orig_cl_ord_id=ClOrdId("C1"),
        symbol="MSFT",
        side=new_order().side,
        ts_received_ns=7,
    )
    batch = CommandBatch(
        commands=[new_order(price=Decimal("100.123456789012")), cancel, CancelWorking(client="CLIENT1", reason="r")],
        inbound=Inbound(str(SESSION), 12, "D", "C1", "8=FIX.4.4|35=D|34=12|", 99),
    )

    # Act
    decoded = decode_commands(encode_commands(batch))

    # Assert
    assert decoded == batch
    assert [type(c) for c in decoded.commands] == [type(c) for c in batch.commands]


def test_command_batch_when_no_commands_then_inbound_alone_travels() -> None:
    batch = CommandBatch(commands=[], inbound=Inbound(str(SESSION), 3, "j", None, "8=FIX.4.4|35=V|", 1))
    assert decode_commands(encode_commands(batch)) == batch


def round_trip(reports: list[tuple[int, Any]]) -> list[tuple[int, Any]]:
    """As the core encodes reports and the edge decodes them."""
    data = encode_report_rows([(i, encode_report(r)) for i, r in reports])
    return [(i, decode_report(raw)) for i, raw in report_rows(data)]


@pytest.mark.parametrize(
    "report",
    [
        execution_report(),
        BusinessReject(session=SESSION, ref_msg_type="D", reason=4, text="down", cl_ord_id=ClOrdId("C9")),
    ],
)
def test_report_when_encoded_then_decodes_to_the_same_type_and_fields(report: object) -> None:
    [(row_id, decoded)] = round_trip([(41, report)])
    assert (row_id, decoded) == (41, report)
    assert type(decoded) is type(report)


def test_reports_when_several_then_in_their_order_with_their_ids() -> None:
    reports = [(7, execution_report(cl_ord_id=ClOrdId("A"))), (9, execution_report(cl_ord_id=ClOrdId("B")))]
    assert round_trip(reports) == reports


def test_decode_when_payload_is_not_a_batch_then_decode_error() -> None:
    with pytest.raises(msgspec.DecodeError):
        decode_commands(b"\x93garbage")


def test_decode_when_kind_is_unknown_then_decode_error_names_it() -> None:
    payload = msgspec.msgpack.encode([[["DropTables", msgspec.msgpack.encode({})]], None])
    with pytest.raises(msgspec.DecodeError, match="DropTables"):
        decode_commands(payload)


def test_subjects_when_comp_id_has_subject_wildcards_then_one_token() -> None:
    assert report_subject("CLIENT1") == "fixgw.report.CLIENT1.0"
    assert report_subject("A.B*C>", "3") == "fixgw.report.A_B_C_.3"
    assert reports_of("CLIENT1") == "fixgw.report.CLIENT1.*"
    assert command_subject() == "fixgw.cmd.0"


def test_execution_report_type_is_what_the_factory_builds() -> None:
    assert isinstance(execution_report(), ExecutionReport)
