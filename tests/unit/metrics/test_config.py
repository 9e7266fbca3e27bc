"""Where the metrics endpoints listen: host:port, port 0 for any, "" for none; the shipped settings serve both."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.config import GatewayConfig, MetricsConfig, SimulatorConfig, load_config
from app.metrics.gateway import configured_accounts
from tests.conftest import ROOT


@pytest.mark.parametrize("listen", ["", "127.0.0.1:9881", "127.0.0.1:0", "[::1]:9881", "0.0.0.0:65535"])
def test_listen_when_host_port_or_empty_then_accepted(listen: str) -> None:
    assert MetricsConfig(listen=listen).listen == listen
    assert SimulatorConfig(metrics_listen=listen).metrics_listen == listen


@pytest.mark.parametrize("listen", ["9881", ":9881", "localhost:", "localhost:http", "127.0.0.1:65536"])
def test_listen_when_not_host_port_then_refused_with_an_example(listen: str) -> None:
    with pytest.raises(ValidationError, match="give host:port"):
        MetricsConfig(listen=listen)


def test_defaults_when_absent_then_no_endpoint_and_the_shipped_settings_serve_both() -> None:
    shipped = load_config(ROOT / "fixgw.toml")

    assert (GatewayConfig().metrics.listen, GatewayConfig().simulator.metrics_listen) == ("", "")
    assert (shipped.metrics.listen, shipped.simulator.metrics_listen) == ("127.0.0.1:9881", "127.0.0.1:9882")


def test_configured_accounts_when_clients_limits_routing_and_strategies_name_them_then_all_of_them() -> None:
    config = GatewayConfig.model_validate(
        {
            "clients": {"CLIENT1": {"accounts": ["ACCT1"], "default_account": "HOUSE"}},
            "risk": {"accounts": {"LIMITED": {"max_order_qty": "10"}}},
            "routing": {"accounts": {"ROUTED": "VENUE"}, "default": "VENUE"},
            "venues": {"VENUE": {"session": "FIX.4.4:FIXGW->VENUE"}},
            "instruments": {"MSFT": {}},
            "strategies": {"MM1": {"kind": "market_maker", "account": "MM", "symbol": "MSFT", "size": "1",
                                   "max_inventory": "10"}},
        }
    )  # fmt: skip

    assert configured_accounts(config) == {"ACCT1", "HOUSE", "LIMITED", "ROUTED", "MM"}
