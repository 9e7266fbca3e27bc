"""The gateway's collectors, bound to a built ``Gateway``: everything ``GET /metrics`` serves (README "Monitoring")."""

from __future__ import annotations

from typing import TYPE_CHECKING

from prometheus_client.registry import Collector

from app.config import GatewayConfig
from app.metrics.hops import HopHistograms
from app.metrics.journal import JournalMetrics
from app.metrics.marketdata import MarketDataMetrics
from app.metrics.orders import OrderMetrics
from app.metrics.portfolio import PortfolioMetrics
from app.metrics.risk import RiskMetrics
from app.metrics.routing import RoutingMetrics
from app.metrics.server import MetricsServer
from app.metrics.sessions import SessionMetrics
from app.metrics.venues import InternalVenueMetrics
from domain.ids import client_comp_id, strategy_session
from domain.latency import hops, ticks

if TYPE_CHECKING:
    from app.gateway import Gateway


def gateway_metrics(gateway: Gateway) -> MetricsServer | None:
    """The gateway's metrics endpoint, ready to start; None when ``[metrics] listen`` is empty."""
    listen = gateway.config.metrics.listen
    return MetricsServer(listen, gateway_collectors(gateway), "gateway") if listen else None


def gateway_collectors(gateway: Gateway) -> list[Collector]:
    """Every collector of the gateway, in the order their families are served."""
    config = gateway.config
    clients = [*config.clients, *(client_comp_id(strategy_session(name)) for name in config.strategies)]
    collectors: list[Collector] = [
        OrderMetrics(
            gateway.oms.counts, clients, lambda: venues_up(gateway), lambda: gateway.risk.exposure.working_orders
        ),
        RiskMetrics(
            gateway.risk.exposure,
            gateway.controls,
            lambda: gateway.risk.limits,
            configured_accounts(config),
            config.instruments,
            clients,
        ),
        PortfolioMetrics(gateway.risk.portfolio, lambda: gateway.risk.limits, configured_accounts(config)),
        SessionMetrics(
            {"client": gateway.clients.app, "venue": gateway.venues.app, "marketdata": gateway.market.handler.app}
        ),
        MarketDataMetrics(gateway.market, config.venues, config.instruments),
        InternalVenueMetrics(gateway.internal.venues),
        JournalMetrics(gateway.journal, hops),
        HopHistograms(hops),
        HopHistograms(
            ticks.hops,
            "fixgw_tick_to_trade_seconds",
            "Tick-to-trade of strategy orders: market data arrived -> the order sent to its venue, per hop and whole "
            '(hop="tick-to-trade").',
        ),
    ]
    adaptive, tca = gateway.router.adaptive, gateway.tca
    if adaptive is not None and tca is not None:
        routing = config.routing.adaptive
        collectors.append(RoutingMetrics(tca.scores, adaptive.incumbent, routing.venues, routing.symbols))
    return collectors


def venues_up(gateway: Gateway) -> dict[str, bool]:
    """Whether each configured venue can take orders: a FIX venue while its session is logged on, one in a venue
    service while that is heard from and logged on."""
    return {str(name): venue.available() for name, venue in gateway.ems.venues.items()}


def configured_accounts(config: GatewayConfig) -> set[str]:
    """Every account the settings name: the clients' (and their defaults), the strategies', the limits', the routing
    rules'."""
    accounts = {a for client in config.clients.values() for a in client.accounts}
    accounts |= {c.effective_default_account for c in config.clients.values() if c.effective_default_account}
    accounts |= {s.account for s in config.strategies.values()}
    return accounts | set(config.risk.accounts) | set(config.routing.accounts)
