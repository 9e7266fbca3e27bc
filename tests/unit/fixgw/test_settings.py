"""QuickFIX session files: parse, resolve paths, relocate, change ports."""

from __future__ import annotations

from pathlib import Path

import pytest

from domain.ids import SessionKey
from fixgw.errors import ConfigError
from fixgw.session.settings import SessionsFile
from tests.conftest import ROOT

TEXT = """
# comment
[DEFAULT]
DataDictionary=specs/FIX44.xml
FileStorePath=store
[SESSION]
ConnectionType=acceptor
BeginString=FIX.4.4
SenderCompID=GW
TargetCompID=C1
SocketAcceptPort=1000
[SESSION]
ConnectionType=initiator
BeginString=FIX.4.4
SenderCompID=GW
TargetCompID=V
SessionQualifier=Q
SocketConnectPort=2000
"""


def test_parse_when_two_sessions_then_keys_and_types() -> None:
    sessions = SessionsFile.parse(TEXT, base_dir=Path("/cfg"))

    assert [(c.key, c.connection_type) for c in sessions.configs()] == [
        ("FIX.4.4:GW->C1", "acceptor"),
        ("FIX.4.4:GW->V:Q", "initiator"),
    ]


def test_resolved_when_relative_paths_then_absolute_against_file_dir() -> None:
    resolved = SessionsFile.parse(TEXT, base_dir=Path("/cfg")).resolved()

    assert resolved.defaults["DataDictionary"] == "/cfg/specs/FIX44.xml"
    assert resolved.defaults["FileStorePath"] == "/cfg/store"


def test_with_port_when_acceptor_then_only_acceptors_change() -> None:
    sessions = SessionsFile.parse(TEXT, base_dir=Path("/cfg")).with_port("acceptor", 5555)

    assert [c.get("SocketAcceptPort") for c in sessions.configs()] == ["5555", None]
    assert sessions.of_type("initiator")[0]["SocketConnectPort"] == "2000"


def test_parse_when_key_outside_section_then_config_error_names_line() -> None:
    with pytest.raises(ConfigError, match=":2: expected KEY=VALUE"):
        SessionsFile.parse("\nA=B\n", base_dir=Path("/"))


def test_to_quickfix_when_default_file_then_quickfix_accepts_it(tmp_path: Path) -> None:
    sessions = SessionsFile.load(ROOT / "sessions.cfg").relocated(tmp_path)

    settings = sessions.to_quickfix(tmp_path)

    assert settings.size() == 3  # the client acceptor, the venue's order and market data initiators
    assert Path(sessions.resolved().defaults["DataDictionary"]).is_file()


def test_split_when_keys_given_then_named_sessions_apart_from_the_rest() -> None:
    sessions = SessionsFile.load(ROOT / "sessions.cfg")

    picked, rest = sessions.split({SessionKey("FIX.4.4:FIXGW->VENUEMD")})

    assert [c.key for c in picked.configs()] == ["FIX.4.4:FIXGW->VENUEMD"]
    assert [c.key for c in rest.configs()] == ["FIX.4.4:FIXGW->CLIENT1", "FIX.4.4:FIXGW->VENUE"]
    assert picked.defaults == rest.defaults == sessions.defaults
