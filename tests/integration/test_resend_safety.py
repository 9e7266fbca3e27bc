"""A peer's hostile byte cannot break a later resend, nor come back in an answer the engine makes up itself.

QuickFIX stores every message it sends and resends them on a ResendRequest (35=2). Upstream, one NUL byte from a
peer that reached a stored message (a Reject echoing MsgType 35=\\x00 as RefMsgType 372, a Heartbeat echoing
TestReqID 112, a Reject reverse-routing OnBehalfOfCompID 115 into DeliverToCompID 128) made the FileStore read that
record back cut at the NUL; the engine then logged "Invalid message: SOH not found at end of field" and resent
nothing from there on. The patch (patches/README.md, 10) reads records whole, and the engine's own answers no
longer echo a MsgType or routing ID that is not printable ASCII.

A NUL in a field the gateway itself echoes (Symbol 55 in an ExecutionReport) is the Python side's: not here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import simplefix

from fixgw.session.settings import SessionConfig, SessionsFile
from tests.integration.conftest import System, make_config, start_system, stop_system
from tests.integration.rawfix import RawSession, encode, field, frame, now

pytestmark = pytest.mark.integration

ADMIN_TYPES = {b"0", b"1", b"2", b"3", b"4", b"5", b"A"}
# Header and trailer fields a resend may change: lengths, checksum, PossDupFlag, SendingTime, OrigSendingTime.
RESEND_CHANGES = {9, 10, 43, 52, 97, 122}


def _without_dictionary(sessions: SessionsFile) -> SessionsFile:
    """The client acceptor with UseDataDictionary=N: any MsgType reaches the application."""
    return SessionsFile(
        dict(sessions.defaults),
        [
            own | {"UseDataDictionary": "N"}
            if SessionConfig(own, sessions.defaults).connection_type == "acceptor"
            else own
            for own in sessions.sessions
        ],
        sessions.base_dir,
    )


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[System]:
    """``request.param``: True for the default configuration (the acceptor validates against specs/FIX44.xml),
    False for an acceptor with UseDataDictionary=N. One system at a time: pytest groups the tests by it."""
    dictionary: bool = request.param
    work: Path = tmp_path_factory.mktemp("resend" if dictionary else "resend-no-dictionary")
    running = start_system(work, make_config(work), adjust_sessions=None if dictionary else _without_dictionary)
    running.client.stop()  # the raw connections below take over CLIENT1's session
    yield running
    stop_system(running)


def _raw(seq: int, msg_type: bytes, fields: bytes, header: bytes = b"") -> bytes:
    """A well-framed message whose MsgType, header and body bytes are given as they are."""
    head = b"35=%s\x0149=CLIENT1\x0156=FIXGW\x0134=%d\x0152=%s\x01" % (msg_type, seq, now().encode())
    return frame("FIX.4.4", head + header + fields)


def _order(cl_ord_id: str, qty: bytes = b"10") -> bytes:
    """A NewOrderSingle's body, resting (bought below the simulator's 100.00): one ExecutionReport, no fill."""
    return b"11=%s\x0155=MSFT\x0154=1\x0138=%s\x0140=2\x0144=99.50\x0160=%s\x01" % (
        cl_ord_id.encode(),
        qty,
        now().encode(),
    )


@dataclass(frozen=True)
class Hostile:
    """What to send as MsgSeqNum 2, on which system, and what the engine answers."""

    message: Callable[[int], bytes]
    dictionary: bool  # False: the acceptor runs with UseDataDictionary=N
    answer: dict[int, bytes | None]  # None: the field must be absent


HOSTILE = {
    # The engine's Reject would echo 372=\x00 (Session::generateReject).
    "msgtype-nul": Hostile(lambda seq: _raw(seq, b"\x00", b""), True, {35: b"3", 373: b"11", 372: None}),
    # The engine's Heartbeat echoes 112=\x00, as FIX asks: only the store must cope (FileStore::get).
    "testreqid-nul": Hostile(lambda seq: _raw(seq, b"1", b"112=\x00\x01"), True, {35: b"0", 112: b"\x00"}),
    # The engine's Reject (38 is not a quantity) would reverse-route 115=\x00 into 128=\x00 (Message::reverseRoute).
    "onbehalfof-nul": Hostile(
        lambda seq: _raw(seq, b"D", _order("ROUTE", b"1O0"), header=b"115=\x00\x01"),
        True,
        {35: b"3", 373: b"6", 371: b"38", 128: None},
    ),
    # Without a dictionary the application gets MsgType "D\x00" and calls it unsupported; upstream answered a
    # BusinessMessageReject 35=j (an application message, resent with PossDup) echoing 372=D\x00
    # (Session::generateBusinessReject).
    "no-dictionary-msgtype-d-nul": Hostile(
        lambda seq: _raw(seq, b"D\x00", _order("DNUL")), False, {35: b"3", 373: b"11", 372: None}
    ),
}


def _printable(message: simplefix.FixMessage) -> bool:
    """Every value's bytes are printable ASCII (0x20-0x7E); SOH only separates fields."""
    return all(0x20 <= b <= 0x7E for _, value in message.pairs for b in value)


