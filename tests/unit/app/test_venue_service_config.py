"""Which venue ``fixgw serve venue`` runs: one of ``[deployment] venues``, a FIX venue, named or the only one."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.config import GatewayConfig, load_config
from app.services.venue import service_venue
from fixgw.errors import ConfigError
from tests.conftest import ROOT


def _config(tmp_path: Path, deployment: str, venues: str = "") -> GatewayConfig:
    path = tmp_path / "fixgw.toml"
    path.write_text((ROOT / "fixgw.toml").read_text() + venues + f'\n[deployment]\nmode = "services"\n{deployment}\n')
    return load_config(path)


def test_service_venue_when_one_listed_and_none_named_then_that_one(tmp_path: Path) -> None:
    assert service_venue(_config(tmp_path, 'venues = ["VENUE"]'), None) == "VENUE"


def test_service_venue_when_named_and_listed_then_it(tmp_path: Path) -> None:
    config = _config(tmp_path, 'venues = ["VENUE", "POOL"]', '\n[venues.POOL]\nsession = "FIX.4.4:FIXGW->POOL"\n')
    assert service_venue(config, "POOL") == "POOL"


@pytest.mark.parametrize(
    ("deployment", "venues", "name", "says"),
    [
        ("venues = []", "", None, "give --venue NAME"),
        ('venues = ["VENUE", "POOL"]', '\n[venues.POOL]\nsession = "FIX.4.4:FIXGW->POOL"\n', None, "give --venue"),
        ('venues = ["VENUE"]', "", "OTHER", "not in [deployment] venues"),
        ('venues = ["POOL"]', '\n[venues.POOL]\nkind = "internal"\n', "POOL", "not a FIX venue"),
    ],
    ids=["none-listed", "two-listed-none-named", "not-listed", "internal-venue"],
)
def test_service_venue_when_not_one_fix_venue_listed_then_refused(
    tmp_path: Path, deployment: str, venues: str, name: str | None, says: str
) -> None:
    with pytest.raises(ConfigError, match=says.replace("[", r"\[").replace("]", r"\]")):
        service_venue(_config(tmp_path, deployment, venues), name)
