"""``[simulator.flow]`` in fixgw.toml: off by default, validated with one-line errors, and what the runner gets."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from app.config import SimulatorConfig, load_config
from app.venue import flow_params
from fixgw.errors import ConfigError
from tests.conftest import ROOT


def settings(tmp_path: Path, flow: str) -> Path:
    path = tmp_path / "fixgw.toml"
    path.write_text(f'[simulator]\ntick = "0.05"\ndepth = 3\n[simulator.flow]\n{flow}\n')
    return path


def test_flow_when_not_configured_then_off_and_the_shipped_settings_leave_it_off() -> None:
    assert not SimulatorConfig().flow.enabled
    assert not load_config(ROOT / "fixgw.toml").simulator.flow.enabled


def test_flow_when_configured_then_runner_params_carry_it_with_the_ladder_settings(tmp_path: Path) -> None:
    path = settings(tmp_path, 'enabled = true\nseed = 42\nstep_ms = 50\nvol_bps_per_sqrt_s = 3.5\ntaker_lot = "10"')
    simulator = load_config(path).simulator
    params = flow_params(simulator)
    assert simulator.flow.enabled
    assert (params.seed, params.step_ms, params.vol_bps_per_sqrt_s) == (42, 50, 3.5)
    assert (params.tick, params.depth, params.taker_lot) == (Decimal("0.05"), 3, Decimal(10))


def test_with_flow_when_called_then_only_enabled_changes() -> None:
    off = SimulatorConfig()
    on = off.with_flow()
    assert on.flow.enabled and on.flow.model_copy(update={"enabled": False}) == off.flow
    assert not on.with_flow(False).flow.enabled


@pytest.mark.parametrize(
    ("flow", "message"),
    [
        ("step_ms = 0", "simulator.flow.step_ms: Input should be greater than 0"),
        ("vol_bps_per_sqrt_s = -1.0", "simulator.flow.vol_bps_per_sqrt_s: Input should be greater than or equal to 0"),
        ("taker_rate_per_s = inf", "simulator.flow.taker_rate_per_s: Input should be a finite number"),
        ('taker_min_qty = "400"', "simulator.flow: Value error, taker_min_qty 400 is above taker_max_qty 300"),
        ('taker_max_qty = "350"', "simulator.flow: Value error, taker_max_qty 350 is not a multiple of taker_lot 100"),
        ("speed = 2", "simulator.flow.speed: Extra inputs are not permitted"),
    ],
)
def test_flow_when_setting_is_bad_then_one_line_error_naming_it(tmp_path: Path, flow: str, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_config(settings(tmp_path, flow))
    assert message in str(raised.value) and "\n" not in str(raised.value)
