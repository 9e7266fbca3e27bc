"""The closed loop over real sessions (issue 18, "Adjust"): a FIX client's orders, routed by the live venue scores
between two internal pools, one clean and one with adverse selection and rejects.

The script: 700 market orders of 100 MSFT, sides from a seeded stream, one at a time (each sent once the previous
one's last report is in: its fill or its reject), the two pools' behaviours swapped after order 400. The gateway
runs on a ``TestClock`` that the script moves by ``STEP_NS`` before each order, beyond the markout horizon: each
fill is marked out against the mid its own order left (after any adverse move), at the next order's first message,
whatever the machine's speed. So the decisions depend on the seed alone.
"""

from __future__ import annotations

import json
import queue
import random
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from app.adaptive_config import AdaptiveConfig
from app.config import BehaviourConfig, ClientConfig, GatewayConfig, RoutingConfig, VenueConfig
from app.fixclient import ScriptedClient, client_sessions
from app.gateway import Gateway
from app.routing_routes import routing
from domain.clock import TestClock
from domain.enums import OrdType, Side, TimeInForce
from fixgw.session.settings import SessionsFile
from oms.store import repository
from tests.conftest import ROOT
from tests.integration.conftest import free_port, make_config, start_system, stop_system
from tests.integration.test_cli import fixgw
from tests.integration.test_metrics import sample, scrape

pytestmark = pytest.mark.integration

ORDERS = 700
SWAP_AFTER = 400
STEP_NS = 5_000_000
"""5 ms of the gateway's clock between orders: beyond the 1 ms horizon, and 200 orders/s for the throttles."""
_FINAL = frozenset({"2", "4", "8"})
"""OrdStatus (39) of an order's last report here: filled, canceled (a market remainder) or rejected."""


def loop_config(work: Path, *, adaptive: bool, seed: int) -> GatewayConfig:
    """POOL_A clean, POOL_B adverse (3 bps) with 20 % rejects; the static rule sends MSFT to POOL_B."""
    config = make_config(work)
    venues = {
        "POOL_A": VenueConfig(kind="internal", behaviour=BehaviourConfig(seed=seed)),
        "POOL_B": VenueConfig(
            kind="internal",
            behaviour=BehaviourConfig(adverse_bps=Decimal(3), reject_ratio=0.2, seed=seed + 1),
        ),
    }
    policy = AdaptiveConfig(
        symbols=["MSFT"] if adaptive else [],
        venues=["POOL_A", "POOL_B"],
        min_samples=8,
        window=50,
        hysteresis_bps=Decimal("0.5"),
        explore_every=10,
        horizon_ms=1,
        reject_penalty_bps=Decimal(10),
    )
    routing = RoutingConfig(default="POOL_B", adaptive=policy)
    clients = {"CLIENT1": ClientConfig(accounts=["ACCT1"])}
    return config.model_copy(update={"venues": venues, "routing": routing, "clients": clients})


@dataclass
class Loop:
    gateway: Gateway
    client: ScriptedClient
    clock: TestClock


def run_loop(
    work: Path,
    config: GatewayConfig,
    seed: int,
    orders: int = ORDERS,
    then: Callable[[Gateway], None] | None = None,
) -> list[tuple[str, str]]:
    """Start a gateway (internal venues only: no venue session) and a client, drive the script (``then`` looks at
    the gateway before it stops), stop both (one at a time: quickfix keeps one registry of sessions per process);
    return each order's (venue, route reason)."""
    sessions = SessionsFile.load(ROOT / "sessions.cfg").relocated(work / "gateway").only("acceptor")
    sessions = sessions.with_port("acceptor", free_port())
    clock = TestClock()
    gateway = Gateway(config, sessions, clock)
    client = ScriptedClient(client_sessions(sessions, "CLIENT1", work / "client"))
    gateway.start()
    try:
        client.start()
        try:
            decisions = drive(Loop(gateway, client, clock), seed, orders)
            if then is not None:
                then(gateway)
            return decisions
        finally:
            client.stop()
    finally:
        gateway.stop()


