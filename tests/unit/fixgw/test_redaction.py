"""The Python redaction rule (the same as the quickfix patch's FIX::redactSecrets)."""

from __future__ import annotations

import logging

import pytest

from fixgw.session.redaction import MASK, RedactingFilter, redact

H = "8=FIX.4.4"


def fix(*fields: str) -> str:
    return "\x01".join(fields) + "\x01"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (fix(H, "35=A", "553=bob", "554=hunter2", "98=0"), fix(H, "35=A", "553=bob", f"554={MASK}", "98=0")),
        (fix("35=BE", "925=new", "1402=enc", "1404=enc2"), fix("35=BE", f"925={MASK}", f"1402={MASK}", f"1404={MASK}")),
        # RawData (96) in a Logon, with an SOH inside the data: its length (95) says where it ends.
        (fix(H, "35=A", "95=5", "96=a\x01bcd", "98=0"), fix(H, "35=A", "95=5", f"96={MASK}", "98=0")),
        # RawData outside a Logon is data, not a credential.
        (fix(H, "35=B", "95=3", "96=abc"), fix(H, "35=B", "95=3", "96=abc")),
        # Only whole tags: 1554 and 5540 are not 554.
        (fix("35=D", "1554=x", "5540=y"), fix("35=D", "1554=x", "5540=y")),
        (
            "Session not found for incoming message: " + fix(H, "35=A", "554=p"),
            "Session not found for incoming message: " + fix(H, "35=A", f"554={MASK}"),
        ),
        ("no fix here", "no fix here"),
        (fix("35=A", "554="), fix("35=A", f"554={MASK}")),
    ],
)
def test_redact_when_secret_tags_present_then_only_their_values_are_masked(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_redacting_filter_when_record_quotes_a_logon_then_password_is_masked(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.redaction")
    caplog.handler.addFilter(RedactingFilter())

    logger.warning("bad logon %s", fix("35=A", "554=hunter2"))

    assert "hunter2" not in caplog.text
    assert f"554={MASK}" in caplog.text
