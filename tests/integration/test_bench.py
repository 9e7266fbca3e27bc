"""``fixgw bench`` end to end: real processes, real sessions, a real SQLite book; the figures are not judged
here (timing belongs in bench/), only that every order was answered and every hop was measured."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.integration
_CLI = [sys.executable, "-c", "from app.cli import main; main()"]


def _bench(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*_CLI, "bench", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def test_bench_drives_every_system_and_reports_every_hop(tmp_path: Path) -> None:
    done = _bench(
        "--orders",
        "200",
        "--latency-orders",
        "20",
        "--runs",
        "2",
        "--warmup",
        "20",
        "--rate",
        "500",
        "--work-dir",
        str(tmp_path / "work"),
        "--json",
    )
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout)
    systems = {s["system"]: s for s in report["systems"]}
    assert list(systems) == ["baseline", "external", "internal"]
    for name, s in systems.items():
        assert s["rejected"] == 0 and s["session_rejects"] == 0, (name, s.get("reject_texts"))
        assert s["orders_per_s"] > 0 and s["acks_per_s"] > 0, name
        assert s["ack_latency_us"]["samples"] == 20, name  # every order of a latency run acknowledged
        assert s["fill_latency_us"]["samples"] == 10, name  # the taker of each of the 10 pairs filled
        assert s["open_loop"]["ack_latency_us"]["samples"] == 200, name
        assert s["server_cpu_us_per_order"] > 0, name
    for name in ("external", "internal"):
        hops = systems[name]["hops"]["hops"]
        measured = 200 * 2 + 20 * 2 + 200 * 2  # throughput, latency and open-loop runs after the warm-up reset
        for hop in ("decode", "oms", "risk", "route"):
            assert hops[hop]["count"] == measured, (name, hop)
        assert hops["book commit"]["count"] >= 2 * measured  # an ack and a fill per order, at least
        # GET /metrics/hops first waits for the journal to deliver what is queued: every report is counted.
        assert hops["encode+send"]["count"] >= 2 * measured
    assert systems["external"]["hops"]["hops"]["venue round trip"]["count"] == measured
    assert "venue round trip" not in systems["internal"]["hops"]["hops"]
    assert set(report["ratio_to_baseline"]) == {"external", "internal"}


def test_bench_refuses_an_unknown_system_in_one_line() -> None:
    done = _bench("--system", "moon")
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "fixgw: error: unknown --system 'moon'; one of baseline, external, internal, services, services-internal, "
        "strategy, strategy-internal"
    )


def test_bench_refuses_a_work_dir_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "old.db").write_text("x")
    done = _bench("--work-dir", str(tmp_path))
    assert done.returncode == 2
    assert "is not empty" in done.stderr


def test_bench_when_scraping_then_metrics_read_during_the_runs_and_each_scrape_timed(tmp_path: Path) -> None:
    done = _bench(
        *("--system", "internal", "--orders", "300", "--latency-orders", "300", "--runs", "1", "--warmup", "20"),
        *("--scrape-every", "0.1", "--work-dir", str(tmp_path / "work"), "--json"),
    )

    assert done.returncode == 0, done.stderr[-2000:]
    [internal] = json.loads(done.stdout)["systems"]
    scrapes = internal["scrapes"]
    assert scrapes["scrapes"] >= 2 and scrapes["errors"] == 0
    assert scrapes["bytes"] > 10_000  # every family, the hop histograms included
    assert 0 < scrapes["server_cpu_ms"]["p50"] <= scrapes["server_wall_ms"]["max"]
    assert internal["rejected"] == 0


def test_bench_when_services_system_then_every_order_answered_and_the_seams_timed(tmp_path: Path) -> None:
    done = _bench(
        "--system", "services-internal", "--orders", "100", "--latency-orders", "20", "--runs", "1", "--warmup", "20",
        "--work-dir", str(tmp_path / "work"), "--json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    [services] = json.loads(done.stdout)["systems"]
    assert services["system"] == "services-internal"
    assert services["rejected"] == 0 and services["session_rejects"] == 0, services.get("reject_texts")
    assert services["ack_latency_us"]["samples"] == 20
    hops = services["hops"]["hops"]
    assert hops["edge to core"]["count"] == 100 + 20  # every measured order crossed the command seam
    assert hops["relay"]["count"] > 0
