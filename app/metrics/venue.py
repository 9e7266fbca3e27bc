"""The venue simulator's metrics: its members' sessions, orders, executions and trades, and its market data."""

from __future__ import annotations

from collections.abc import Collection, Iterator

from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric

from app.metrics.sessions import SessionMetrics
from domain.enums import ExecType
from simulator.venue import VenueSimulator

MEMBER = "member"
"""The role of the simulator's sessions (``fixgw_session_*``)."""


class SimulatorMetrics:
    """``fixgw_simulator_*`` and ``fixgw_session_*`` of one ``VenueSimulator``."""

    def __init__(self, simulator: VenueSimulator, symbols: Collection[str]) -> None:
        """``symbols``: those the simulator trades (``[simulator.symbols]``)."""
        self._simulator = simulator
        self._sessions = SessionMetrics({MEMBER: simulator.app})
        self._symbols = sorted(symbols)

    def collect(self) -> Iterator[Metric]:
        """Every family."""
        yield from self._sessions.collect()
        simulator = self._simulator
        accepted, trades = dict(simulator.accepted), dict(simulator.trades)
        orders = CounterMetricFamily(
            "fixgw_simulator_orders", "New orders accepted (150=0), by symbol.", labels=["symbol"]
        )
        matched = CounterMetricFamily("fixgw_simulator_trades", "Matches, by symbol.", labels=["symbol"])
        for symbol in self._symbols:
            orders.add_metric([symbol], accepted.get(symbol, 0))
            matched.add_metric([symbol], trades.get(symbol, 0))
        refused = CounterMetricFamily("fixgw_simulator_order_rejects", "New orders refused (150=8).")
        refused.add_metric([], simulator.refused)
        executions = CounterMetricFamily(
            "fixgw_simulator_executions", "ExecutionReports sent to members, by ExecType (150).", labels=["exec_type"]
        )
        made = dict(simulator.executions)
        for exec_type in ExecType:
            executions.add_metric([exec_type.name.lower()], made.get(exec_type.value, 0))
        yield from (orders, refused, matched, executions)
        yield from self._behaviour()
        yield from self._market_data()

    def _behaviour(self) -> Iterator[Metric]:
        behaviour = self._simulator.behaviour
        counters, settings = behaviour.counters, behaviour.settings
        simulated = CounterMetricFamily(
            "fixgw_simulator_behaviour",
            "What the venue's behaviour did: new orders rejected by the reject ratio, requests delayed, adverse moves.",
            labels=["kind"],
        )
        for what, n in (
            ("rejected", counters.rejected),
            ("delayed", counters.delayed),
            ("adverse_moves", counters.adverse_moves),
        ):
            simulated.add_metric([what], n)
        yield simulated
        yield CounterMetricFamily(
            "fixgw_simulator_fees", "Fees charged on fills, in money.", value=float(counters.fees)
        )
        setting = GaugeMetricFamily("fixgw_simulator_behaviour_setting", "The behaviour in force.", labels=["setting"])
        for name, value in (
            ("fee_per_share", settings.fee_per_share),
            ("fee_bps", settings.fee_bps),
            ("latency_ms", settings.latency_ms),
            ("reject_ratio", settings.reject_ratio),
            ("adverse_bps", settings.adverse_bps),
        ):
            setting.add_metric([name], float(value))
        yield setting

    def _market_data(self) -> Iterator[Metric]:
        simulator = self._simulator
        published = simulator.market_data
        with simulator.locked():  # the subscriptions change under this lock (an order's run is microseconds)
            subscriptions = len(published.subscriptions()) if published is not None else 0
        yield GaugeMetricFamily(
            "fixgw_simulator_marketdata_subscriptions", "Market data subscriptions in force.", value=subscriptions
        )
        sent = CounterMetricFamily(
            "fixgw_simulator_marketdata_messages",
            "Market data messages published: snapshots (35=W), increments (35=X), rejects (35=Y).",
            labels=["kind"],
        )
        for kind, n in dict(simulator.market_data_sent).items():
            sent.add_metric([kind], n)
        yield sent
