"""Plain and TLS sessions go to separate quickfix engines, with the TLS settings where quickfix reads them."""

from __future__ import annotations

from pathlib import Path

import pytest

from fixgw.errors import ConfigError
from fixgw.session.connector import DEFAULT_SSL_PROTOCOL, _split_tls
from fixgw.session.settings import SessionsFile

BASE = """
[DEFAULT]
ConnectionType=acceptor
SenderCompID=FIXGW
BeginString=FIX.4.4
[SESSION]
TargetCompID=PLAIN
SocketAcceptPort=9001
[SESSION]
TargetCompID=SECURE
SocketAcceptPort=9002
SocketUseSSL=Y
ServerCertificateFile=server.crt
ServerCertificateKeyFile=server.key
"""


def test_split_tls_when_mixed_then_tls_settings_lifted_into_defaults_of_the_tls_engine_only() -> None:
    plain, tls = _split_tls(SessionsFile.parse(BASE, base_dir=Path(".")))

    assert [s["TargetCompID"] for s in plain.sessions] == ["PLAIN"]
    assert [s["TargetCompID"] for s in tls.sessions] == ["SECURE"]
    assert tls.defaults["ServerCertificateFile"] == "server.crt"
    assert tls.defaults["SSLProtocol"] == DEFAULT_SSL_PROTOCOL
    assert "SocketUseSSL" not in tls.sessions[0] and "ServerCertificateFile" not in plain.defaults


def test_split_tls_when_acceptor_has_no_certificate_then_config_error() -> None:
    text = BASE.replace("ServerCertificateFile=server.crt\n", "")

    with pytest.raises(ConfigError, match="ServerCertificateFile"):
        _split_tls(SessionsFile.parse(text, base_dir=Path(".")))


def test_split_tls_when_sessions_disagree_on_a_tls_setting_then_config_error() -> None:
    text = BASE + "[SESSION]\nTargetCompID=OTHER\nSocketUseSSL=Y\nServerCertificateFile=other.crt\n"

    with pytest.raises(ConfigError, match="disagree on ServerCertificateFile"):
        _split_tls(SessionsFile.parse(text, base_dir=Path(".")))
