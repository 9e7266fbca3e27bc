"""Behaviour settings in fixgw.toml: validated with one-line errors; changes merged and checked the same way."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from app.config import load_config
from app.venue_admin import updated
from fixgw.errors import ConfigError
from matching.behaviour import Behaviour, VenueBehaviour

POOLS = """
[venues.LIT]
kind = "internal"
[venues.LIT.behaviour]
fee_bps = "0.2"
[venues.DARK]
kind = "internal"
[venues.DARK.behaviour]
reject_ratio = 0.25
adverse_bps = "3"
latency_ms = 5
seed = 9
[routing]
default = "LIT"
"""


def settings(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "fixgw.toml"
    path.write_text(text)
    return path


def test_load_config_when_pools_then_behaviours_read(tmp_path: Path) -> None:
    config = load_config(settings(tmp_path, POOLS))

    lit, dark = config.venues["LIT"].behaviour, config.venues["DARK"].behaviour
    assert lit is not None and dark is not None
    assert lit.behaviour() == Behaviour(fee_bps=Decimal("0.2"))
    assert dark.behaviour() == Behaviour(reject_ratio=0.25, adverse_bps=Decimal(3), latency_ms=5)
    assert dark.seed == 9


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[venues.V]\nsession = "FIX.4.4:FIXGW->VENUE"\n[venues.V.behaviour]\nfee_bps = "1"\n',
            "a FIX venue's behaviour is set on its simulator",
        ),
        (
            '[venues.P]\nkind = "internal"\n[venues.P.behaviour]\nreject_ratio = 1.5\n',
            "venues.P.behaviour.reject_ratio",
        ),
        ("[simulator.behaviour]\nlatency_ms = -1\n", "simulator.behaviour.latency_ms"),
        ("[simulator.behaviour]\nfees = 1\n", "simulator.behaviour.fees"),
    ],
)
def test_load_config_when_behaviour_is_wrong_then_one_line_error_naming_it(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message) as raised:
        load_config(settings(tmp_path, text))

    assert "\n" not in str(raised.value)


def test_updated_when_some_settings_change_then_the_others_stay() -> None:
    current = VenueBehaviour(Behaviour(fee_bps=Decimal(1), latency_ms=3))

    assert updated(current, {"reject_ratio": 0.1}) == Behaviour(fee_bps=Decimal(1), latency_ms=3, reject_ratio=0.1)


@pytest.mark.parametrize(
    ("changes", "message"),
    [({"reject_ratio": 2}, "reject_ratio: Input should be less than or equal to 1"), ({"seed": 4}, "unknown")],
)
def test_updated_when_a_change_is_wrong_then_value_error_naming_it(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        updated(VenueBehaviour(), changes)
