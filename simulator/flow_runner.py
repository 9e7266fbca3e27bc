"""Run the simulator's own order flow (``simulator.flow``) against its books, step by step, on a schedule.

Each step runs under the simulator's lock, as a member's order does, for every symbol in turn: the fair value moves,
the house ladder follows it (``matching.market``: the flow moves the base, adverse selection adds its offset), then
the step's noise takers trade as house orders (no owner):
aggressive IOC limits priced ``depth`` ticks through the fair value, so that they take whatever rests at the touch,
members' quotes included, but never sweep a thin book to an absurd price. A member's order they trade with gets its
fill (150=F) from the exchange as usual; the house gets no report, and the fair value moves against the member if
the venue's behaviour says so. Then what the step did to the books is published as market data (35=X), before the
lock is let go.

The schedule is fixed: step k runs at start + k·step_ms; a step that comes due while the runner is behind runs at
once, so the flow keeps its rate and its sequence, whatever the machine's load.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from decimal import Decimal

from domain.enums import OrdType, Side, TimeInForce
from matching.book import SimOrder
from matching.market import HouseMarket
from simulator.flow import FlowParams, FlowStep, SymbolFlow, TakerOrder
from simulator.venue import VenueSimulator

log = logging.getLogger("simulator.flow")


class FlowRunner:
    """The order flow of every symbol of a venue simulator."""

    def __init__(
        self, simulator: VenueSimulator, references: Mapping[str, Decimal], params: FlowParams, level_qty: Decimal
    ) -> None:
        """``references``: symbol -> the price its book was seeded around (where its fair value starts);
        ``level_qty``: the size of each house level. The ladders are those of the simulator's market, or of one of
        the flow's own when the simulator has none."""
        self._simulator = simulator
        self._params = params
        self._reach = params.tick * params.depth
        self.flows = [SymbolFlow(symbol, reference, params) for symbol, reference in references.items()]
        if simulator.house is not None:
            self.market, member = simulator.house, "venue"
        else:
            self.market, member = HouseMarket(references, params.tick, params.depth, level_qty), "flow"
            with simulator.locked():
                self.market.join(member, simulator.engine, simulator.publish_market_data)
        self.ladders = self.market.ladders(member)
        self.steps = 0
        self.takers = 0
        self.taken_qty = Decimal(0)
        """Quantity the noise takers traded, with the house and with members."""
        self.member_qty = Decimal(0)
        """Of which against members' orders."""

    def step(self) -> list[FlowStep]:
        """Run one step of every symbol's flow against the books and publish it; return what each did."""
        simulator = self._simulator
        with simulator.locked():
            steps = [flow.step() for flow in self.flows]
            for step in steps:
                self.market.set_base(step.symbol, step.fair)
                fair = self.market.fair(step.symbol)
                for taker in step.takers:
                    self._take(taker, fair)
            simulator.settle_member_fills()
            simulator.publish_market_data()
        self.steps += 1
        return steps

    def run(self, stopping: threading.Event) -> None:
        """Step every ``step_ms`` until ``stopping`` is set (the venue's flow thread)."""
        step_s = self._params.step_s
        start = time.monotonic()
        log.info("order flow started: %d symbol(s), %s", len(self.flows), self._params)
        due = 0
        while not stopping.wait(max(0.0, start + (due + 1) * step_s - time.monotonic())):
            due += 1
            try:
                self.step()
            except Exception:  # a bug must not pass for a quiet market: say so once, and stop the flow
                log.exception("order flow stopped at step %d", self.steps + 1)
                return
        log.info("order flow stopped after %d step(s): %s", self.steps, self.counters())

    def fair_values(self) -> dict[str, Decimal]:
        """Each symbol's fair value (rounded to the tick, adverse offset included) after the last step."""
        return {flow.symbol: self.market.fair(flow.symbol) for flow in self.flows}

    def counters(self) -> dict[str, object]:
        """Steps run, takers sent, quantity they traded (in all and with members), house levels left out."""
        return {
            "steps": self.steps,
            "takers": self.takers,
            "taken_qty": self.taken_qty,
            "member_qty": self.member_qty,
            "left_out": sum(ladder.left_out for ladder in self.ladders.values()),
        }

    def _take(self, taker: TakerOrder, fair: Decimal) -> None:
        self.takers += 1
        price = fair + self._reach if taker.side is Side.BUY else fair - self._reach
        order = SimOrder(
            f"TAKER-{taker.symbol}-{self.takers}",
            taker.symbol,
            taker.side,
            OrdType.LIMIT,
            taker.qty,
            price,
            TimeInForce.IMMEDIATE_OR_CANCEL,
        )
        for trade in self._simulator.submit_house(order).trades:
            self.taken_qty += trade.qty
            if trade.maker.owner is not None:
                self.member_qty += trade.qty
