"""Internal pools that differ, over real client sessions: fees booked, added latency, the same seeded rejects twice,
adverse selection moving the gateway's consolidated mid against it, and behaviours changed through the admin API."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from app.admin import AdminClient
from app.config import BehaviourConfig, ClientConfig, GatewayConfig, RoutingConfig, VenueConfig
from app.demo import eventually
from domain.enums import Side
from matching.behaviour import Behaviour, VenueBehaviour
from oms.store import repository
from tests.integration.conftest import System, make_config, start_system, stop_system
from tests.integration.test_cli import fixgw

pytestmark = pytest.mark.integration
CLEAN = BehaviourConfig(fee_bps=Decimal("0.5"))
ADVERSE = BehaviourConfig(adverse_bps=Decimal(3), seed=5)


def pools_config(work: Path, lit: BehaviourConfig = CLEAN, dark: BehaviourConfig = ADVERSE) -> GatewayConfig:
    """MSFT and ACCT2 to LIT, IBM to DARK: two pools quoting around the same fair values; the external simulator
    stays connected for orders only (its books are not in the gateway's consolidated view)."""
    config = make_config(work)
    venues = {
        "VENUE": VenueConfig(session="FIX.4.4:FIXGW->VENUE"),
        "LIT": VenueConfig(kind="internal", behaviour=lit),
        "DARK": VenueConfig(kind="internal", behaviour=dark),
    }
    routing = RoutingConfig(default="VENUE", symbols={"MSFT": "LIT", "IBM": "DARK"}, accounts={"ACCT2": "LIT"})
    clients = {"CLIENT1": ClientConfig(accounts=["ACCT1", "ACCT2"])}
    return config.model_copy(update={"venues": venues, "routing": routing, "clients": clients})


@pytest.fixture
def pools(tmp_path: Path) -> Iterator[System]:
    running = start_system(tmp_path, pools_config(tmp_path))
    yield running
    stop_system(running)


def outcome(system: System, cl_ord_id: str) -> dict[int, str]:
    """The first ExecutionReport that is an ack (150=0) or a reject (150=8)."""
    return system.client.wait_for(lambda m: m.get(35) == "8" and m.get(11) == cl_ord_id and m.get(150) in ("0", "8"))


def mid(system: System, symbol: str) -> Decimal | None:
    return system.gateway.quotes.mid(symbol)[0]


def test_pools_when_fee_then_commission_booked_with_each_fill(pools: System) -> None:
    pools.client.send_order("FEE-1", "MSFT", Side.BUY, Decimal(300), Decimal("100.01"))
    pools.client.wait_for(lambda m: m.get(11) == "FEE-1" and m.get(39) == "2")

    assert pools.gateway.journal.flush()
    [order] = [o for o in repository.load_orders(pools.gateway.db) if o["cl_ord_id"] == "FEE-1"]
    [fill] = repository.load_executions(pools.gateway.db, order["order_id"])
    assert (fill["venue"], fill["last_qty"], fill["last_px"]) == ("LIT", 300, Decimal("100.01"))
    assert fill["commission"] == Decimal("300") * Decimal("100.01") * Decimal("0.5") / 10_000


def test_pools_when_member_buys_at_adverse_pool_then_consolidated_mid_moves_down_and_books_stay_uncrossed(
    pools: System,
) -> None:
    assert eventually(lambda: mid(pools, "IBM") == Decimal("100.00"))

    pools.client.send_order("ADV-B", "IBM", Side.BUY, Decimal(100), Decimal("100.01"))
    pools.client.wait_for(lambda m: m.get(11) == "ADV-B" and m.get(39) == "2")

    # Bought at 100.01; the fair value drops 3 bps (3 ticks), at both pools: the mid the markout reads is 99.97.
    assert eventually(lambda: mid(pools, "IBM") == Decimal("99.97")), pools.gateway.quotes.mid("IBM")
    for venue in ("LIT", "DARK"):
        bids, asks = pools.gateway.quotes.depth("IBM", 1, venue)
        assert (bids[0][0], asks[0][0]) == (Decimal("99.96"), Decimal("99.98")), venue

    pools.client.send_order("CLEAN-S", "IBM", Side.SELL, Decimal(100), Decimal("99.96"), account="ACCT2")  # at LIT
    pools.client.wait_for(lambda m: m.get(11) == "CLEAN-S" and m.get(39) == "2")
    pools.client.send_order("ADV-S", "IBM", Side.SELL, Decimal(100), Decimal("99.96"))  # at DARK: up 3 ticks
    pools.client.wait_for(lambda m: m.get(11) == "ADV-S" and m.get(39) == "2")

    assert eventually(lambda: mid(pools, "IBM") == Decimal("100.00")), pools.gateway.quotes.mid("IBM")
    assert mid(pools, "MSFT") == Decimal("100.00")
    assert pools.gateway.internal.house.offset("IBM") == 0


def test_pools_when_latency_then_ack_comes_no_sooner_and_other_pool_is_not_held_up(tmp_path: Path) -> None:
    system = start_system(tmp_path, pools_config(tmp_path, dark=BehaviourConfig(latency_ms=400)))
    try:
        sent = time.monotonic()
        system.client.send_order("SLOW-1", "IBM", Side.BUY, Decimal(100), Decimal("99.00"))
        system.client.send_order("FAST-1", "MSFT", Side.BUY, Decimal(100), Decimal("99.00"))

        assert outcome(system, "FAST-1")[150] == "0"
        fast = time.monotonic() - sent
        assert outcome(system, "SLOW-1")[150] == "0"
        slow = time.monotonic() - sent
    finally:
        stop_system(system)

    assert slow >= 0.4  # a lower bound only: the venue cannot answer before its latency has passed
    assert system.client.reports_for("SLOW-1")[0][150] == "0"
    # The fast pool's ack did not wait for the slow one's (it came first although it was sent second).
    received = [m.get(11) for m in system.client.received if m.get(35) == "8"]
    assert received.index("FAST-1") < received.index("SLOW-1"), (fast, slow)


def rejected_ids(work: Path, n: int) -> list[str]:
    system = start_system(work, pools_config(work, dark=BehaviourConfig(reject_ratio=0.3, seed=11)))
    try:
        for i in range(n):
            system.client.send_order(f"R-{i}", "IBM", Side.BUY, Decimal(100), Decimal("99.00"))
        outcomes = {f"R-{i}": outcome(system, f"R-{i}") for i in range(n)}
    finally:
        stop_system(system)
    rejected = [c for c, m in outcomes.items() if m[150] == "8"]
    for cl_ord_id in rejected:
        report = outcomes[cl_ord_id]
        assert (report[39], report.get(103), report[58]) == (
            "8",
            "99",
            "simulated reject: this venue's reject_ratio is 0.3",
        )
    return rejected


def test_pools_when_reject_ratio_and_seed_then_exactly_the_same_orders_rejected_twice(tmp_path: Path) -> None:
    n = 40
    first = rejected_ids(tmp_path / "first", n)
    second = rejected_ids(tmp_path / "second", n)

    draws = VenueBehaviour(Behaviour(reject_ratio=0.3), seed=11)
    expected = [f"R-{i}" for i in range(n) if draws.rejects_new_order()]  # one draw per order, in arrival order
    assert first == second == expected
    assert 4 <= len(first) <= 20


def test_pools_when_behaviour_set_and_swapped_over_admin_api_then_next_orders_follow(pools: System) -> None:
    admin = AdminClient(pools.gateway.config.admin_token_path())

    status, answer = admin.call("POST", "/venues/DARK/behaviour", {"reject_ratio": 1})
    assert status == 200 and answer["behaviour"]["reject_ratio"] == 1 and answer["behaviour"]["adverse_bps"] == "3"
    pools.client.send_order("SET-1", "IBM", Side.BUY, Decimal(100), Decimal("99.00"))
    assert outcome(pools, "SET-1")[150] == "8"

    status, answer = admin.call("POST", "/venues/swap", {"venues": ["LIT", "DARK"]})
    assert status == 200 and answer["venues"]["LIT"]["behaviour"]["reject_ratio"] == 1
    pools.client.send_order("SWAP-LIT", "MSFT", Side.BUY, Decimal(100), Decimal("99.00"))
    pools.client.send_order("SWAP-DARK", "IBM", Side.BUY, Decimal(100), Decimal("99.00"))
    assert (outcome(pools, "SWAP-LIT")[150], outcome(pools, "SWAP-DARK")[150]) == ("8", "0")

    status, listed = admin.call("GET", "/venues")
    assert status == 200 and listed["venues"]["VENUE"] == {"kind": "fix", "session": "FIX.4.4:FIXGW->VENUE"}
    assert listed["venues"]["LIT"]["rejected"] == 1 and listed["venues"]["DARK"]["rejected"] == 1
    assert listed["venues"]["DARK"]["behaviour"]["fee_bps"] == "0.5"

    assert admin.call("POST", "/venues/VENUE/behaviour", {"fee_bps": 1})[0] == 409
    assert admin.call("POST", "/venues/NOPE/behaviour", {"fee_bps": 1})[0] == 404
    status, bad = admin.call("POST", "/venues/LIT/behaviour", {"reject_ratio": 2})
    assert status == 400 and bad["error"].startswith("reject_ratio: ")


def test_venues_cli_when_set_and_listed_then_the_gateway_applies_and_shows_it(pools: System, tmp_path: Path) -> None:
    settings = tmp_path / "cli.toml"
    settings.write_text(f'[admin]\ntoken_file = "{pools.gateway.config.admin_token_path()}"\n')

    changed = fixgw("venues", "set", "DARK", "--settings", str(settings), "--fee-bps", "2", "--latency-ms", "0")
    listed = fixgw("venues", "list", "--settings", str(settings), "--json")
    nothing = fixgw("venues", "set", "DARK", "--settings", str(settings))
    fix_venue = fixgw("venues", "set", "VENUE", "--settings", str(settings), "--fee-bps", "2")

    assert changed.returncode == 0 and "DARK" in changed.stdout, changed.stdout + changed.stderr
    rows = json.loads(listed.stdout)
    assert rows["DARK"]["behaviour"]["fee_bps"] == "2" and rows["DARK"]["behaviour"]["adverse_bps"] == "3"
    assert rows["LIT"]["behaviour"]["fee_bps"] == "0.5" and rows["VENUE"]["kind"] == "fix"
    assert nothing.returncode == 2 and "nothing to change" in nothing.stderr
    assert fix_venue.returncode == 2 and "fixgw venue-behaviour" in fix_venue.stderr
