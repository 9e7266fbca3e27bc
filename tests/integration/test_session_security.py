"""Who may log on: configured sessions only, credentials before anything else, no secret in any file."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
import quickfix

from domain.enums import Side
from fixgw.session.auth import hash_password
from tests.integration.conftest import System, make_config
from tests.integration.rawfix import RawSession, encode
from tests.integration.secured import files_under, new_client, start_secured_system, stop_secured_system

pytestmark = pytest.mark.integration

PASSWORD = f"pw-{secrets.token_hex(8)}"  # unique, so finding it anywhere in a file can only mean a leak
USERNAME = "desk7"
CREDENTIALS = {"Username": USERNAME, "PasswordHash": hash_password(PASSWORD)}
GOOD_LOGON = [(553, USERNAME), (554, PASSWORD)]


@pytest.fixture
def secured(tmp_path: Path) -> Iterator[System]:
    system = start_secured_system(tmp_path, make_config(tmp_path), CREDENTIALS, client_logon=GOOD_LOGON)
    yield system
    stop_secured_system(system)


def _session(system: System) -> quickfix.Session:
    key = next(k for k in system.gateway.clients.app.sessions if k.endswith("->CLIENT1"))
    return quickfix.Session.lookupSession(quickfix.SessionID(*_parts(key)))


def _parts(key: str) -> tuple[str, str, str]:
    begin, rest = key.split(":", 1)
    sender, target = rest.split("->", 1)
    return begin, sender, target


def _hang_up(system: System) -> None:
    """Log the quickfix client out and wait until the gateway's side is done with the session too."""
    system.client.stop()
    gateway_key = next(k for k in system.gateway.clients.app.sessions if k.endswith("->CLIENT1"))
    assert system.gateway.clients.app.wait_for_logout(gateway_key)


def _trade(system: System, cl_ord_id: str) -> None:
    system.client.send_order(cl_ord_id, "MSFT", Side.BUY, Decimal(1), Decimal("100.05"))
    system.client.wait_for(lambda m: m.get(11) == cl_ord_id and m.get(39) == "2")


def test_logon_when_credentials_right_then_session_logs_on_and_trades(secured: System) -> None:
    assert secured.client.app.is_logged_on(secured.client.session)

    _trade(secured, "AUTH-OK")


@pytest.mark.parametrize(
    "credentials",
    [[(553, USERNAME), (554, "wrong")], [(553, "mallory"), (554, PASSWORD)], [(553, USERNAME)], []],
    ids=["wrong-password", "wrong-username", "no-password", "nothing"],
)
def test_logon_when_not_authenticated_with_reset_flag_then_nothing_sent_and_nothing_stored_changes(
    secured: System, credentials: list[tuple[int, str]]
) -> None:
    _trade(secured, "BEFORE")  # sequence numbers well past 1 on both sides
    _hang_up(secured)
    store = secured.work / "gateway" / "store"
    session = _session(secured)
    before = (files_under(store), session.getExpectedSenderNum(), session.getExpectedTargetNum())
    assert before[1] > 2 and before[2] > 2

    intruder = RawSession(secured.client_port)
    intruder.send(encode("A", 1, [(98, "0"), (108, "30"), (141, "Y"), *credentials]))
    answer = intruder.read_all_until_closed()
    intruder.close()

    assert answer == b""  # dropped without a Logon, a Logout or anything else
    assert (files_under(store), session.getExpectedSenderNum(), session.getExpectedTargetNum()) == before
    secured.client = new_client(secured.gateway_sessions, secured.work, GOOD_LOGON)
    secured.client.start()  # the real client carries on where it was, without any reset
    _trade(secured, "AFTER")
    assert session.getExpectedTargetNum() >= before[2] + 2  # its Logon and order took the next numbers


def test_logon_when_reset_on_logon_configured_and_not_authenticated_then_no_reset(tmp_path: Path) -> None:
    settings = CREDENTIALS | {"ResetOnLogon": "Y"}
    system = start_secured_system(tmp_path, make_config(tmp_path), settings, client_logon=GOOD_LOGON)
    try:
        _trade(system, "BEFORE")
        _hang_up(system)
        session = _session(system)
        before = (session.getExpectedSenderNum(), session.getExpectedTargetNum())

        intruder = RawSession(system.client_port)
        intruder.send(encode("A", 1, [(98, "0"), (108, "30"), (553, USERNAME), (554, "wrong")]))

        answer = intruder.read_all_until_closed()
        intruder.close()

        assert answer == b""
        assert (session.getExpectedSenderNum(), session.getExpectedTargetNum()) == before
        assert before[0] > 1 and before[1] > 1
    finally:
        stop_secured_system(system)


def test_logon_when_comp_id_not_configured_then_dropped_without_reply_or_stored_state(secured: System) -> None:
    _hang_up(secured)
    store = secured.work / "gateway" / "store"
    before = files_under(store)

    for sender in ("INTRUDER", "client1", "CLIENT1 "):
        stranger = RawSession(secured.client_port)
        stranger.send(encode("A", 1, [(98, "0"), (108, "30"), (141, "Y")], sender=sender))
        answer = stranger.read_all_until_closed()
        stranger.close()
        assert answer == b"", sender

    assert files_under(store) == before


def test_logs_when_logons_carry_passwords_then_no_file_and_no_console_line_contains_them(
    secured: System, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        _trade(secured, "LOGGED")
        _hang_up(secured)
        for password in (PASSWORD, f"{PASSWORD}-wrong"):  # accepted and refused Logons, both logged
            raw = RawSession(secured.client_port)
            raw.send(encode("A", 1, [(98, "0"), (108, "30"), (141, "Y"), (553, USERNAME), (554, password)]))
            if password == PASSWORD:
                raw.wait_for(lambda m: m.get(35) == b"A", "the Logon answer")
                raw.send(encode("5", 2, []))
                raw.wait_for(lambda m: m.get(35) == b"5", "the Logout answer")
            raw.read_all_until_closed()
            raw.close()
        secured.gateway.journal.flush()

    written = files_under(secured.work)  # gateway logs and store, client logs and store, the SQL book
    leaks = [name for name, data in written.items() if PASSWORD.encode() in data]
    messages_log = b"".join(data for name, data in written.items() if name.startswith("gateway/log/"))

    assert leaks == []
    assert messages_log.count(b"\x01554=********\x01") >= 3  # the quickfix client's Logon and both raw ones
    assert PASSWORD not in caplog.text
    assert "Logon refused" in caplog.text


def test_order_when_account_not_entitled_then_rejected_with_unknown_account(secured: System) -> None:
    secured.client.send_order("NOT-MINE", "MSFT", Side.BUY, Decimal(1), Decimal("100.05"), account="ACCT2")

    report = secured.client.wait_for(lambda m: m.get(11) == "NOT-MINE")

    assert (report[35], report[150], report[39], report[103]) == ("8", "8", "8", "15")
    assert "ACCT2" in report[58] and "CLIENT1" in report[58]
    secured.client.send_order("MINE", "MSFT", Side.BUY, Decimal(1), Decimal("100.05"), account="ACCT1")
    assert secured.client.wait_for(lambda m: m.get(11) == "MINE" and m.get(39) == "2")[1] == "ACCT1"