def _read_until(raw: RawSession, done: Callable[[simplefix.FixMessage], bool], what: str) -> list[simplefix.FixMessage]:
    """Every message up to and including the one ``done`` accepts; fail if it does not come within 5 s."""
    start = len(raw.received)
    raw.sock.settimeout(5)
    try:
        raw.wait_for(done, what)
    except TimeoutError:
        got = [m.encode(raw=True) for m in raw.received[start:]]
        raise AssertionError(f"no {what} within 5 s; received meanwhile: {got}") from None
    return raw.received[start:]


def _probe(raw: RawSession, seq: int, name: str) -> list[simplefix.FixMessage]:
    """Send a TestRequest; return what came before its Heartbeat (the Heartbeat last)."""
    raw.send(encode("1", seq, [(112, name)]))
    return _read_until(raw, lambda m: m.get(35) == b"0" and m.get(112) == name.encode(), f"Heartbeat to {name}")


def _hang_up(system: System, raw: RawSession) -> None:
    raw.close()
    assert system.gateway.clients.app.wait_for_logout(system.client.session.replace("CLIENT1->FIXGW", "FIXGW->CLIENT1"))


def _content(message: simplefix.FixMessage) -> list[tuple[int, bytes]]:
    return [(int(tag), value) for tag, value in message.pairs if int(tag) not in RESEND_CHANGES]


@pytest.mark.parametrize(
    ("system", "name"), [pytest.param(c.dictionary, n, id=n) for n, c in HOSTILE.items()], indirect=["system"]
)
def test_resend_when_hostile_byte_stored_then_every_message_resent_clean_and_session_up(
    system: System, name: str
) -> None:
    case = HOSTILE[name]
    raw = RawSession(system.client_port)
    try:
        raw.logon()
        raw.send(case.message(2))
        answer = _probe(raw, 3, f"ANSWER-{name}")[0]  # checked last: the resend is what this test is about
        for n, seq in enumerate((4, 5)):
            raw.send(_raw(seq, b"D", _order(f"{name}-{n}")))
            raw.wait_for(
                lambda m, n=n: m.get(35) == b"8" and m.get(11) == f"{name}-{n}".encode(), "the acknowledgement"
            )
        sent = list(raw.received)  # everything the gateway sent since the Logon: MsgSeqNum 1..n
        last = int(sent[-1].get(34))
        assert sorted(int(m.get(34)) for m in sent) == list(range(1, last + 1))

        raw.send(encode("2", 6, [(7, "1"), (16, "0")]))  # ResendRequest: everything
        resent = _probe(raw, 7, f"AFTER-RESEND-{name}")[:-1]

        # Every stored message came back: application messages as PossDup copies, admin messages as gap fills.
        apps = {int(m.get(34)): m for m in sent if m.get(35) not in ADMIN_TYPES}
        admins = {int(m.get(34)) for m in sent if m.get(35) in ADMIN_TYPES}
        copies = {int(m.get(34)): m for m in resent if m.get(35) != b"4"}
        gap_fills = [m for m in resent if m.get(35) == b"4"]
        assert all(m.get(123) == b"Y" for m in gap_fills)
        filled = {s for m in gap_fills for s in range(int(m.get(34)), int(m.get(36)))}
        assert filled == admins, [m.encode(raw=True) for m in resent]
        assert copies.keys() == apps.keys(), [m.encode(raw=True) for m in resent]
        for seq, copy in copies.items():
            assert copy.get(43) == b"Y" and copy.get(122)
            assert _content(copy) == _content(apps[seq])
        # ... and none carries a byte outside printable ASCII (the FIX framing's SOH aside).
        assert all(_printable(m) for m in resent), [m.encode(raw=True) for m in resent]

        # The session is up and trading: the probe above was answered in turn; a new order is acknowledged.
        raw.send(_raw(8, b"D", _order(f"{name}-after")))
        raw.wait_for(lambda m: m.get(35) == b"8" and m.get(11) == f"{name}-after".encode(), "the acknowledgement")

        assert {t: answer.get(t) for t in case.answer} == case.answer, answer.encode(raw=True)
    finally:
        _hang_up(system, raw)


