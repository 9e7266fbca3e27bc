"""No Python exception may escape a quickfix callback: the binding would Py_Exit the process."""

from __future__ import annotations

import logging

import pytest
import quickfix

from domain.ids import SessionKey
from fixgw.codec.fields import QfFields
from fixgw.errors import IncorrectTagValue
from fixgw.session.application import FixApplication


class Exploding:
    def __init__(self, error: BaseException) -> None:
        self.error = error
        self.messages = 0

    def on_logon(self, session: SessionKey) -> None:
        raise self.error

    def on_logout(self, session: SessionKey) -> None:
        raise self.error

    def on_message(self, session: SessionKey, msg_type: str, fields: QfFields) -> None:
        self.messages += 1
        raise self.error


def message() -> quickfix.Message:
    m = quickfix.Message()
    m.getHeader().setField(35, "D")
    m.getHeader().setField(34, "7")
    return m


SESSION_ID = quickfix.SessionID("FIX.4.4", "A", "B")


@pytest.mark.parametrize("error", [RuntimeError("boom"), KeyError("k"), IncorrectTagValue(54, "bad side")])
def test_from_app_when_handler_raises_then_nothing_escapes_and_it_is_logged(
    error: BaseException, caplog: pytest.LogCaptureFixture
) -> None:
    app = FixApplication(Exploding(error), "t")

    with caplog.at_level(logging.WARNING, logger="fixgw.session"):
        app.fromApp(message(), SESSION_ID)  # no session is registered: even the reply fails, quietly

    assert caplog.records


def test_logon_and_logout_when_handler_raises_then_nothing_escapes(caplog: pytest.LogCaptureFixture) -> None:
    app = FixApplication(Exploding(ValueError("x")), "t")

    with caplog.at_level(logging.ERROR, logger="fixgw.session"):
        app.onLogon(SESSION_ID)
        app.onLogout(SESSION_ID)

    assert len([r for r in caplog.records if r.levelno == logging.ERROR]) == 2
    assert not app.is_logged_on(SessionKey("FIX.4.4:A->B"))


@pytest.mark.parametrize("error", [RuntimeError("boom"), IncorrectTagValue(54, "bad side")])
def test_from_app_batch_when_handler_raises_then_each_message_handled_and_nothing_escapes(
    error: BaseException, caplog: pytest.LogCaptureFixture
) -> None:
    handler = Exploding(error)
    app = FixApplication(handler, "t")

    with caplog.at_level(logging.WARNING, logger="fixgw.session"):
        app.fixgw_from_app_batch([(message(), SESSION_ID), (message(), SESSION_ID)])

    assert handler.messages == 2  # the first one's failure did not stop the second
    assert caplog.records