def drive(loop: Loop, seed: int, orders: int = ORDERS) -> list[tuple[str, str]]:
    """Send the script; return each order's (venue, route reason) from the book of record, in order."""
    sides = random.Random(seed)
    for i in range(1, orders + 1):
        loop.clock.advance(STEP_NS)
        cl_ord_id = f"L{i}"
        side = Side.BUY if sides.random() < 0.5 else Side.SELL
        loop.client.send_order(
            cl_ord_id, "MSFT", side, Decimal(100), ord_type=OrdType.MARKET, tif=TimeInForce.IMMEDIATE_OR_CANCEL
        )
        _wait_final(loop.client, cl_ord_id)
        if i == SWAP_AFTER:
            loop.gateway.internal.swap("POOL_A", "POOL_B")
    assert loop.gateway.journal.flush()
    rows = repository.load_orders(loop.gateway.db)
    assert [r["cl_ord_id"] for r in rows] == [f"L{i}" for i in range(1, orders + 1)]
    return [(r["venue"], r["route_reason"]) for r in rows]


def _wait_final(client: ScriptedClient, cl_ord_id: str, timeout: float = 10.0) -> None:
    # Reads the inbox itself: ScriptedClient.wait_for rescans everything received, quadratic over 700 orders.
    while True:
        try:
            message = client.inbox.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError(f"no final report for {cl_ord_id} within {timeout:g}s") from None
        if message.get(35) == "8" and message.get(11) == cl_ord_id and message.get(39) in _FINAL:
            return


def share(decisions: list[tuple[str, str]], venue: str, first: int, last: int) -> float:
    """The fraction of orders ``first``..``last`` (1-based, inclusive) routed to ``venue``."""
    window = decisions[first - 1 : last]
    return sum(v == venue for v, _ in window) / len(window)


def test_closed_loop_when_venues_differ_then_flow_follows_the_clean_one_and_same_seed_same_decisions(
    tmp_path: Path,
) -> None:
    seed = 18
    first = run_loop(tmp_path / "first", loop_config(tmp_path / "first", adaptive=True, seed=seed), seed)
    again = run_loop(tmp_path / "again", loop_config(tmp_path / "again", adaptive=True, seed=seed), seed)

    assert share(first, "POOL_A", 101, 400) >= 0.85, _summary(first)
    assert share(first, "POOL_B", 551, 700) >= 0.80, _summary(first)
    assert all(reason and reason.startswith("adaptive") for _, reason in first)
    assert any(reason.startswith("adaptive: POOL_A") for _, reason in first[100:400])
    assert again == first


def test_closed_loop_when_adaptive_off_then_routing_is_the_static_rule(tmp_path: Path) -> None:
    seed = 18
    answers: list[tuple[int, dict[str, object]]] = []
    decisions = run_loop(
        tmp_path, loop_config(tmp_path, adaptive=False, seed=seed), seed, then=lambda g: answers.append(routing(g))
    )

    assert decisions == [("POOL_B", "default: POOL_B")] * ORDERS
    assert [(status, answer["adaptive"], answer["symbols"]) for status, answer in answers] == [(200, False, {})]


