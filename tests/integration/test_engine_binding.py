"""Our additions to the quickfix binding over a real session (patches/README.md, 9): batch send, no toApp upcall."""

from __future__ import annotations

from decimal import Decimal

import pytest
import quickfix

from app.fixclient import ScriptedClient, client_sessions
from domain.enums import Side
from domain.ids import SessionKey
from fixgw.codec import outbound
from fixgw.session.application import FixApplication
from tests.integration.conftest import System


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
