"""Limits files are validated at start, and a bad one is refused naming the field."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import ValidationError

from app.config import load_config
from fixgw.errors import ConfigError
from risk.limits import RiskLimits, SessionLimits
from tests.conftest import ROOT


def test_load_config_when_default_file_then_valid() -> None:
    config = load_config(ROOT / "fixgw.toml")

    assert set(config.instruments) >= {"MSFT", "AAPL", "IBM"}
    assert config.clients["CLIENT1"].effective_default_account == "ACCT1"
    assert config.risk.band_reference == "mid_else_last" and RiskLimits().band_reference == "last"


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ('[risk.default]\nmax_order_qty = "-1"\n', "risk.default.max_order_qty"),
        ('[risk.default]\nmax_order_quantity = "10"\n', "risk.default.max_order_quantity"),
        ('[instruments.MSFT]\nreference_price = "abc"\n', "instruments.MSFT.reference_price"),
        ('[risk]\nno_reference = "ignore"\n', "risk.no_reference"),
        ('[risk]\nband_reference = "bid"\n', "risk.band_reference"),
    ],
)
def test_load_config_when_field_invalid_then_config_error_names_field(tmp_path: Path, text: str, field: str) -> None:
    path = tmp_path / "fixgw.toml"
    path.write_text(text)

    with pytest.raises(ConfigError, match=field.replace(".", r"\.")):
        load_config(path)


def test_load_config_when_instrument_without_reference_price_then_loaded_with_none(tmp_path: Path) -> None:
    path = tmp_path / "fixgw.toml"
    path.write_text('[instruments.NEWCO]\n[risk]\nno_reference = "skip_band"\n')

    config = load_config(path)

    assert config.instruments["NEWCO"].reference_price is None
    assert config.risk.no_reference == "skip_band" and RiskLimits().no_reference == "reject"


def test_load_config_when_route_names_unknown_venue_then_config_error(tmp_path: Path) -> None:
    path = tmp_path / "fixgw.toml"
    path.write_text('[routing]\ndefault = "NOWHERE"\n')

    with pytest.raises(ConfigError, match="NOWHERE"):
        load_config(path)


def test_load_config_when_not_toml_then_config_error(tmp_path: Path) -> None:
    path = tmp_path / "fixgw.toml"
    path.write_text("[risk\n")

    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(path)


def test_load_config_when_session_throttles_then_every_session_and_own_read(tmp_path: Path) -> None:
    path = tmp_path / "fixgw.toml"
    path.write_text(
        '[risk.sessions."*"]\nmax_messages_per_second = 100\n[risk.sessions.CLIENT1]\nmax_orders_per_second = 20\n'
    )

    limits = load_config(path).risk

    assert limits.effective_session("CLIENT1") == SessionLimits(max_messages_per_second=100, max_orders_per_second=20)


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("[risk.sessions.C]\nmax_messages_per_second = 0\n", "risk.sessions.C.max_messages_per_second"),
        ("[risk.default]\nmax_orders_per_second = 2000000\n", "risk.default.max_orders_per_second"),
        ('[risk.sessions.C]\nmax_order_qty = "5"\n', "risk.sessions.C.max_order_qty"),
        ('[risk]\non_breach = ["flatten"]\n', "risk.on_breach.0"),
        ('[risk]\nday_roll_utc = "25:00"\n', "risk.day_roll_utc"),
    ],
)
def test_load_config_when_throttle_or_action_invalid_then_config_error_names_field(
    tmp_path: Path, text: str, field: str
) -> None:
    path = tmp_path / "fixgw.toml"
    path.write_text(text)

    with pytest.raises(ConfigError, match=field.replace(".", r"\.")):
        load_config(path)


def test_with_limit_when_session_scope_then_only_session_throttles_and_validated() -> None:
    limits = RiskLimits().with_limit("session", "*", "max_messages_per_second", Decimal(50))

    assert limits.sessions == {"*": SessionLimits(max_messages_per_second=50)}
    with pytest.raises(ValueError, match="unknown session limit 'max_order_qty'"):
        limits.with_limit("session", "CLIENT1", "max_order_qty", Decimal(5))
    with pytest.raises(ValidationError, match="less than or equal to 1000000"):
        limits.with_limit("session", "CLIENT1", "max_orders_per_second", Decimal(10**7))