def test_routing_scores_when_gateway_running_then_cli_admin_api_and_metrics_show_them(tmp_path: Path) -> None:
    seen: dict[str, object] = {}

    def look(gateway: Gateway) -> None:
        settings = tmp_path / "cli.toml"
        settings.write_text(f'[admin]\ntoken_file = "{gateway.config.admin_token_path()}"\n')
        seen["json"] = fixgw("routing", "scores", "--json", "-s", str(settings))
        seen["table"] = fixgw("routing", "scores", "-s", str(settings))
        assert gateway.metrics is not None
        seen["metrics"] = scrape(gateway.metrics.url)

    work = tmp_path / "gw"
    decisions = run_loop(work, loop_config(work, adaptive=True, seed=5), 5, orders=150, then=look)

    as_json, table = seen["json"], seen["table"]
    assert isinstance(as_json, subprocess.CompletedProcess) and isinstance(table, subprocess.CompletedProcess)
    assert as_json.returncode == 0 and table.returncode == 0, as_json.stderr + table.stderr
    answer = json.loads(as_json.stdout)
    msft = answer["symbols"]["MSFT"]
    by_venue = {s["venue"]: s for s in msft["scores"]}
    assert (answer["adaptive"], msft["incumbent"], set(by_venue)) == (True, "POOL_A", {"POOL_A", "POOL_B"})
    assert all(s["trusted"] for s in by_venue.values())
    assert Decimal(by_venue["POOL_A"]["cost_bps"]) < Decimal(by_venue["POOL_B"]["cost_bps"])
    assert Decimal(by_venue["POOL_B"]["markout_bps"]) < Decimal(by_venue["POOL_A"]["markout_bps"])  # adverse
    assert Decimal(by_venue["POOL_B"]["reject_rate"]) > 0 == Decimal(by_venue["POOL_A"]["reject_rate"])
    assert decisions[-2][1].startswith("adaptive: POOL_A") and decisions[-1][1].startswith("adaptive explore: POOL_B")
    assert "Venue scores" in table.stdout and "POOL_A*" in table.stdout
    families = seen["metrics"]
    assert isinstance(families, dict)
    cost = sample(families, "fixgw_routing_score_bps", venue="POOL_A", symbol="MSFT")
    assert cost == float(by_venue["POOL_A"]["cost_bps"])
    assert sample(families, "fixgw_routing_incumbent", venue="POOL_A", symbol="MSFT") == 1
    assert sample(families, "fixgw_routing_samples", venue="POOL_B", symbol="MSFT") == by_venue["POOL_B"]["n"]


def test_adaptive_when_a_fix_venue_and_an_internal_pool_then_scores_from_both_market_data_paths(tmp_path: Path) -> None:
    """The external simulator's books arrive on its market data session's thread, the pool's on the order path:
    both feed the mids under the bus's lock; the live clock and a 1 ms horizon, as deployed (shorter)."""
    config = make_config(tmp_path)
    venues = {
        "VENUE": VenueConfig(session="FIX.4.4:FIXGW->VENUE", md_session="FIX.4.4:FIXGW->VENUEMD"),
        "POOL": VenueConfig(kind="internal", behaviour=BehaviourConfig()),
    }
    policy = AdaptiveConfig(symbols=["MSFT"], venues=["VENUE", "POOL"], min_samples=3, explore_every=2, horizon_ms=1)
    config = config.model_copy(update={"venues": venues, "routing": RoutingConfig(default="VENUE", adaptive=policy)})
    system = start_system(tmp_path, config)
    try:
        for i in range(1, 41):
            side = Side.BUY if i % 2 else Side.SELL
            system.client.send_order(
                f"M{i}", "MSFT", side, Decimal(100), ord_type=OrdType.MARKET, tif=TimeInForce.IMMEDIATE_OR_CANCEL
            )
            _wait_final(system.client, f"M{i}")
        with system.gateway.bus.lock:
            assert system.gateway.router.adaptive is not None
            scores = system.gateway.router.adaptive.scores()["MSFT"]
        assert system.gateway.journal.flush()
        rows = repository.load_orders(system.gateway.db)
    finally:
        stop_system(system)

    assert {s.venue for s in scores if s.fills} == {"VENUE", "POOL"}
    assert {r["venue"] for r in rows} == {"VENUE", "POOL"}
    assert all(r["status"] == "2" and r["route_reason"].startswith("adaptive") for r in rows)


def _summary(decisions: list[tuple[str, str]]) -> str:
    """Where each block of 50 orders went, and a few reasons: what a failure needs to be understood."""
    blocks = [f"{i + 1}-{i + 50}: A {share(decisions, 'POOL_A', i + 1, i + 50):.0%}" for i in range(0, ORDERS, 50)]
    picks = [f"#{n}: {decisions[n - 1][1]}" for n in (100, 101, 200, 400, 450, 500, 550, 700)]
    return "; ".join(blocks) + "\n" + "\n".join(picks)
