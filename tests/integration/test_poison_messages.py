"""Hostile values over a real session, on SQLite and PostgreSQL (issue 12): each gets its reject, nothing wedges the
book of record, another client trades on at once, and every message stays resendable.

Once, one NewOrderSingle with ``11=BAD-<0xFF><0xFE>`` (SQLite) or ``38=<30 digits>`` (PostgreSQL) stopped the
gateway for every session: the journal retried a commit it could never make. Here an attacker session (FUZZER)
sends every such value — the issue's four, then every string field with bytes that are not UTF-8, NUL and control
bytes, and every number too long, too precise, with an exponent, a sign, -0, off its tick or lot — and then:
CLIENT1's next order is acknowledged within a second; the book holds exactly the orders the test expects, with the
values it expects; the audit trail holds every message's fields byte for byte; nothing was quarantined (the edge refused
it all); and a ResendRequest over the attacker's whole session gets every message back, each one parseable.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
import simplefix

from app.fixclient import ScriptedClient, client_sessions
from domain.audit import audit_bytes
from domain.enums import Side
from oms.store import quarantine, repository
from oms.store.schema import messages
from tests.contract.conftest import postgres_schema_url
from tests.integration.conftest import make_config
from tests.integration.fuzzing import FUZZER, FuzzSystem, start_fuzz_system
from tests.integration.rawfix import RawSession, encode, field, now

pytestmark = pytest.mark.integration

NOT_UTF8 = "\udcff\udcfe"
"""The bytes 0xFF 0xFE as the test sends them (see rawfix.encode)."""


@dataclass(frozen=True)
class Poison:
    msg_type: str
    fields: dict[int, str]
    expect: tuple[str, ...]
    """("reject", tag, 373) a session Reject; ("denied", 103, text) an ExecutionReport 150=8 of a booked order;
    ("filled",) a market order that traded (its price ignored); ("acked",) an order that rests."""


def nos(cl_ord_id: str, **changes: str) -> dict[int, str]:
    fields = {11: cl_ord_id, 1: "FZ", 55: "MSFT", 54: "1", 38: "10", 40: "2", 44: "99.50", 60: "<now>"}
    return fields | {int(tag[1:]): value for tag, value in changes.items()}


def poisons() -> dict[str, Poison]:
    table = {
        # The issue's own: bytes that are not UTF-8, a number NUMERIC(38,12) cannot hold, NUL, market prices.
        "ClOrdID not UTF-8": Poison("D", nos("BAD-" + NOT_UTF8), ("reject", "11", "6")),
        "OrderQty of 30 digits": Poison("D", nos("P2", t38="123456789012345678901234567890"), ("reject", "38", "5")),
        "Symbol NUL": Poison("D", nos("P3", t55="\x00"), ("reject", "55", "6")),
        "market order priced -100": Poison("D", nos("P4", t40="1", t44="-100"), ("filled",)),
        "market order priced -2^63-1": Poison("D", nos("P5", t40="1", t44="-9223372036854775809"), ("filled",)),
        "OrderQty 1e-30 written out": Poison("D", nos("P6", t38="0." + "0" * 29 + "1"), ("reject", "38", "5")),
        "free Text not UTF-8 and NUL": Poison("D", nos("P7", t58=NOT_UTF8 + "\x00"), ("acked",)),
    }
    bad_bytes = {"not UTF-8": NOT_UTF8, "NUL": "a\x00b", "BEL": "\x07", "DEL": "a\x7fb"}
    for name, value in bad_bytes.items():
        table[f"D ClOrdID {name}"] = Poison("D", nos(f"X{name}" + value), ("reject", "11", "6"))
        table[f"D Account {name}"] = Poison("D", nos(f"A-{name}", t1=value), ("reject", "1", "6"))
        table[f"D Symbol {name}"] = Poison("D", nos(f"S-{name}", t55=value), ("reject", "55", "6"))
        table[f"F OrigClOrdID {name}"] = Poison(
            "F", {11: f"F-{name}", 41: value, 55: "MSFT", 54: "1", 60: "<now>"}, ("reject", "41", "6")
        )
        table[f"H OrderID {name}"] = Poison(
            "H", {11: f"H-{name}", 37: value, 55: "MSFT", 54: "1"}, ("reject", "37", "6")
        )
    numbers = {
        "40 digits": ("1" * 40, ("reject", "5")),
        "1e-30": ("0." + "0" * 29 + "1", ("reject", "5")),
        "an exponent": ("1e2", ("reject", "6")),
        "a plus sign": ("+10", ("reject", "6")),
    }
    for name, (value, (kind, reason)) in numbers.items():
        table[f"OrderQty {name}"] = Poison("D", nos(f"Q-{name}", t38=value), (kind, "38", reason))
        table[f"Price {name}"] = Poison("D", nos(f"PX-{name}", t44=value), (kind, "44", reason))
    table["OrderQty -0"] = Poison("D", nos("Q-neg0", t38="-0"), ("denied", "13", "OrderQty (38) must be positive"))
    table["OrderQty 0.0"] = Poison("D", nos("Q-zero", t38="0.0"), ("denied", "13", "OrderQty (38) must be positive"))
    table["OrderQty off its lot"] = Poison("D", nos("Q-lot", t38="1.5"), ("denied", "13", "not a multiple of the lot"))
    table["Price -0"] = Poison("D", nos("PX-neg0", t44="-0"), ("denied", "99", "Price (44) must be positive"))
    table["Price off its tick"] = Poison("D", nos("PX-tick", t44="99.501"), ("denied", "99", "multiple of the tick"))
    return table


@pytest.fixture(params=["sqlite", "postgresql"])
def attacked(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[FuzzSystem, ScriptedClient]]:
    urls = postgres_schema_url() if request.param == "postgresql" else iter([None])
    url = next(urls)
    system = start_fuzz_system(tmp_path, make_config(tmp_path, url))
    client = ScriptedClient(client_sessions(system.gateway_sessions, "CLIENT1", tmp_path / "client"))
    client.start()
    yield system, client
    client.stop()
    system.gateway.stop()
    system.venue.stop()
    for _ in urls:  # drops the PostgreSQL schema
        pass


def test_poisons_when_sent_over_a_live_session_then_each_rejected_and_nothing_wedges(
    attacked: tuple[FuzzSystem, ScriptedClient],
) -> None:
    system, bystander = attacked
    raw = RawSession(system.port)
    try:
        _attack(system, bystander, raw)
    finally:
        raw.close()


def _attack(system: FuzzSystem, bystander: ScriptedClient, raw: RawSession) -> None:
    gateway = system.gateway
    raw.send(encode("A", 1, [(98, "0"), (108, "30"), (141, "Y")], sender=FUZZER))
    raw.wait_for(lambda m: m.get(35) == b"A", "the Logon answer")
    sent: dict[int, bytes] = {}
    table = poisons()

    engine_rejected: set[int] = set()
    for seq, (name, poison) in enumerate(table.items(), start=2):
        fields = [(t, now() if v == "<now>" else v) for t, v in poison.fields.items()]
        sent[seq] = encode(poison.msg_type, seq, fields, sender=FUZZER)
        raw.send(sent[seq])
        if _expect(raw, seq, poison, name) in QUICKFIX_TEXTS:
            engine_rejected.add(seq)  # the session layer's dictionary refused it: it never reached the gateway

    # The bystander trades on at once (the issue: nobody got an answer any more).
    bystander.send_order("AFTER-1", "IBM", Side.BUY, Decimal(5), Decimal("99.00"))
    ack = bystander.wait_for(lambda m: m.get(11) == "AFTER-1" and m.get(35) == "8", timeout=1.0)
    assert ack[150] == "0"

    assert gateway.journal.flush()
    assert (gateway.journal.health()["quarantined"], quarantine.load(gateway.db)) == (0, [])  # the edge refused it all
    assert gateway.journal.health()["state"] == "ok"
    _assert_book(gateway.db, table)
    _assert_audit_byte_for_byte(gateway.db, sent, engine_rejected)
    _assert_everything_resends(raw, last_seq=max(sent))


QUICKFIX_TEXTS = frozenset({"Incorrect data format for value", "Value is incorrect (out of range) for this tag"})
"""Text (58) of the rejects QuickFIX's dictionary makes itself (ours name the tag and the value)."""