@dataclass(frozen=True)
class Echo:
    """A message the engine answers itself (MsgSeqNum 2), and the answer's fields (None: absent)."""

    message: Callable[[int], bytes]
    dictionary: bool
    answer: dict[int, bytes | None]


ECHO = {
    "msgtype-nul": Echo(lambda seq: _raw(seq, b"\x00", b""), True, {35: b"3", 373: b"11", 372: None}),
    "msgtype-del": Echo(lambda seq: _raw(seq, b"\x7f", b""), True, {35: b"3", 373: b"11", 372: None}),
    "msgtype-utf8": Echo(lambda seq: _raw(seq, "é".encode(), b""), True, {35: b"3", 373: b"11", 372: None}),
    "msgtype-d-nul": Echo(lambda seq: _raw(seq, b"D\x00", _order("E1")), True, {35: b"3", 373: b"11", 372: None}),
    "route-nul-and-high-byte": Echo(
        lambda seq: _raw(seq, b"D", _order("E2", b"1O0"), header=b"115=\x00\x01116=A\xff\x01"),
        True,
        {35: b"3", 373: b"6", 128: None, 129: None},
    ),
    # The control: printable routing IDs (a space included) are still reverse-routed, and 372 still echoed.
    "route-printable": Echo(
        lambda seq: _raw(seq, b"D", _order("E3", b"1O0"), header=b"115=DESK 1\x01116=TRADER\x01"),
        True,
        {35: b"3", 373: b"6", 372: b"D", 128: b"DESK 1", 129: b"TRADER"},
    ),
    # Upstream's Message::isAdminMsgType took MsgType "\x00" for an admin type (strchr finds the terminating NUL):
    # without a dictionary the message went to fromAdmin, and nobody answered it at all.
    "no-dictionary-msgtype-nul": Echo(lambda seq: _raw(seq, b"\x00", b""), False, {35: b"3", 373: b"11", 372: None}),
    "no-dictionary-msgtype-d-nul": Echo(
        lambda seq: _raw(seq, b"D\x00", _order("E4")), False, {35: b"3", 373: b"11", 372: None}
    ),
}


# The cases without a dictionary first: that system is the one the test above ends with (one start fewer).
@pytest.mark.parametrize(
    ("system", "name"),
    [pytest.param(c.dictionary, n, id=n) for n, c in sorted(ECHO.items(), key=lambda i: i[1].dictionary)],
    indirect=["system"],
)
def test_engine_answer_when_msgtype_or_route_not_printable_then_not_echoed(system: System, name: str) -> None:
    case = ECHO[name]
    raw = RawSession(system.client_port)
    try:
        raw.logon()
        raw.send(case.message(2))
        got = _probe(raw, 3, f"ECHO-{name}")
        assert len(got) == 2, [m.encode(raw=True) for m in got]  # one answer, then the Heartbeat to the probe
        answer = got[0]
        assert {t: answer.get(t) for t in case.answer} == case.answer, answer.encode(raw=True)
        assert field(answer, 45) == "2" and _printable(answer), answer.encode(raw=True)
    finally:
        _hang_up(system, raw)
