"""``fixgw order`` over a book the gateway wrote: times people read, the integers in JSON, and every message in and
out as FIX text — what went out exactly as its session sent it (issue 16)."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
import pytest

from app.display import utc_time
from domain.audit import audit_bytes
from domain.enums import Side
from domain.ids import ClOrdId, ExecId, OrderId
from oms.store import repository
from oms.store.database import open_database
from oms.store.schema import executions, messages, orders
from tests.factories import execution_report
from tests.integration.conftest import System, make_config, start_system, stop_system
from tests.integration.test_cli import fixgw

pytestmark = pytest.mark.integration
NS_EPOCH = re.compile(r"\b1\d{18}\b")
"""A time in ns since the epoch, as the book keeps it (19 digits from 2001 to 2286)."""


def _filled(system: System, cl_ord_id: str) -> str:
    """Trade ``cl_ord_id`` (10 MSFT, filled at once); return the book's URL once everything is committed."""
    system.client.send_order(cl_ord_id, "MSFT", Side.BUY, Decimal(10), Decimal("100.05"))
    system.client.wait_for(lambda m: m.get(11) == cl_ord_id and m.get(39) == "2")
    assert system.gateway.journal.flush()
    return system.gateway.config.database_url()


def _order(url: str, key: str, *flags: str) -> str:
    result = fixgw("order", key, "--db", url, *flags)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_order_when_shown_then_times_in_utc_and_no_ns_epoch(system: System) -> None:
    url = _filled(system, "TIME-1")

    text = _order(url, "TIME-1")
    life: dict[str, Any] = json.loads(_order(url, "TIME-1", "--json"))

    order = life["order"]
    assert f"Booked {utc_time(order['created_ns'])} UTC, last changed {utc_time(order['updated_ns'])} UTC" in text
    assert life["executions"] and all(utc_time(e["ts_ns"]) in text for e in life["executions"])
    assert len(life["messages"]) >= 4 and all(utc_time(m["ts_ns"]) in text for m in life["messages"])
    assert NS_EPOCH.findall(text) == []  # nor in a message: each is FIX text, with FIX's own times


def test_order_when_json_then_integers_kept_and_nothing_added(system: System) -> None:
    url = _filled(system, "TIME-2")

    life: dict[str, Any] = json.loads(_order(url, "TIME-2", "--json"))

    assert list(life) == ["order", "executions", "messages"]
    assert set(life["order"]) == {c.name for c in orders.columns}
    assert all(set(e) == {c.name for c in executions.columns} for e in life["executions"])
    assert all(set(m) == {c.name for c in messages.columns} for m in life["messages"])
    times = [life["order"]["created_ns"], *(e["ts_ns"] for e in life["executions"])]
    times += [m["ts_ns"] for m in life["messages"]]
    assert all(isinstance(t, int) and NS_EPOCH.fullmatch(str(t)) for t in times)


def test_order_when_routed_then_why_shown_and_kept_in_the_book(system: System) -> None:
    url = _filled(system, "ROUTE-1")

    text = _order(url, "ROUTE-1")
    life: dict[str, Any] = json.loads(_order(url, "ROUTE-1", "--json"))

    assert "Routed: default: VENUE" in text
    assert life["order"]["route_reason"] == "default: VENUE"


def _fields(body: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in body.rstrip("|").split("|"))


def _message_cells(table: str) -> list[str]:
    """The Messages table's last column, each message's cell joined across the lines it is folded over."""
    cells: list[str] = []
    for line in table[table.index("Messages") :].splitlines():
        parts = line.split("│")
        if len(parts) != 9:
            continue
        if parts[1].strip():  # a time: a new message
            cells.append("")
        cells[-1] += parts[7].strip()
    return cells


def test_order_when_reports_sent_then_fix_text_as_the_client_received_it_in_table_and_json(system: System) -> None:
    url = _filled(system, "AUD-2")

    table = _order(url, "AUD-2")
    life: dict[str, Any] = json.loads(_order(url, "AUD-2", "--json"))

    bodies = [m["body"] for m in life["messages"]]
    assert _message_cells(table) == bodies  # the table shows what the JSON holds
    reports = [_fields(m["body"]) | {"seq": m["seq"]} for m in life["messages"] if m["direction"] == "out"]
    to_client = [r for r in reports if r["56"] == "CLIENT1"]
    assert [(r["35"], r["11"], r["150"]) for r in to_client] == [("8", "AUD-2", "0"), ("8", "AUD-2", "F")]
    assert [r["17"] for r in to_client] == [f"{life['order']['order_id']}-1-1", f"{life['order']['order_id']}-1-2"]
    assert all(int(r["34"]) == r["seq"] and "52" in r and "10" in r for r in reports)  # header and trailer too
    [to_venue] = [r for r in reports if r["56"] == "VENUE"]
    assert (to_venue["35"], to_venue["11"]) == ("D", life["order"]["order_id"])
    client_log = (system.work / "client" / "log" / "FIX.4.4-CLIENT1-FIXGW.messages.current.log").read_bytes()
    venue_log = (system.work / "venue" / "log" / "FIX.4.4-VENUE-FIXGW.messages.current.log").read_bytes()
    sent = [audit_bytes(m["body"]) for m in life["messages"] if m["direction"] == "out"]
    assert all(text in client_log or text in venue_log for text in sent)  # byte for byte what arrived there


def test_order_when_report_sent_again_after_restart_then_that_text_recorded_against_its_row(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    engine = open_database(config.database_url())
    report = execution_report(order_id=OrderId("O77"), cl_ord_id=ClOrdId("RS-1"), exec_id=ExecId("O77-1-1"))
    row = {"ts_ns": 1, "direction": "out", "session": report.session, "msg_type": "8", "seq": None, "sent_from": None}
    row |= {"order_id": "O77", "cl_ord_id": "RS-1", "body": msgspec.json.encode(report).decode()}
    with engine.begin() as conn:  # committed, never marked delivered: as if the gateway died before sending it
        message_id = conn.execute(messages.insert().values(row)).inserted_primary_key[0]  # type: ignore[index]
    engine.dispose()

    system = start_system(tmp_path, config)
    try:
        again = system.client.wait_for(lambda m: m.get(17) == "O77-1-1")
    finally:
        stop_system(system)  # a clean stop records what was sent

    engine = open_database(config.database_url())
    order = {"order_id": "O77", "session": report.session, "cl_ord_id": "RS-1", "requests_sent": 0}
    try:
        [sent] = repository.order_messages(engine, order)
    finally:
        engine.dispose()
    fields = _fields(sent["body"])
    assert (sent["sent_from"], fields["97"], fields["17"], int(fields["34"])) == (
        message_id,
        "Y",
        "O77-1-1",
        sent["seq"],
    )
    assert again[97] == "Y"