def _expect(raw: RawSession, seq: int, poison: Poison, name: str) -> str | None:
    """Wait for the answer ``poison`` calls for; return a reject's Text."""
    kind = poison.expect[0]
    cl_ord_id = poison.fields[11].encode("utf-8", "surrogateescape")
    if kind == "reject":
        reject = raw.wait_for(lambda m: m.get(35) == b"3" and m.get(45) == str(seq).encode(), name)
        assert (field(reject, 371), field(reject, 373)) == poison.expect[1:], (name, reject)
        return field(reject, 58)
    report = raw.wait_for(
        lambda m: (
            (m.get(35) == b"8" and m.get(11) == cl_ord_id and m.get(150) != b"0")
            or (kind == "acked" and m.get(11) == cl_ord_id)
        ),
        name,
    )
    if kind == "denied":
        assert (field(report, 150), field(report, 103)) == ("8", poison.expect[1]), (name, report)
        assert poison.expect[2] in (field(report, 58) or ""), (name, report)
    elif kind == "filled":
        assert field(report, 150) == "F" and report.get(44) is None, (name, report)  # the price never echoed
    else:
        assert field(report, 150) == "0", (name, report)
    return None


def _assert_book(db: object, table: dict[str, Poison]) -> None:
    booked = {r["cl_ord_id"]: r for r in repository.load_orders(db) if r["session"].endswith(FUZZER)}  # type: ignore[arg-type]
    expected = {p.fields[11] for p in table.values() if p.expect[0] != "reject"}
    assert set(booked) == expected
    for poison in table.values():
        row = booked.get(poison.fields[11])
        if row is None:
            continue
        if poison.expect[0] == "filled":
            assert (row["price"], row["status"], row["ord_type"]) == (None, "2", "1")  # never booked as it came
        if poison.fields[11] in ("Q-neg0", "Q-zero"):
            assert row["order_qty"] == 0 and not row["order_qty"].is_signed()  # -0 is booked as 0
        if poison.fields[11] == "PX-neg0":
            assert row["price"] == 0 and not row["price"].is_signed()


