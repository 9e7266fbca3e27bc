"""Per-session credentials: salted scrypt hashes, never a plaintext secret in the configuration."""

from __future__ import annotations

from pathlib import Path

import pytest

from domain.ids import SessionKey
from fixgw.errors import ConfigError
from fixgw.session.auth import Authenticator, PasswordHash, hash_password
from fixgw.session.settings import SessionsFile

# Cheap parameters keep the unit tests fast; the default cost is exercised by the integration tests.
FAST = {"n": 16, "r": 1, "p": 1}
SESSION = SessionKey("FIX.4.4:FIXGW->CLIENT1")


def sessions(extra: str) -> SessionsFile:
    text = f"""
[DEFAULT]
ConnectionType=acceptor
BeginString=FIX.4.4
SenderCompID=FIXGW
[SESSION]
TargetCompID=CLIENT1
{extra}
[SESSION]
TargetCompID=OPEN
"""
    return SessionsFile.parse(text, base_dir=Path("."))


def test_hash_password_when_hashed_twice_then_salts_differ_and_both_verify() -> None:
    first, second = hash_password("s3cret", **FAST), hash_password("s3cret", **FAST)

    assert first != second
    assert PasswordHash.parse(first).matches("s3cret")
    assert PasswordHash.parse(second).matches("s3cret")


def test_password_hash_when_wrong_password_then_does_not_match() -> None:
    encoded = hash_password("s3cret", **FAST)

    assert not PasswordHash.parse(encoded).matches("s3cret ")
    assert not PasswordHash.parse(encoded).matches("")


def test_hash_password_when_default_cost_then_scrypt_n_16384() -> None:
    encoded = hash_password("x")

    assert encoded.startswith("scrypt:16384:8:1:")
    assert all(c in "0123456789abcdef:" for c in encoded.removeprefix("scrypt:"))


@pytest.mark.parametrize(
    "text",
    [
        "plain",
        "scrypt:16384:8:1:00",
        "bcrypt:1:1:1:0011223344556677:00112233445566778899aabbccddeeff",
        "scrypt:1000:8:1:0011223344556677:00112233445566778899aabbccddeeff",
        "scrypt:16384:8:1:zz11223344556677:00112233445566778899aabbccddeeff",
    ],
)
def test_password_hash_parse_when_malformed_then_value_error(text: str) -> None:
    with pytest.raises(ValueError):
        PasswordHash.parse(text)


def test_authenticator_when_username_and_password_right_then_accepts() -> None:
    auth = Authenticator.from_sessions(sessions(f"Username=desk7\nPasswordHash={hash_password('pw', **FAST)}"))

    assert auth.requires_credentials(SESSION)
    assert auth.check_logon(SESSION, "desk7", "pw") is None


@pytest.mark.parametrize(
    ("username", "password", "reason"),
    [("desk7", "nope", "Invalid"), ("other", "pw", "Invalid"), (None, "pw", "Invalid"), ("desk7", None, "required")],
)
def test_authenticator_when_credentials_wrong_or_missing_then_refuses(
    username: str | None, password: str | None, reason: str
) -> None:
    auth = Authenticator.from_sessions(sessions(f"Username=desk7\nPasswordHash={hash_password('pw', **FAST)}"))

    refusal = auth.check_logon(SESSION, username, password)

    assert refusal is not None and reason in refusal
    assert "pw" not in refusal and "nope" not in refusal


def test_authenticator_when_session_has_no_credentials_then_it_logs_on_as_configured() -> None:
    auth = Authenticator.from_sessions(sessions(f"PasswordHash={hash_password('pw', **FAST)}"))

    assert not auth.requires_credentials(SessionKey("FIX.4.4:FIXGW->OPEN"))
    assert auth.check_logon(SessionKey("FIX.4.4:FIXGW->OPEN"), None, None) is None


def test_authenticator_when_no_username_configured_then_any_username_with_right_password() -> None:
    auth = Authenticator.from_sessions(sessions(f"PasswordHash={hash_password('pw', **FAST)}"))

    assert auth.check_logon(SESSION, "anyone", "pw") is None
    assert auth.check_logon(SESSION, None, "pw") is None


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("Password=hunter2", "Password= would keep a secret"),
        ("Username=desk7", "needs PasswordHash"),
        ("PasswordHash=hunter2", "PasswordHash: expected scrypt"),
    ],
)
def test_authenticator_when_configuration_unsafe_or_broken_then_config_error(extra: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        Authenticator.from_sessions(sessions(extra))

    assert "hunter2" not in str(caught.value)
