"""``GET /metrics`` of the gateway and the venue simulator, scraped over HTTP after known orders through real sessions
and parsed with prometheus-client's own parser: the naming rules of issue 16, and values that follow what happened."""

from __future__ import annotations

import socket
import urllib.error
import urllib.request
from decimal import Decimal
from pathlib import Path

import pytest
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families

from app.metrics.server import MetricsServer
from app.risk_admin import show
from domain.enums import Side
from fixgw.errors import ConfigError
from oms.store import repository
from tests.integration.conftest import System, start_system, stop_system
from tests.integration.test_risk_controls import wait_until
from tests.integration.test_strategy import quoting, strategy_config

pytestmark = pytest.mark.integration

LABELS = frozenset(
    {
        "source", "outcome", "check", "venue", "account", "symbol", "side", "limit", "client", "state", "role",
        "session", "direction", "problem", "kind", "reason", "hop", "clock", "exec_type", "le", "setting",
    }
)  # fmt: skip
"""Every label name a family may have: each names a configured set (or a fixed one in the code)."""
UNITS_NOT_SECONDS = frozenset({"ms", "us", "ns", "millis", "micros", "nanos", "milliseconds", "microseconds"})


def scrape(url: str) -> dict[str, Metric]:
    """One scrape, parsed: every family by name (a name twice fails)."""
    with urllib.request.urlopen(url, timeout=10) as answer:
        assert answer.status == 200
        assert answer.headers["Content-Type"].startswith("text/plain")
        text = answer.read().decode()
    families: dict[str, Metric] = {}
    for family in text_string_to_metric_families(text):
        assert family.name not in families, f"{family.name} served twice"
        families[family.name] = family
    return families


def sample(families: dict[str, Metric], name: str, **labels: str) -> float:
    """The value of the one sample called ``name`` with exactly ``labels``."""
    [found] = [s.value for f in families.values() for s in f.samples if s.name == name and s.labels == labels]
    return found


def ids_seen(system: System) -> set[str]:
    """Every id of the run: ClOrdIDs, OrderIDs, ExecIDs the client was told, and the book's (ours and the venue's)."""
    ids = {m[tag] for m in system.client.received for tag in (11, 17, 37, 41) if tag in m}
    for row in repository.load_orders(system.gateway.db):
        ids |= {str(row[k]) for k in ("order_id", "cl_ord_id", "venue_order_id") if row.get(k)}
    return ids


def check_naming_rules(families: dict[str, Metric], ids: set[str]) -> None:
    """fixgw_ prefix, counters in _total, durations in seconds, labels from the allowed set, no id as a value."""
    for name, family in families.items():
        assert name.startswith("fixgw_"), name
        assert not set(name.split("_")) & UNITS_NOT_SECONDS, f"{name}: durations are in seconds"
        if family.type == "histogram":
            assert name.endswith("_seconds"), f"{name}: a latency histogram is in seconds"
        if "timestamp" in name:
            assert name.endswith("_timestamp_seconds"), name
        for s in family.samples:
            if family.type == "counter":
                assert s.name.endswith(("_total", "_created")), f"counter sample {s.name}"
            assert set(s.labels) <= LABELS, f"{s.name}: labels {sorted(set(s.labels) - LABELS)}"
            assert not set(s.labels.values()) & ids, f"{s.name}: an id as a label value: {s.labels}"


def test_gateway_metrics_when_orders_filled_and_denied_then_named_by_the_rules_and_following_them(
    system: System,
) -> None:
    system.client.send_order("MT-1", "MSFT", Side.BUY, Decimal(10), Decimal("100.05"))  # crosses the venue's offer
    system.client.send_order("MT-2", "MSFT", Side.BUY, Decimal(6000), Decimal("100.05"))  # ACCT1 max_order_qty 5000
    system.client.wait_for(lambda m: m.get(11) == "MT-1" and m.get(39) == "2")
    system.client.wait_for(lambda m: m.get(11) == "MT-2" and m.get(39) == "8")
    system.gateway.journal.flush()
    assert system.gateway.metrics is not None

    families = scrape(system.gateway.metrics.url)

    check_naming_rules(families, ids_seen(system))
    assert sample(families, "fixgw_orders_total", source="CLIENT1") == 2
    assert sample(families, "fixgw_order_outcomes_total", source="CLIENT1", outcome="filled") == 1
    assert sample(families, "fixgw_order_outcomes_total", source="CLIENT1", outcome="denied") == 1
    assert sample(families, "fixgw_risk_denials_total", check="max_order_qty") == 1
    assert sample(families, "fixgw_venue_executions_total", venue="VENUE") >= 1
    assert sample(families, "fixgw_venue_up", venue="VENUE") == 1
    for role, session in (
        ("client", "FIX.4.4:FIXGW->CLIENT1"),
        ("venue", "FIX.4.4:FIXGW->VENUE"),
        ("marketdata", "FIX.4.4:FIXGW->VENUEMD"),
    ):
        assert sample(families, "fixgw_session_logged_on", role=role, session=session) == 1
    assert sample(families, "fixgw_session_messages_total", role="client", session="FIX.4.4:FIXGW->CLIENT1",
                  direction="in") >= 3  # fmt: skip  # its Logon and two orders
    assert sample(families, "fixgw_hop_latency_seconds_count", hop="decode") >= 2
    assert sample(families, "fixgw_journal_up") == 1
    assert sample(families, "fixgw_journal_queue_depth") == 0
    assert sample(families, "fixgw_book_live", venue="VENUE", symbol="MSFT") == 1
    assert sample(families, "fixgw_kill_switch_global") == 0
    [held] = [p for p in show(system.gateway)[1]["exposure"] if (p["account"], p["symbol"]) == ("ACCT1", "MSFT")]
    assert sample(families, "fixgw_position", account="ACCT1", symbol="MSFT") == float(held["position"]) == 10
    assert sample(families, "fixgw_realized_pnl", account="ACCT1", symbol="MSFT") == float(held["realized_pnl"])
    assert sample(families, "fixgw_unrealized_pnl", account="ACCT1", symbol="MSFT") == float(held["unrealized_pnl"])


