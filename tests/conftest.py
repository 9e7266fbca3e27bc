"""Shared fixtures: a test clock and paths to the repository's defaults."""

from pathlib import Path

import pytest

from domain.clock import TestClock

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


@pytest.fixture
def clock() -> TestClock:
    return TestClock()
