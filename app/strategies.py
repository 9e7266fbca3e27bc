"""Wire the gateway's strategies (``[strategies.<NAME>]``): each an internal client session ``STRATEGY:<NAME>``,
entitled to its own account, run by the strategy engine on the gateway's bus, reading the live books, the book of
record's positions and the risk controls."""

from __future__ import annotations

import dataclasses
import logging
import threading
from functools import partial
from typing import TYPE_CHECKING

from app.config import GatewayConfig
from domain.ids import Account, SessionKey, client_comp_id, strategy_session
from domain.positions import Position
from risk.controls import Controls, TradingState
from strategy.base import LEVELS, OrderMaker, Strategy
from strategy.config import StrategyConfig
from strategy.engine import StrategyEngine
from strategy.errors import StrategyStateError
from strategy.market_maker import MarketMaker

if TYPE_CHECKING:
    from app.gateway import Gateway

log = logging.getLogger("fixgw.strategy")

VENUE_WAIT_S = 60.0
"""How long the enabled strategies wait at start for the venues' order sessions before they start anyway."""


def strategy_entitlements(config: GatewayConfig) -> dict[str, frozenset[str]]:
    """Each strategy's session may trade its own account, and nothing else (``risk.entitlements``)."""
    return {strategy_session(name): frozenset({s.account}) for name, s in config.strategies.items()}


def strategy_engine(gateway: Gateway) -> StrategyEngine:
    """The engine with a factory per configured strategy; none runs until started."""
    factories = {name: partial(_market_maker, gateway, name, s) for name, s in gateway.config.strategies.items()}
    books = gateway.market.books
    return StrategyEngine(
        gateway.bus, gateway.clock, lambda s: books.depth(s, LEVELS), factories, accepting=gateway.journal.accepting
    )


def start_enabled(gateway: Gateway) -> None:
    """Start the strategies with ``enabled = true`` on a thread of their own, once every venue's order session is
    logged on: a strategy's start cancels what an earlier run left working, which needs the venue there."""
    names = [name for name, s in gateway.config.strategies.items() if s.enabled]
    if names:
        threading.Thread(target=_start, args=(gateway, names), name="strategies-start", daemon=True).start()


def _start(gateway: Gateway, names: list[str]) -> None:
    if not gateway.venues.app.wait_for_logon(timeout=VENUE_WAIT_S):
        log.warning("venues not all connected after %.0f s: starting strategies %s anyway", VENUE_WAIT_S, names)
    for name in names:
        try:
            gateway.strategies.start(name)
        except StrategyStateError as exc:  # the gateway is stopping, or an operator started it first
            log.warning("strategy %s not started: %s", name, exc)


def _market_maker(gateway: Gateway, name: str, config: StrategyConfig) -> Strategy:
    clock = gateway.clock
    session = strategy_session(name)
    account = Account(config.account)
    return MarketMaker(
        name,
        config,
        gateway.config.instruments[config.symbol].tick_size,
        OrderMaker(session, account, clock, clock.now_ns()),
        clock,
        position=partial(_position, gateway, config.account, config.symbol),
        blocked=partial(blocked_by, gateway.controls, config.account, session),
    )


def _position(gateway: Gateway, account: str, symbol: str) -> Position | None:
    """A copy of the account's position in the book of record (under the bus lock: no fill half applied)."""
    with gateway.bus.lock:
        position = gateway.oms.positions.get(account, symbol)
        return dataclasses.replace(position) if position is not None else None


def blocked_by(controls: Controls, account: str, session: SessionKey) -> str | None:
    """Why a control refuses every new order of ``account`` from ``session`` now — a kill switch on, trading
    halted — or None. Read without the bus lock: a control is one dictionary entry, set whole."""
    if controls.any_kill and (kill := controls.kill_switch(account, client_comp_id(session))):
        return f"kill switch on ({kill.scope} {kill.key or ''}) by {kill.who}: {kill.reason}"
    if controls.any_state:
        state, control = controls.state(account)
        if state is TradingState.HALTED:
            return f"trading halted for account {account}: {control.reason if control else ''}"
    return None
