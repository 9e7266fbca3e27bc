"""Hostile and broken input on a live client session gets what the FIX session protocol requires.

Garbled frames are ignored (no answer, the sequence number does not move); a well-framed message that breaks the
rules gets a Reject (35=3) with the right SessionRejectReason (373); a message of another FIX version ends the
session with a Logout; business nonsense is an ExecutionReport 150=8. After each, the session answers a
TestRequest, and the order accepted before any of it is untouched.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from domain.enums import Side
from tests.integration.conftest import System, make_config, start_system, stop_system
from tests.integration.rawfix import RawSession, encode, field, frame, now

pytestmark = pytest.mark.integration


def nos(cl_ord_id: str, **overrides: str | None) -> list[tuple[int, str]]:
    fields = {11: cl_ord_id, 55: "MSFT", 54: "1", 38: "1", 40: "2", 44: "100.05", 60: now()}
    for key, value in overrides.items():
        if value is None:
            fields.pop(int(key[1:]))
        else:
            fields[int(key[1:])] = value
    return list(fields.items())


def body(fields: list[tuple[int, str]], seq: int, msg_type: str = "D") -> bytes:
    header = f"35={msg_type}\x0149=CLIENT1\x0156=FIXGW\x0134={seq}\x0152={now()}\x01"
    return header.encode() + b"".join(f"{t}={v}\x01".encode() for t, v in fields)


@dataclass(frozen=True)
class Case:
    """What to send (given the next MsgSeqNum) and what must come back."""

    send: object  # Callable[[int], bytes]
    answer: str  # "ignored" | "reject" | "report" | "logout"
    expect: dict[int, str]


def _bad_checksum(seq: int) -> bytes:
    good = encode("D", seq, nos("CK"))
    cut = good.rindex(b"10=")
    return good[:cut] + f"10={(int(good[cut + 3 : -1]) + 1) % 256:03d}\x01".encode()


def _bad_body_length(seq: int) -> bytes:
    payload = body(nos("BL"), seq)
    head = f"8=FIX.4.4\x019={len(payload) - 5}\x01".encode()
    return head + payload + f"10={sum(head + payload) % 256:03d}\x01".encode()


def _out_of_order_header(seq: int) -> bytes:
    # As scenario 2t does: MsgType (35) in front of BeginString (8); the rest correctly framed without it.
    payload = body(nos("OO"), seq).split(b"\x01", 1)[1]
    return b"35=D\x01" + frame("FIX.4.4", payload)


CASES = {
    "bad-checksum": Case(_bad_checksum, "ignored", {}),
    "wrong-body-length": Case(_bad_body_length, "ignored", {}),
    "8-9-35-out-of-order": Case(_out_of_order_header, "ignored", {}),
    "not-fix-at-all": Case(lambda seq: b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", "ignored", {}),
    "duplicate-tag": Case(lambda seq: frame("FIX.4.4", body([*nos("DUP"), (55, "IBM")], seq)), "reject", {373: "13"}),
    "tag-without-value": Case(lambda seq: encode("D", seq, nos("EMPTY", t55="")), "reject", {373: "4", 371: "55"}),
    "wrong-data-type": Case(lambda seq: encode("D", seq, nos("TYPE", t38="1O0")), "reject", {373: "6", 371: "38"}),
    "nan-quantity": Case(lambda seq: encode("D", seq, nos("NAN", t38="NaN")), "reject", {373: "6", 371: "38"}),
    "infinite-price": Case(lambda seq: encode("D", seq, nos("INF", t44="Infinity")), "reject", {373: "6", 371: "44"}),
    "unknown-enum": Case(lambda seq: encode("D", seq, nos("ENUM", t40="Z")), "reject", {373: "5", 371: "40"}),
    "required-tag-missing": Case(lambda seq: encode("D", seq, nos("MISS", t55=None)), "reject", {373: "1", 371: "55"}),
    "group-count-wrong": Case(
        lambda seq: encode("D", seq, [*nos("GRP"), (453, "2"), (448, "P1"), (447, "D"), (452, "1")]),
        "reject",
        {373: "16", 371: "453"},
    ),
    "invalid-msg-type": Case(lambda seq: encode("ZZ", seq, [(58, "x")]), "reject", {373: "11"}),
    "negative-quantity": Case(lambda seq: encode("D", seq, nos("NEG", t38="-5")), "report", {150: "8", 103: "13"}),
    # Beyond what the book of record holds (issue 12): NUMERIC(38, 12), a ClOrdID column of 128 characters.
    "absurd-quantity": Case(
        lambda seq: encode("D", seq, nos("HUGE", t38="1" + "0" * 30)), "reject", {373: "5", 371: "38"}
    ),
    "huge-clordid": Case(lambda seq: encode("D", seq, nos("C" * 10_000)), "reject", {373: "5", 371: "11"}),
    "huge-text": Case(lambda seq: encode("D", seq, [*nos("TEXT"), (58, "t" * 10_000)]), "report", {39: "2"}),
    "unsupported-message": Case(lambda seq: encode("B", seq, [(148, "x"), (33, "1"), (58, "y")]), "business", {}),
    "other-fix-version": Case(
        lambda seq: encode("D", seq, nos("V42"), begin_string="FIX.4.2"), "logout", {58: "Incorrect BeginString"}
    ),
}


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    work: Path = tmp_path_factory.mktemp("hostile")
    running = start_system(work, make_config(work))
    running.client.send_order("KEEP-1", "AAPL", Side.BUY, Decimal(800), Decimal("100.01"))
    yield running
    stop_system(running)


@pytest.fixture(scope="module")
def kept(system: System) -> tuple[object, object]:
    system.client.wait_for(lambda m: m.get(11) == "KEEP-1" and m.get(39) == "1")
    order = next(o for o in system.gateway.oms.book.by_id.values() if o.cl_ord_id == "KEEP-1")
    system.client.stop()  # the raw connections below take over CLIENT1's session
    return order.cum_qty, order.leaves_qty


def _has(message: object, expect: dict[int, str]) -> bool:
    return all(field(message, t) == v for t, v in expect.items())  # type: ignore[arg-type]


def _hang_up(system: System, raw: RawSession) -> None:
    raw.close()
    assert system.gateway.clients.app.wait_for_logout(system.client.session.replace("CLIENT1->FIXGW", "FIXGW->CLIENT1"))


def _probe(raw: RawSession, seq: int, name: str) -> None:
    raw.send(encode("1", seq, [(112, f"PROBE-{name}")]))
    heartbeat = raw.wait_for(lambda m: m.get(35) in (b"0", b"3", b"5"), "the answer to the TestRequest")
    assert (field(heartbeat, 35), field(heartbeat, 112)) == ("0", f"PROBE-{name}")


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_input_when_sent_then_protocol_answer_and_session_survives(
    system: System, kept: tuple[object, object], name: str
) -> None:
    case = CASES[name]
    raw = RawSession(system.client_port)
    try:
        raw.logon()
        raw.send(case.send(2))  # type: ignore[operator]

        if case.answer == "ignored":
            _probe(raw, 2, name)  # the garbled message did not take MsgSeqNum 2
            return
        if case.answer == "logout":
            logout = raw.wait_for(lambda m: m.get(35) == b"5", "the Logout")
            assert all(field(logout, t) == v for t, v in case.expect.items()), logout.encode(raw=True)
            raw.send(encode("5", 3, []))  # we answer the Logout, as the protocol asks; the gateway hangs up
            while raw.read_message() is not None:
                pass
            return
        if case.answer == "report":  # the order's final report (a fill may follow the acknowledgement)
            report = raw.wait_for(lambda m: m.get(35) == b"8" and _has(m, case.expect), f"a report with {case.expect}")
            assert field(report, 58) or field(report, 39) == "2"
            _probe(raw, 3, name)
            return
        wanted = {"reject": b"3", "business": b"j"}[case.answer]
        answer = raw.wait_for(lambda m: m.get(35) in (b"3", b"8", b"j"), f"the {case.answer}")
        assert answer.get(35) == wanted, answer.encode(raw=True)
        assert {t: field(answer, t) for t in case.expect} == case.expect
        assert field(answer, 45) == "2" and field(answer, 58)
        _probe(raw, 3, name)
    finally:
        _hang_up(system, raw)


def test_hostile_input_when_all_sent_then_accepted_order_untouched_and_session_trades(
    system: System, kept: tuple[object, object]
) -> None:
    raw = RawSession(system.client_port)
    try:
        raw.logon()
        for seq, name in enumerate((n for n in CASES if CASES[n].answer != "logout"), start=2):
            raw.send(CASES[name].send(seq))  # type: ignore[operator]
        raw.send(encode("4", 0, [(36, "100")]))  # SequenceReset-Reset: MsgSeqNum ignored, resynchronises us
        raw.send(encode("D", 100, nos("AFTER-ALL", t38="3")))
        filled = raw.wait_for(lambda m: m.get(11) == b"AFTER-ALL" and m.get(39) == b"2", "the fill")
        assert field(filled, 14) == "3"
    finally:
        _hang_up(system, raw)

    order = next(o for o in system.gateway.oms.book.by_id.values() if o.cl_ord_id == "KEEP-1")
    assert (order.cum_qty, order.leaves_qty) == kept == (500, 300)
