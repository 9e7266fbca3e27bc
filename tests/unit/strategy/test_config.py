"""[strategies.<NAME>] in fixgw.toml: the shipped file runs none; a bad one is refused with one line naming it."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.config import load_config
from fixgw.errors import ConfigError
from tests.conftest import ROOT

GOOD = """
[instruments.MSFT]
[clients.CLIENT1]
accounts = ["ACCT1"]
[venues.VENUE]
session = "FIX.4.4:FIXGW->VENUE"
[routing]
default = "VENUE"
[strategies.MM1]
kind = "market_maker"
account = "MM1"
symbol = "MSFT"
size = "100"
max_inventory = "1000"
"""


def _load(tmp_path: Path, text: str) -> object:
    path = tmp_path / "fixgw.toml"
    path.write_text(text)
    return load_config(path)


def test_shipped_settings_run_no_strategy() -> None:
    assert load_config(ROOT / "fixgw.toml").strategies == {}


def test_a_market_maker_section_when_valid_then_defaults_fill_in_and_it_waits_to_be_started(tmp_path: Path) -> None:
    config = _load(tmp_path, GOOD)
    mm = config.strategies["MM1"]  # type: ignore[attr-defined]
    assert (mm.half_spread_ticks, mm.requote_ticks, str(mm.resume_ratio), mm.enabled) == (2, 1, "0.5", False)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('kind = "market_maker"', 'kind = "arbitrage"'), "strategies.MM1.kind: Input should be 'market_maker'"),
        (('size = "100"', 'size = "0"'), "strategies.MM1.size: Input should be greater than 0"),
        (('size = "100"', 'size = "2000"'), "size 2000 is over max_inventory 1000"),
        (('symbol = "MSFT"', 'symbol = "XYZ"'), "strategies.MM1.symbol: 'XYZ' is not an instrument"),
        (('default = "VENUE"', ""), "no [routing] rule sends account MM1's MSFT orders anywhere"),
        (('size = "100"', 'size = "100"\nresume_ratio = "1.5"'), "strategies.MM1.resume_ratio: Input should be less"),
        (("[strategies.MM1]", "[strategies.'MM 1']"), "a strategy's name is 1-32 letters"),
    ],
)
def test_a_market_maker_section_when_wrong_then_one_line_names_the_field(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    with pytest.raises(ConfigError) as refused:
        _load(tmp_path, GOOD.replace(*change))
    assert message in str(refused.value) and "\n" not in str(refused.value)