def _assert_audit_byte_for_byte(db: object, sent: dict[int, bytes], engine_rejected: set[int]) -> None:
    from sqlalchemy import select

    with db.connect() as conn:  # type: ignore[attr-defined]
        rows = conn.execute(
            select(messages.c.seq, messages.c.body).where(
                messages.c.direction == "in", messages.c.session.like(f"%{FUZZER}")
            )
        ).all()
    stored = {seq: audit_bytes(body) for seq, body in rows}
    assert set(stored) == set(sent) - engine_rejected  # every message that reached the gateway, once
    for seq, data in stored.items():  # the engine writes the header in its own order: the fields are what must match
        assert sorted(_fields(data)) == sorted(_fields(sent[seq])), f"audit row of MsgSeqNum {seq} differs"


def _fields(data: bytes) -> list[tuple[bytes, bytes]]:
    return [tuple(part.split(b"=", 1)) for part in data.split(b"\x01") if part]  # type: ignore[misc]


def _assert_everything_resends(raw: RawSession, last_seq: int) -> None:
    """Ask for every message the gateway sent this session: each comes back, parses, and holds no byte its store
    could not resend (before issue 12 a NUL stopped the resend there)."""
    raw.send(encode("2", last_seq + 1, [(7, "1"), (16, "0")], sender=FUZZER))
    raw.sock.settimeout(5)
    resent: list[simplefix.FixMessage] = []
    started = len(raw.received)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        message = raw.read_message()
        assert message is not None, "the gateway dropped the session during the resend"
        if message.get(43) == b"Y" or message.get(35) == b"4":
            resent.append(message)
            if message.get(35) == b"4" and message.get(123) != b"Y":
                break
        if _resend_done(resent, raw.received[:started]):
            break
    admin = (b"0", b"1", b"2", b"3", b"4", b"5", b"A")  # session messages come back as a gap fill
    originals = [m for m in raw.received[:started] if m.get(35) not in admin]
    again = [m for m in resent if m.get(35) != b"4"]
    assert [m.get(34) for m in again] == [m.get(34) for m in originals], "not every message was resent"
    for message in again:
        assert all(0x20 <= b <= 0x7E or b == 1 for b in message.encode()), message


def _resend_done(resent: list[simplefix.FixMessage], before: list[simplefix.FixMessage]) -> bool:
    last = max((int(m.get(34)) for m in before), default=0)
    return any(int(m.get(34)) >= last for m in resent if m.get(35) != b"4") or any(
        m.get(35) == b"4" and int(m.get(36) or 0) > last for m in resent
    )
