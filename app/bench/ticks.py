"""``fixgw bench --system strategy | strategy-internal``: tick-to-trade of the market maker, measured by the gateway.

The venue simulator runs with its order flow on (``[simulator.flow]``: a fair value that walks every ``step_ms``,
the house liquidity following it, and noise takers), so its books move and every move arrives on the gateway's
market data session as a 35=X. The gateway runs the market maker ``MM1`` on the first instrument; each time the
move shifts its reservation price by a tick it replaces its quotes, and each order it sends for a market data
update is timed hop by hop (``domain.latency.ticks``): decode, book apply, decide, risk, route, commit, send.

- ``strategy``: its orders go to the simulator over the FIX session; tick-to-trade ends when the 35=G/35=D is handed
  to quickfix after the write-ahead commit.
- ``strategy-internal``: its orders go to an internal venue of the gateway (``[routing] accounts``); tick-to-trade
  ends when the order, matched in process, is committed. That venue's own house liquidity is seeded away from the
  market (one level a side, a tick of 5.00: 95 and 105), so that its book, published into the same consolidated
  quotes, never crosses the simulator's moving one, and the price band (10%) around their mid still holds.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import tomli_w

from app.admin import AdminClient
from app.bench.runner import Bench, BenchFailed, BenchPlan, Process
from app.ports import free_port

STRATEGY_SYSTEMS = ("strategy", "strategy-internal")
STRATEGY = "MM1"
_INTERNAL = "INTERNAL"
FLOW = {"enabled": True, "seed": 17, "step_ms": 50, "vol_bps_per_sqrt_s": 5.0, "taker_rate_per_s": 2.0}
"""A lively market: twenty steps a second, the fair value moving about a tick a step (5 bps x sqrt(0.05 s) of 100)."""
WARMUP_S = 3.0


class TickBench(Bench):
    """Start the venue simulator with its flow and the gateway with the market maker; measure tick-to-trade."""

    def __init__(self, plan: BenchPlan, work: Path, seconds: float, progress: Any = None) -> None:
        super().__init__(plan, work, progress)
        self._seconds = seconds
        self._internal = False

    def run_ticks(self) -> list[dict[str, Any]]:
        """Measure each strategy system of the plan."""
        return [self._measure_ticks(name) for name in self.plan.systems if name in STRATEGY_SYSTEMS]

    def _measure_ticks(self, name: str) -> dict[str, Any]:
        work = self.work / name
        work.mkdir(parents=True, exist_ok=True)
        self._internal = name == "strategy-internal"
        self._progress(f"{name}: starting the venue simulator (with its flow) and the gateway (with {STRATEGY})")
        with self._system(name, work, free_port()) as gateway:
            admin = AdminClient(work / "admin.token")
            self._wait_quoting(admin, gateway, work)
            self._progress(f"{name}: warm-up ({WARMUP_S:g} s)")
            threading.Event().wait(WARMUP_S)  # the measured window is a length of time, not a condition
            admin.call("POST", "/metrics/ticks/reset")
            before = _strategy(admin)
            cpu = gateway.cpu_s()
            self._progress(f"{name}: measuring for {self._seconds:g} s")
            threading.Event().wait(self._seconds)
            cpu = gateway.cpu_s() - cpu
            gateway.check_alive()
            status, ticks = admin.call("GET", "/metrics/ticks")
            after = _strategy(admin)
        if status != 200:
            raise BenchFailed(f"{name}: GET /metrics/ticks answered {status}")
        return summary(name, self._seconds, ticks["ticks"], before, after, cpu)

    def _wait_quoting(self, admin: AdminClient, gateway: Process, work: Path, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            gateway.check_alive()
            quotes = _strategy(admin).get("quotes") or {}
            if quotes and all(q is not None and q["status"] == "working" for q in quotes.values()):
                return
            time.sleep(0.1)  # polling a process that reports its state only through its API
        raise BenchFailed(f"{STRATEGY} did not quote within {timeout:.0f} s (logs in {work})")

    def _adjust(self, settings: dict[str, Any]) -> None:
        symbol = next(iter(settings.get("instruments", {})), "MSFT")
        settings["strategies"] = {
            STRATEGY: {
                "kind": "market_maker",
                "account": STRATEGY,
                "symbol": symbol,
                "size": "100",
                "half_spread_ticks": 2,
                "skew_ticks_per_lot": "1",
                "max_inventory": "1000",
                "requote_ticks": 1,
                "enabled": True,
            }
        }
        if self._internal:
            settings.setdefault("venues", {})[_INTERNAL] = {"kind": "internal"}
            settings.setdefault("routing", {}).setdefault("accounts", {})[STRATEGY] = _INTERNAL
            simulator = settings.setdefault("simulator", {})
            simulator.update({"tick": "5.00", "depth": 1})  # the internal venue's house: 95 and 105, out of the way

    def _venue_settings(self, work: Path, gateway_settings: Path) -> Path:
        data = json.loads(json.dumps(self._base_settings))
        data.pop("strategies", None)
        data.setdefault("simulator", {})["flow"] = FLOW
        data["simulator"]["metrics_listen"] = ""
        path = work / "venue.toml"
        path.write_text(tomli_w.dumps(data))
        return path


def _strategy(admin: AdminClient) -> dict[str, Any]:
    status, answer = admin.call("GET", f"/strategies/{STRATEGY}")
    return answer if status == 200 else {}


def summary(
    name: str, seconds: float, ticks: dict[str, Any], before: dict[str, Any], after: dict[str, Any], cpu_s: float
) -> dict[str, Any]:
    """The figures of one strategy system: tick-to-trade, its hops, what the strategy did in the window."""
    whole = ticks.get("tick-to-trade", {})
    sent = {k: v - before.get("sent", {}).get(k, 0) for k, v in after.get("sent", {}).items()}
    return {
        "system": name,
        "seconds": seconds,
        "tick_to_trade_us": {k: whole.get(k, 0) for k in ("count", "p50", "p90", "p99", "p99.9", "max")},
        "hops": {hop: figures for hop, figures in ticks.items() if hop != "tick-to-trade"},
        "strategy": {
            "sent": sent,
            "fills": after.get("fills", 0) - before.get("fills", 0),
            "tops": after.get("tops", 0) - before.get("tops", 0),
            "conflated": after.get("conflated", 0) - before.get("conflated", 0),
            "denials": after.get("denials", {}),
            "inventory": after.get("inventory"),
            "pnl": after.get("pnl"),
        },
        "gateway_cpu_pct": 100 * cpu_s / seconds if seconds else 0.0,
    }
