"""The services deployment's pure parts: settings and the edge's Nats-Msg-Id."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.config import load_config
from app.services.edge import message_id
from fixgw.errors import ConfigError
from tests.conftest import ROOT
from transport.envelope import Inbound

SESSION = "FIX.4.4:FIXGW->CLIENT1"


def _settings(tmp_path: Path, extra: str) -> Path:
    path = tmp_path / "fixgw.toml"
    path.write_text((ROOT / "fixgw.toml").read_text() + extra)
    return path


def test_settings_when_absent_then_monolith_and_local_nats(tmp_path: Path) -> None:
    config = load_config(_settings(tmp_path, ""))
    assert config.deployment.mode == "monolith"
    assert config.nats.url == "nats://127.0.0.1:4222"


def test_settings_when_services_then_read(tmp_path: Path) -> None:
    config = load_config(_settings(tmp_path, '\n[deployment]\nmode = "services"\n[nats]\nurl = "nats://n1:4333"\n'))
    assert (config.deployment.mode, config.nats.url) == ("services", "nats://n1:4333")


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        ('\n[deployment]\nmode = "cluster"\n', "deployment.mode"),
        ('\n[nats]\nurl = "http://x:4222"\n', "nats.url"),
        ("\n[nats]\npublish_timeout_s = 0\n", "nats.publish_timeout_s"),
    ],
)
def test_settings_when_wrong_then_one_line_naming_the_field(tmp_path: Path, extra: str, named: str) -> None:
    with pytest.raises(ConfigError) as refused:
        load_config(_settings(tmp_path, extra))
    assert named in str(refused.value)
    assert "\n" not in str(refused.value)


def test_message_id_when_possdup_resend_then_same_id_as_the_original() -> None:
    original = Inbound(SESSION, 7, "D", "N1", "8=FIX.4.4|9=1|35=D|34=7|52=20261203-08:00:00.123|11=N1|10=000|", 1)
    resend = Inbound(
        SESSION, 7, "D", "N1", "8=FIX.4.4|9=1|35=D|34=7|43=Y|52=20261203-08:00:05.000|122=20261203-08:00:00.123|", 2
    )
    assert message_id(original) == message_id(resend) == f"{SESSION}:7:20261203-08:00:00.123"


def test_message_id_when_sequence_reset_reuses_seq_then_another_id() -> None:
    before = Inbound(SESSION, 1, "D", "N1", "8=FIX.4.4|35=D|34=1|52=20261203-08:00:00.000|", 1)
    after = Inbound(SESSION, 1, "D", "N1", "8=FIX.4.4|35=D|34=1|52=20261204-08:00:00.000|", 2)
    assert message_id(before) != message_id(after)


def test_message_id_when_no_received_message_then_none() -> None:
    assert message_id(None) is None


@pytest.mark.parametrize(
    ("args", "mode", "said"),
    [
        (["run"], "services", 'deployment.mode is "services": run fixgw serve core, edge and venue'),
        (["serve", "core"], "monolith", 'fixgw serve needs deployment.mode = "services"'),
    ],
)
def test_cli_when_command_does_not_fit_the_deployment_then_refused_in_one_line(
    tmp_path: Path, args: list[str], mode: str, said: str
) -> None:
    settings = _settings(tmp_path, f'\n[deployment]\nmode = "{mode}"\n')
    result = CliRunner().invoke(cli, [*args, "--settings", str(settings)])
    assert isinstance(result.exception, ConfigError)
    assert said in str(result.exception)
