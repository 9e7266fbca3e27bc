"""How people see values: times in UTC."""

from __future__ import annotations

import pytest

from app.display import utc_time


@pytest.mark.parametrize(
    ("ns", "shown"),
    [
        (1796209915308763798, "2026-12-02 11:11:55.308763"),  # the example: cut to the microsecond
        (0, "1970-01-01 00:00:00.000000"),
        (1_000, "1970-01-01 00:00:00.000001"),
        (999, "1970-01-01 00:00:00.000000"),
        (None, ""),
    ],
)
def test_utc_time_when_ns_epoch_then_utc_to_the_microsecond(ns: int | None, shown: str) -> None:
    assert utc_time(ns) == shown
