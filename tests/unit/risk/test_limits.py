"""Limits files are validated at start, and a bad one is refused naming the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.config import load_config
from fixgw.errors import ConfigError
from tests.conftest import ROOT


def test_load_config_when_default_file_then_valid() -> None:
    config = load_config(ROOT / "fixgw.toml")

    assert set(config.instruments) >= {"MSFT", "AAPL", "IBM"}
    assert config.clients["CLIENT1"].effective_default_account == "ACCT1"


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ('[risk.default]\nmax_order_qty = "-1"\n', "risk.default.max_order_qty"),
        ('[risk.default]\nmax_order_quantity = "10"\n', "risk.default.max_order_quantity"),
        ('[instruments.MSFT]\nreference_price = "abc"\n', "instruments.MSFT.reference_price"),
    ],
)
def test_load_config_when_field_invalid_then_config_error_names_field(tmp_path: Path, text: str, field: str) -> None:
    path = tmp_path / "fixgw.toml"
    path.write_text(text)

    with pytest.raises(ConfigError, match=field.replace(".", r"\.")):
        load_config(path)


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
