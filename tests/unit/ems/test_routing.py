"""Routing rules and their settings: an account's rule, else the symbol's, else the default venue."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.config import load_config
from domain.ids import Account, Symbol, VenueId
from ems.router import Router
from fixgw.errors import ConfigError
from tests.conftest import ROOT
from tests.factories import new_order


def test_router_when_account_rule_then_it_wins_over_symbol_and_default() -> None:
    router = Router({"IBM": VenueId("B")}, VenueId("A"), {"ACCT2": VenueId("POOL")})

    assert router.route(new_order(account=Account("ACCT2"), symbol=Symbol("IBM"))).venue == "POOL"
    assert router.route(new_order(account=Account("ACCT2"), symbol=Symbol("MSFT"))).venue == "POOL"
    assert router.route(new_order(account=Account("ACCT1"), symbol=Symbol("IBM"))).venue == "B"
    assert router.route(new_order(account=Account("ACCT1"), symbol=Symbol("MSFT"))).venue == "A"


def test_load_config_when_internal_and_fix_venues_then_kinds_sessions_and_rules_read(tmp_path: Path) -> None:
    path = tmp_path / "fixgw.toml"
    path.write_text(
        '[venues.VENUE]\nsession = "FIX.4.4:FIXGW->VENUE"\n[venues.POOL]\nkind = "internal"\n'
        '[routing]\ndefault = "VENUE"\nsymbols = {IBM = "POOL"}\naccounts = {ACCT2 = "POOL"}\n'
    )

    config = load_config(path)

    assert [(n, v.kind, v.session) for n, v in config.venues.items()] == [
        ("VENUE", "fix", "FIX.4.4:FIXGW->VENUE"),
        ("POOL", "internal", None),
    ]
    assert (config.routing.symbols, config.routing.accounts) == ({"IBM": "POOL"}, {"ACCT2": "POOL"})


def test_load_config_when_example_with_only_the_internal_venue_then_valid() -> None:
    config = load_config(ROOT / "bench" / "internal.toml")

    assert [(n, v.kind) for n, v in config.venues.items()] == [("INTERNAL", "internal")]
    assert config.routing.default == "INTERNAL"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[venues.VENUE]\n", r"venues\.VENUE\.session: Value error, a FIX venue needs its initiator session"),
        ('[venues.VENUE]\nkind = "fix"\nsession = ""\n', r"venues\.VENUE\.session: Value error, a FIX venue"),
        (
            '[venues.POOL]\nkind = "internal"\nsession = "FIX.4.4:FIXGW->VENUE"\n',
            r"venues\.POOL\.session: Value error, an internal venue runs inside the gateway and has no session",
        ),
        ('[venues.POOL]\nkind = "inside"\n', r"venues\.POOL\.kind: Input should be 'fix' or 'internal'"),
        ('[venues.POOL]\nkind = "internal"\n[routing]\naccounts = {ACCT2 = "NOWHERE"}\n', r"\['NOWHERE'\]"),
    ],
)
def test_load_config_when_venue_or_route_invalid_then_error_names_the_field(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "fixgw.toml"
    path.write_text(text)

    with pytest.raises(ConfigError, match=message):
        load_config(path)
