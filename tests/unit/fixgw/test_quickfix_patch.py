"""The installed quickfix carries the rest of our patch: TLS compiled in, the redaction function linked."""

from __future__ import annotations

from pathlib import Path

import pytest
import quickfix

from domain.ids import SessionKey
from fixgw.codec.fields import QfFields
from fixgw.session.application import FixApplication


class Silent:
    def on_logon(self, session: SessionKey) -> None: ...
    def on_logout(self, session: SessionKey) -> None: ...
    def on_message(self, session: SessionKey, msg_type: str, fields: QfFields) -> None: ...


def test_quickfix_binding_when_installed_then_ssl_engines_are_real_not_stubs(tmp_path: Path) -> None:
    # The PyPI build's stub raises "HAVE_SSL not enabled" from the constructor, whatever the settings; the real
    # engine gets as far as checking the certificate settings.
    config = tmp_path / "tls.cfg"
    config.write_text(
        "[DEFAULT]\nConnectionType=acceptor\nSocketAcceptPort=1\nStartTime=00:00:00\nEndTime=00:00:00\n"
        "FileStorePath=store\n[SESSION]\nBeginString=FIX.4.4\nSenderCompID=A\nTargetCompID=B\n"
    )
    settings = quickfix.SessionSettings(str(config))
    store = quickfix.MemoryStoreFactory()

    with pytest.raises(quickfix.ConfigError) as refused:
        quickfix.SSLSocketAcceptor(FixApplication(Silent(), "t"), store, settings)

    assert "HAVE_SSL" not in str(refused.value)
    assert "DataDictionary" in str(refused.value)  # it got as far as reading the session settings


def test_quickfix_binding_when_installed_then_logs_go_through_redaction() -> None:
    [library] = Path(quickfix.__file__).parent.glob("_quickfix*.so")

    assert b"redactSecrets" in library.read_bytes()
