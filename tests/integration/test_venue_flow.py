"""The venue simulator's own order flow over real sessions: noise takers fill a client's resting order (150=F back
through the gateway), and the gateway's books, fed by the market data session, follow the moving fair value and
equal the simulator's book. Off by default."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from app.config import FlowConfig
from domain.enums import Side
from tests.integration.conftest import System, make_config, start_system, stop_system
from tests.integration.test_gateway_market_data import eventually, gateway_top

pytestmark = pytest.mark.integration

TICK = Decimal("0.01")
FLOW = FlowConfig(enabled=True, seed=17, step_ms=50, vol_bps_per_sqrt_s=4.0, taker_rate_per_s=8.0)
"""About a tick of fair value move per 50 ms step (4 bps/sqrt(s) of 100.00), 8 takers a second a symbol."""


@pytest.fixture
def flowing(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[System]:
    """A system whose simulator runs FLOW, or the FlowConfig a test gives through ``indirect`` parametrization."""
    flow = getattr(request, "param", FLOW)
    config = make_config(tmp_path)
    config = config.model_copy(update={"simulator": config.simulator.model_copy(update={"flow": flow})})
    running = start_system(tmp_path, config)
    assert running.gateway.market.handler.app.wait_for_logon(timeout=10)
    yield running
    stop_system(running)


def fair_value(system: System, symbol: str) -> Decimal:
    assert system.venue.flow is not None
    return system.venue.flow.fair_values()[symbol]


# A calmer fair value (a tick a second): the bid stays at the touch until a seller comes.
@pytest.mark.parametrize("flowing", [FLOW.model_copy(update={"vol_bps_per_sqrt_s": 1.0})], indirect=True)
def test_when_flow_runs_then_a_resting_bid_inside_the_spread_is_filled_by_takers(flowing: System) -> None:
    with flowing.venue.simulator.locked():  # the fair value cannot move while the bid is priced
        price = fair_value(flowing, "MSFT")
    flowing.client.send_order("FLOW-B1", "MSFT", Side.BUY, Decimal(100), price)
    # A bid at the fair value is the best bid (the house's is a tick below) until the fair value moves away: a
    # noise seller (4 a second) soon takes it.
    fill = flowing.client.wait_for(lambda m: m.get(11) == "FLOW-B1" and m.get(150) == "F", timeout=10)
    assert (fill[39], Decimal(fill[32]), Decimal(fill[31])) == ("2", 100, price)
    assert flowing.venue.flow is not None and flowing.venue.flow.member_qty >= 100


def test_when_flow_runs_then_gateway_books_follow_the_fair_value_and_equal_the_venue(flowing: System) -> None:
    mids: dict[str, set[Decimal]] = {"AAPL": set(), "IBM": set()}
    deadline = time.monotonic() + 4
    samples = 0
    while time.monotonic() < deadline or samples < 5:
        # Under the simulator's lock nothing moves: what it published before it let go is all there is to apply.
        with flowing.venue.simulator.locked():
            for symbol, seen in mids.items():
                bids, asks = flowing.venue.simulator.engine.book(symbol).depth(5)
                venue = (bids, asks)
                assert eventually(lambda s=symbol, v=venue: gateway_top(flowing, s) == v), symbol
                fair = fair_value(flowing, symbol)
                (best_bid, _), (best_ask, _) = venue[0][0], venue[1][0]
                # Only the house and its takers trade these symbols: the book is the ladder around the fair value,
                # its touch maybe eaten into by this step's takers.
                assert best_bid <= fair - TICK and best_ask >= fair + TICK, (symbol, fair, venue)
                assert best_ask - best_bid <= 4 * TICK, (symbol, fair, venue)
                seen.add((best_bid + best_ask) / 2)
        samples += 1
        time.sleep(0.2)  # let the flow run between samples
    assert all(len(seen) >= 3 for seen in mids.values()), mids  # the books moved with the fair value
    counters = flowing.gateway.market.books.counters()
    assert counters["gap"] == 0 and counters["missing_level"] == 0 and counters["crossed"] == 0, counters


def test_when_not_configured_then_no_flow(tmp_path: Path) -> None:
    system = start_system(tmp_path, make_config(tmp_path))
    try:
        assert system.venue.flow is None
        assert "venue-flow" not in {t.name for t in threading.enumerate()}
    finally:
        stop_system(system)
