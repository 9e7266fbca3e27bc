"""[routing.adaptive]: read into the router's policy and the engine's settings; a bad one refused in one line
naming the field."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from app.adaptive import policy
from app.config import GatewayConfig, load_config
from fixgw.errors import ConfigError

BASE = (
    '[instruments.MSFT]\n[instruments.IBM]\n[venues.POOL_A]\nkind = "internal"\n[venues.POOL_B]\nkind = "internal"\n'
    '[routing]\ndefault = "POOL_B"\n'
)


def load_config_text(tmp_path: Path, text: str) -> GatewayConfig:
    path = tmp_path / "fixgw.toml"
    path.write_text(BASE + text)
    return load_config(path)


def test_load_config_when_adaptive_section_then_policy_read(tmp_path: Path) -> None:
    config = load_config_text(
        tmp_path,
        '[routing.adaptive]\nsymbols = ["MSFT"]\nvenues = ["POOL_A", "POOL_B"]\nmin_samples = 10\nwindow = 50\n'
        'hysteresis_bps = "0.25"\nexplore_every = 8\nhorizon_ms = 5\nreject_penalty_bps = "20"\n',
    )

    made = policy(config.routing.adaptive)
    assert made is not None
    assert (made.symbols, made.venues, made.min_samples, made.hysteresis_bps, made.explore_every) == (
        frozenset({"MSFT"}),
        ("POOL_A", "POOL_B"),
        10,
        Decimal("0.25"),
        8,
    )
    assert (config.routing.adaptive.horizon_ms, config.routing.adaptive.reject_penalty_bps) == (5, Decimal(20))


def test_load_config_when_no_adaptive_section_then_off(tmp_path: Path) -> None:
    assert policy(load_config_text(tmp_path, "").routing.adaptive) is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('symbols = ["MSFT"]\nvenues = ["POOL_A"]\n', r"routing\.adaptive: Value error, .*two or more venues"),
        ('symbols = ["MSFT"]\nvenues = ["POOL_A", "POOL_A"]\n', r"two or more venues"),
        ('venues = ["POOL_A", "POOL_A", "POOL_B"]\n', r"venues lists a venue twice"),
        ("min_samples = 300\nwindow = 200\n", r"min_samples 300 is above window 200"),
        ("explore_every = 1\n", r"explore_every = 1 would send every order exploring"),
        ("horizon_ms = 0\n", r"routing\.adaptive\.horizon_ms: Input should be greater than or equal to 1"),
        ('hysteresis_bps = "-1"\n', r"routing\.adaptive\.hysteresis_bps: Input should be greater than or equal to 0"),
        ("speed = 3\n", r"routing\.adaptive\.speed: Extra inputs are not permitted"),
        ('symbols = ["MSFT"]\nvenues = ["POOL_A", "NOWHERE"]\n', r"routing\.adaptive\.venues names .*\['NOWHERE'\]"),
        ('symbols = ["XYZ"]\nvenues = ["POOL_A", "POOL_B"]\n', r"routing\.adaptive\.symbols names unknown .*XYZ"),
    ],
)
def test_load_config_when_adaptive_invalid_then_one_line_error(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config_text(tmp_path, "[routing.adaptive]\n" + text)


def test_load_config_when_adaptive_symbol_has_a_symbol_rule_then_refused(tmp_path: Path) -> None:
    path = tmp_path / "fixgw.toml"
    path.write_text(
        BASE.replace('default = "POOL_B"\n', 'default = "POOL_B"\nsymbols = { MSFT = "POOL_A" }\n')
        + '[routing.adaptive]\nsymbols = ["MSFT"]\nvenues = ["POOL_A", "POOL_B"]\n'
    )

    with pytest.raises(ConfigError, match=r"\['MSFT'\] also have a symbol rule, which wins over adaptive"):
        load_config(path)


def test_load_config_when_adaptive_without_default_then_refused(tmp_path: Path) -> None:
    path = tmp_path / "fixgw.toml"
    path.write_text(
        BASE.replace('[routing]\ndefault = "POOL_B"\n', "")
        + '[routing.adaptive]\nsymbols = ["MSFT"]\nvenues = ["POOL_A", "POOL_B"]\n'
    )

    with pytest.raises(ConfigError, match=r"routing\.adaptive needs routing\.default"):
        load_config(path)
