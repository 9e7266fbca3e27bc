"""Our additions to the quickfix binding over a real session (patches/README.md, 9 and 11): batch send, no toApp
upcall, the application messages of one socket read handed over in one call."""

from __future__ import annotations

from decimal import Decimal

import pytest
import quickfix

from app.fixclient import ScriptedClient, client_sessions
from domain.enums import Side
from domain.ids import SessionKey
from fixgw.codec import outbound
from fixgw.codec.fields import QfFields
from fixgw.session.application import FixApplication
from tests.integration.conftest import System
from tests.integration.rawfix import RawSession, encode, field, now


class CountingClient(ScriptedClient):
    """A scripted client whose application counts the engine's ``toApp`` upcalls."""

    def __init__(self, system: System, name: str, *, to_app: bool) -> None:
        super().__init__(client_sessions(system.gateway_sessions, "CLIENT1", system.work / name))
        self.app.__class__ = _upcall_counting(to_app)  # before the engine first asks it (at its first send)


def _upcall_counting(to_app: bool) -> type[FixApplication]:
    class Counting(FixApplication):
        fixgw_to_app = to_app
        to_app_calls = 0

        def toApp(self, message: quickfix.Message, sessionID: quickfix.SessionID) -> None:  # noqa: N802, N803
            self.to_app_calls += 1

    return Counting


def _unsolicited(n: int) -> quickfix.Message:
    return outbound.raw_message(
        "8",
        [
            (37, "NONE"),
            (11, f"S{n}"),
            (17, f"X{n}"),
            (150, "I"),
            (39, "0"),
            (55, "MSFT"),
            (54, "1"),
            (151, "0"),
            (14, "0"),
            (6, "0"),
        ],
    )


def test_send_all_when_messages_given_then_client_gets_them_in_order(system: System) -> None:
    app = system.gateway.clients.app
    session = next(s for s in app.sessions if s.endswith("->CLIENT1"))

    sent = app.send_all(session, [_unsolicited(n) for n in range(3)])

    assert sent == 3
    got = [system.client.wait_for(lambda m, n=n: m.get(11) == f"S{n}") for n in range(3)]
    assert [int(m[34]) for m in got] == sorted(int(m[34]) for m in got)  # MsgSeqNum (34): in the order given


def test_send_all_when_session_unknown_then_nothing_sent(system: System) -> None:
    assert system.gateway.clients.app.send_all(SessionKey("FIX.4.4:FIXGW->NOBODY"), [_unsolicited(9)]) == 0


@pytest.mark.parametrize("to_app", [False, True])
def test_to_app_when_application_declares_it_then_upcall_made_or_skipped(system: System, to_app: bool) -> None:
    system.client.stop()  # CLIENT1 logs on again through a counting application
    client = CountingClient(system, f"counting-{to_app}", to_app=to_app)
    client.start()
    try:
        client.send_order("T1", "MSFT", Side.BUY, Decimal(10), Decimal("99.00"))  # one application message out
        client.wait_for(lambda m: m.get(11) == "T1" and m.get(150) == "0")
        calls = client.app.to_app_calls  # type: ignore[attr-defined]
        assert (calls > 0) is to_app  # with the upcall, at least our order (and any resend of it) went through it
    finally:
        client.stop()


def test_from_app_batch_when_messages_arrive_in_one_write_then_one_call_in_order(system: System) -> None:
    system.client.stop()  # a raw connection takes over CLIENT1's session: the test decides how the bytes are written
    app = system.gateway.clients.app
    batches: list[list[str]] = []
    handle = app.fixgw_from_app_batch

    def recording(batch: list[tuple[quickfix.Message, quickfix.SessionID]]) -> None:
        batches.append([QfFields(message).msg_type() + (QfFields(message).get(11) or "") for message, _ in batch])
        handle(batch)

    app.fixgw_from_app_batch = recording  # type: ignore[method-assign] # the binding looks it up at each call
    raw = RawSession(system.client_port)
    try:
        raw.logon()
        terms = [(55, "MSFT"), (54, "1"), (38, "1"), (40, "2"), (44, "100.05"), (60, now())]
        news = encode("B", 2, [(148, "hello"), (33, "1"), (58, "line")])  # unsupported: its 35=j is now ours to send
        raw.send(news + b"".join(encode("D", 3 + n, [(11, f"BATCH{n}"), *terms]) for n in range(4)))

        reject = raw.wait_for(lambda m: field(m, 35) == "j", "the BusinessMessageReject of the News")
        for n in range(4):
            raw.wait_for(lambda m, n=n: field(m, 11) == f"BATCH{n}" and field(m, 150) == "0", f"the ack of {n}")
    finally:
        raw.close()
        app.fixgw_from_app_batch = handle  # type: ignore[method-assign]

    assert (field(reject, 372), field(reject, 380), field(reject, 45)) == ("B", "3", "2")
    assert batches == [["B", "DBATCH0", "DBATCH1", "DBATCH2", "DBATCH3"]]  # five messages, one read, one call
