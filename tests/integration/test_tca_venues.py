"""TCA tells venues apart (issue 18, with the venue behaviours): over real client sessions, buys at a clean pool
(LIT) and at one that selects adversely and rejects (DARK) are scored by ``fixgw tca`` from the book — DARK's
markouts are worse by its adverse move, and its reject rate is what it refused."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from app.config import BehaviourConfig, MarketDataConfig
from app.demo import eventually
from domain.enums import Side
from oms.store import repository
from oms.store import tca as store
from tests.integration.conftest import System, start_system, stop_system
from tests.integration.test_cli import fixgw
from tests.integration.test_pool_behaviours import outcome, pools_config

pytestmark = pytest.mark.integration
ORDERS = 6
DARK = BehaviourConfig(adverse_bps=Decimal(3), reject_ratio=0.5, seed=5)


@pytest.fixture
def pools(tmp_path: Path) -> Iterator[System]:
    config = pools_config(tmp_path, dark=DARK)
    marketdata = MarketDataConfig(mids_every_ms=50, mids_heartbeat_ms=200)
    running = start_system(tmp_path, config.model_copy(update={"marketdata": marketdata}))
    assert eventually(lambda: all(running.gateway.quotes.mid(s)[0] == Decimal(100) for s in ("MSFT", "IBM")))
    now = time.time_ns()  # the series must have begun before the orders: it never claims a mid before its first row
    assert eventually(lambda: all(_covers(running, s, now) for s in ("MSFT", "IBM")))
    yield running
    stop_system(running)


def test_tca_when_one_pool_selects_adversely_and_rejects_then_its_markouts_and_reject_rate_show_it(
    pools: System,
) -> None:
    rejected = 0
    for n in range(ORDERS):  # MSFT goes to LIT, IBM to DARK (pools_config)
        for symbol in ("MSFT", "IBM"):
            cl_ord_id = f"{symbol}-{n}"
            pools.client.send_order(cl_ord_id, symbol, Side.BUY, Decimal(100), Decimal("100.05"))
            if outcome(pools, cl_ord_id).get(150) == "8":
                rejected += 1
            else:
                pools.client.wait_for(lambda m, c=cl_ord_id: m.get(11) == c and m.get(39) == "2")
    assert pools.gateway.journal.flush()
    db = pools.gateway.db
    covered = max(e["ts_ns"] for e in repository.load_executions(db)) + 1_000_000_000

    assert eventually(lambda: _covers(pools, "MSFT", covered) and _covers(pools, "IBM", covered))

    result = fixgw("tca", "--db", pools.gateway.config.database_url(), "--json")

    assert result.returncode == 0, result.stderr
    venues = {v["venue"]: v for v in json.loads(result.stdout)["venues"]}
    lit, dark = venues["LIT"], venues["DARK"]
    # LIT: bought at the ask (100.01), the mid stays at 100.00: the half spread, nothing more.
    assert (lit["orders"], lit["reject_rate"], lit["fill_ratio"], lit["slippage_bps"]) == (
        ORDERS,
        "0.0000",
        "1.0000",
        "1.0000",
    )
    assert lit["markout_bps"]["1s"] == "-0.9999"
    # DARK: each buy moves the fair value down 3 bps at once: a second later the mid is 3 ticks lower still.
    assert Decimal(dark["markout_bps"]["1s"]) < Decimal("-3.9")
    assert 0 < rejected < ORDERS  # the seeded half
    assert (dark["orders"], dark["rejected"]) == (ORDERS, rejected)
    assert dark["reject_rate"] == f"{Decimal(rejected) / ORDERS:.4f}"
    assert dark["fill_ratio"] == f"{Decimal(ORDERS - rejected) / ORDERS:.4f}"


def _covers(system: System, symbol: str, until_ns: int) -> bool:
    last = store.mid_series(system.gateway.db, symbol, until_ns, until_ns)[1]
    return last is not None and last[0] >= until_ns
