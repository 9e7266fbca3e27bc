"""``fixgw tca --since``: a UTC time or a duration back from now; anything else a one-line error."""

from __future__ import annotations

import pytest

from app.tca_cli import parse_since
from fixgw.errors import ConfigError

NOW = 1_780_000_000 * 1_000_000_000  # 2026-05-28 20:26:40 UTC
S = 1_000_000_000


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", NOW - 90 * S),
        ("15m", NOW - 900 * S),
        ("2h", NOW - 7200 * S),
        ("7d", NOW - 7 * 86400 * S),
        ("2026-05-28T20:26:40Z", NOW),
        ("2026-05-28 20:26:40", NOW),  # no offset: UTC
        ("2026-05-28T22:26:40+02:00", NOW),
        ("2026-05-28T20:26:40.5Z", NOW + S // 2),
    ],
)
def test_parse_since_when_time_or_duration_then_ns(text: str, expected: int) -> None:
    assert parse_since(text, NOW) == expected


@pytest.mark.parametrize("text", ["yesterday", "2h ago", "-5m", "1w", ""])
def test_parse_since_when_neither_then_error_naming_the_forms(text: str) -> None:
    with pytest.raises(ConfigError, match=r"give a UTC time such as .* or a duration back such as 90s"):
        parse_since(text, NOW)
