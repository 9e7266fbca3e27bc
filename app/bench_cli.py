"""``fixgw bench``: the whole order path under load, against a bare quickfix acceptor."""

from __future__ import annotations

import dataclasses
import json
import sys
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from app.config import REPO_ROOT

_SYSTEMS = ("baseline", "external", "internal")
_TICK_SYSTEMS = ("strategy", "strategy-internal")
_SERVICES_SYSTEMS = ("services", "services-internal")
"""The services deployment (nats-server, fixgw serve core and edge): only when asked for."""
"""Not run by default: the market maker's tick-to-trade (``app.bench.ticks``)."""
console = Console(width=None if sys.stdout.isatty() else 180)
err = Console(stderr=True)


def bench(
    orders: Annotated[int, typer.Option(help="Orders per throughput run (closed loop at --window).")] = 20_000,
    latency_orders: Annotated[int, typer.Option(help="Orders per latency run (window 1).")] = 2_000,
    window: Annotated[int, typer.Option(help="Orders in flight in the throughput runs.")] = 100,
    runs: Annotated[int, typer.Option(help="Runs of each kind; figures are medians over runs.")] = 5,
    warmup: Annotated[int, typer.Option(help="Orders sent before measuring.")] = 1_000,
    rate: Annotated[
        float | None, typer.Option(help="Also run open loop at this many orders/s (latency from the schedule).")
    ] = None,
    system: Annotated[
        list[str] | None,
        typer.Option(
            "--system",
            help="baseline | external | internal | services | services-internal | strategy | strategy-internal "
            "(repeatable; default: the first three). services: external's path as the services deployment (its own "
            "nats-server, fixgw serve core and edge); services-internal: internal's. strategy: the market maker's "
            "tick-to-trade against the simulator's flow, its orders to the simulator; strategy-internal: its orders "
            "to an internal venue.",
        ),
    ] = None,
    seconds: Annotated[float, typer.Option(help="How long each strategy system is measured.")] = 30.0,
    config: Annotated[Path, typer.Option("--config", "-c", help="Gateway session file.")] = REPO_ROOT / "sessions.cfg",
    settings: Annotated[Path, typer.Option("--settings", "-s", help="Gateway settings (TOML).")] = REPO_ROOT
    / "fixgw.toml",
    venue_config: Annotated[Path, typer.Option(help="Venue simulator session file.")] = REPO_ROOT / "venue.cfg",
    work_dir: Annotated[
        Path | None, typer.Option(help="Keep books, stores and logs here (default: a temp dir).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    scrape_every: Annotated[
        float,
        typer.Option(
            help="Scrape the gateway's GET /metrics every this many seconds during the measured runs, from a process "
            "of its own as Prometheus would (0: never); the report gives the scrapes' times."
        ),
    ] = 0.0,
    nats_fsync: Annotated[
        bool,
        typer.Option(
            "--nats-fsync/--no-nats-fsync",
            help="services systems: their nats-server fsyncs every write before its PubAck (sync_interval: always; "
            "the default) or syncs on its own schedule (every 2 minutes).",
        ),
    ] = True,
) -> None:
    """Drive orders through the full path (client session -> risk -> EMS -> venue -> book -> client) and report.

    Starts each system as its own processes on free ports: the baseline (a bare quickfix acceptor that fills
    every order), the gateway with the venue simulator behind its FIX session (external), and the gateway with
    the matching engine in process (internal). Reports orders/s and acks/s at --window, latency percentiles at
    window 1, server CPU per order, memory growth and the gateway's own per-hop timings.
    """
    from app.bench.report import document
    from app.bench.runner import Bench, BenchPlan
    from app.bench.ticks import TickBench

    systems = tuple(system or _SYSTEMS)
    unknown = [s for s in systems if s not in (*_SYSTEMS, *_SERVICES_SYSTEMS, *_TICK_SYSTEMS)]
    if unknown:
        known = ", ".join((*_SYSTEMS, *_SERVICES_SYSTEMS, *_TICK_SYSTEMS))
        err.print(f"fixgw: error: unknown --system {unknown[0]!r}; one of {known}", soft_wrap=True)  # one line
        raise typer.Exit(2)
    if seconds <= 0:
        err.print("fixgw: error: --seconds must be > 0")
        raise typer.Exit(2)
    if scrape_every < 0:
        err.print("fixgw: error: --scrape-every must be >= 0 (seconds; 0: no scraping)")
        raise typer.Exit(2)
    if orders < 2 or latency_orders < 2 or window < 1 or runs < 1:
        err.print("fixgw: error: --orders and --latency-orders must be >= 2, --window and --runs >= 1")
        raise typer.Exit(2)
    if work_dir is not None and work_dir.exists() and any(work_dir.iterdir()):
        err.print(f"fixgw: error: --work-dir {work_dir} is not empty; the bench starts every system from nothing")
        raise typer.Exit(2)
    plan = BenchPlan(
        orders=orders,
        latency_orders=latency_orders,
        window=window,
        runs=runs,
        warmup=warmup,
        rate=rate,
        systems=systems,
        sessions_file=config,
        settings_file=settings,
        venue_sessions_file=venue_config,
        work_dir=work_dir,
        scrape_every_s=scrape_every,
        nats_fsync=nats_fsync,
    )
    with tempfile.TemporaryDirectory(prefix="fixgw-bench-") as temp:
        work = work_dir or Path(temp)
        progress = (lambda text: err.print(f"[dim]{text}[/dim]")) if not as_json else None
        measured = (*_SYSTEMS, *_SERVICES_SYSTEMS)
        order_plan = dataclasses.replace(plan, systems=tuple(s for s in systems if s in measured))
        report = document(plan, Bench(order_plan, work, progress).run())
        if any(s in _TICK_SYSTEMS for s in systems):
            report["tick_to_trade"] = TickBench(plan, work, seconds, progress).run_ticks()
    if as_json:
        console.print_json(json.dumps(report, default=str))
    else:
        print_report(report)


def print_report(report: dict[str, Any]) -> None:
    """Tables for people: throughput and latency per system, the gateway's hops, then tick-to-trade."""
    if report["systems"]:
        _print_orders(report)
    if report.get("tick_to_trade"):
        _print_ticks(report["tick_to_trade"])
    console.print(f"machine: {report['machine']}")


def _print_orders(report: dict[str, Any]) -> None:
    plan = report["plan"]
    table = Table(
        title=f"fixgw bench: medians of {plan['runs']} runs "
        f"({plan['orders']} orders at window {plan['window']}; {plan['latency_orders']} at window 1)"
    )
    for column in (
        "system",
        "orders/s",
        "acks/s",
        "ack p50 µs",
        "p90",
        "p99",
        "p99.9",
        "fill p50 µs",
        "p99",
        "server CPU µs/order",
        "RSS growth kB/100k",
        "rejects",
    ):
        table.add_column(column, justify="left" if column == "system" else "right")
    for s in report["systems"]:
        ack, fill = s["ack_latency_us"], s["fill_latency_us"]
        table.add_row(
            s["system"],
            f"{s['orders_per_s']:,.0f}",
            f"{s['acks_per_s']:,.0f}",
            f"{ack.get('p50', 0):,.0f}",
            f"{ack.get('p90', 0):,.0f}",
            f"{ack.get('p99', 0):,.0f}",
            f"{ack.get('p99.9', 0):,.0f}",
            f"{fill.get('p50', 0):,.0f}",
            f"{fill.get('p99', 0):,.0f}",
            f"{s['server_cpu_us_per_order']:,.0f}",
            f"{s['memory'].get('growth_kb_per_100k_orders', 0):,.0f}",
            str(s["rejected"] + s["session_rejects"]),
        )
    console.print(table)
    for name, ratio in report["ratio_to_baseline"].items():
        p50 = ratio["ack_p50"]
        console.print(
            f"{name}: {ratio['orders_per_s']:.2f}x the baseline's orders/s"
            + (f", {p50:.2f}x its ack p50" if p50 else "")
        )
    for s in report["systems"]:
        if s.get("reject_texts"):
            console.print(f"[yellow]{s['system']} rejected orders:[/yellow] {s['reject_texts']}")
        if s["hops"].get("hops"):
            _print_hops(s["system"], s["hops"]["hops"])
        if scrapes := s.get("scrapes"):
            cpu, wall = scrapes["server_cpu_ms"], scrapes["server_wall_ms"]
            console.print(
                f"{s['system']}: {scrapes['scrapes']} scrapes of /metrics ({scrapes['bytes']:,.0f} bytes): gateway "
                f"CPU p50 {cpu['p50']:.1f} ms (max {cpu['max']:.1f}), "
                f"wall p50 {wall['p50']:.1f} ms (max {wall['max']:.1f})"
            )


def _print_hops(system: str, hops: dict[str, dict[str, float]]) -> None:
    table = Table(title=f"{system}: the gateway's own timings per hop (µs, all measured orders)")
    for column in ("hop", "count", "p50", "p90", "p99", "p99.9"):
        table.add_column(column, justify="left" if column == "hop" else "right")
    for hop, figures in hops.items():
        table.add_row(
            hop, f"{figures['count']:,}", *(f"{figures.get(k, 0):,.1f}" for k in ("p50", "p90", "p99", "p99.9"))
        )
    console.print(table)


def _print_ticks(results: list[dict[str, Any]]) -> None:
    from app.strategy_cli import tick_table

    table = Table(title="tick-to-trade: market data message in -> the market maker's order out (µs)")
    for column in ("system", "seconds", "samples", "p50", "p90", "p99", "p99.9", "max", "sent", "fills", "conflated"):
        table.add_column(column, justify="left" if column == "system" else "right")
    for r in results:
        t, mm = r["tick_to_trade_us"], r["strategy"]
        table.add_row(
            r["system"],
            f"{r['seconds']:g}",
            f"{t['count']:,.0f}",
            *(f"{t[k]:,.0f}" for k in ("p50", "p90", "p99", "p99.9", "max")),
            json.dumps(mm["sent"]),
            str(mm["fills"]),
            str(mm["conflated"]),
        )
    console.print(table)
    for r in results:
        console.print(tick_table(r["hops"] | {"tick-to-trade": r["tick_to_trade_us"]}, f"{r['system']}: per hop (µs)"))