def test_gateway_metrics_when_a_strategy_quotes_then_its_orders_are_a_source_and_tick_to_trade_is_served(
    tmp_path: Path,
) -> None:
    running = start_system(tmp_path, strategy_config(tmp_path))
    try:
        assert wait_until(lambda: quoting(running)), running.gateway.strategies.status("MM1")
        assert running.gateway.metrics is not None

        families = scrape(running.gateway.metrics.url)

        check_naming_rules(families, ids_seen(running))
        assert sample(families, "fixgw_orders_total", source="STRATEGY:MM1") >= 2  # its bid and its offer
        assert sample(families, "fixgw_kill_switch_session", client="STRATEGY:MM1") == 0
        assert sample(families, "fixgw_working_qty", account="MM1", symbol="MSFT", side="buy") == 100
        assert families["fixgw_tick_to_trade_seconds"].type == "histogram"
    finally:
        stop_system(running)


def test_venue_metrics_when_an_order_traded_then_named_by_the_rules_and_counting_it(system: System) -> None:
    system.client.send_order("MV-1", "MSFT", Side.BUY, Decimal(10), Decimal("100.05"))
    system.client.wait_for(lambda m: m.get(11) == "MV-1" and m.get(39) == "2")
    assert system.venue.metrics is not None

    families = scrape(system.venue.metrics.url)

    check_naming_rules(families, ids_seen(system))
    assert sample(families, "fixgw_simulator_orders_total", symbol="MSFT") == 1
    assert sample(families, "fixgw_simulator_trades_total", symbol="MSFT") == 1
    assert sample(families, "fixgw_simulator_executions_total", exec_type="trade") == 1  # the house's side has none
    for session in ("FIX.4.4:VENUE->FIXGW", "FIX.4.4:VENUEMD->FIXGW"):
        assert sample(families, "fixgw_session_logged_on", role="member", session=session) == 1
    assert sample(families, "fixgw_simulator_marketdata_subscriptions") == 3  # the gateway's, one per instrument
    assert sample(families, "fixgw_simulator_marketdata_messages_total", kind="snapshot") >= 3


def test_metrics_endpoint_when_scraped_twice_then_the_second_reports_the_first_scrapes_time(system: System) -> None:
    assert system.gateway.metrics is not None
    scrape(system.gateway.metrics.url)

    families = scrape(system.gateway.metrics.url)

    assert 0 < sample(families, "fixgw_metrics_scrape_seconds", clock="cpu") < 1
    assert sample(families, "fixgw_metrics_scrape_seconds", clock="wall") > 0
    assert sample(families, "fixgw_process_resident_memory_bytes") > 0


def test_metrics_endpoint_when_other_path_or_method_then_404_and_405(system: System) -> None:
    assert system.gateway.metrics is not None
    base = system.gateway.metrics.url.removesuffix("/metrics")

    with pytest.raises(urllib.error.HTTPError) as elsewhere:
        urllib.request.urlopen(base + "/orders", timeout=10)
    with pytest.raises(urllib.error.HTTPError) as posted:
        urllib.request.urlopen(urllib.request.Request(base + "/metrics", data=b"{}", method="POST"), timeout=10)

    elsewhere.value.close()
    posted.value.close()
    assert (elsewhere.value.code, posted.value.code) == (404, 405)


def test_metrics_server_when_port_taken_then_config_error_naming_it() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        with pytest.raises(ConfigError, match=f"metrics endpoint cannot listen on 127.0.0.1:{port}"):
            MetricsServer(f"127.0.0.1:{port}", [], "test")
