"""Shared fixtures: a test clock and paths to the repository's defaults; the ``browser`` marker's rule."""

import os
from pathlib import Path

import pytest

from domain.clock import TestClock

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
CHROMIUM = Path(os.environ.get("FIXGW_CHROMIUM", "/usr/bin/chromium"))
"""The browser the ``browser`` tests drive: Debian's chromium (``./dev test`` installs it as root)."""


@pytest.fixture
def clock() -> TestClock:
    return TestClock()


def pytest_runtest_setup(item: pytest.Item) -> None:
    """A ``browser`` test skips where there is no browser to drive, except in CI (CI set), where it fails."""
    if item.get_closest_marker("browser") is None:
        return
    missing = [] if CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK) else [f"no browser at {CHROMIUM}"]
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the playwright package is not installed")
    if missing:
        why = f"{' and '.join(missing)} (Debian's chromium: ./dev test installs it when run as root)"
        if os.environ.get("CI"):
            pytest.fail(f"browser tests must run in CI: {why}", pytrace=False)
        pytest.skip(why)
