"""The QuickFIX session-layer acceptance suite against the gateway's own acceptor (see README.md here)."""

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "acceptance: the shared FIX acceptance suite against a running gateway")
