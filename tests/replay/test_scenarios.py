"""Recorded client sessions (fixtures/scenarios/) driven through a fresh gateway over real FIX sessions."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from replay.driver import drive, load_scenario
from tests.integration.conftest import make_config, start_system, stop_system

pytestmark = pytest.mark.integration
SCENARIOS = sorted((Path(__file__).resolve().parent / "fixtures" / "scenarios").glob("*.log"))


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_scenario_when_driven_through_a_fresh_gateway_then_every_answer_matches_the_recording(
    path: Path, tmp_path: Path
) -> None:
    scenario = load_scenario(path)
    system = start_system(tmp_path, make_config(tmp_path))
    try:
        result = drive(scenario, system.client)
    finally:
        stop_system(system)

    assert result.passed, "\n".join(str(m) for m in result.mismatches)
    assert result.answers == sum(len(step.expect) for step in scenario.steps) > 0


def test_scenario_when_the_gateway_answers_otherwise_than_recorded_then_the_driver_says_where(
    tmp_path: Path,
) -> None:
    scenario = load_scenario(SCENARIOS[0].with_name("demo.log"))
    first = scenario.steps[0]
    altered = msgspec.structs.replace(first, expect=[first.expect[0] | {44: "100.06"}, *first.expect[1:]])
    scenario = msgspec.structs.replace(scenario, steps=[altered, *scenario.steps[1:]])
    system = start_system(tmp_path, make_config(tmp_path))
    try:
        result = drive(scenario, system.client)
    finally:
        stop_system(system)

    assert [(m.step, m.answer, m.tag, m.expected, m.got) for m in result.mismatches] == [
        (1, 1, 44, "'100.06'", "'100.05'")
    ]
