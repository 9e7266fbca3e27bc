"""bench/replay_bench.py keeps its hands off the tracked, hand-curated results file (the bench itself is not run)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import ROOT

TRACKED = ROOT / "bench" / "replay_bench.results.txt"


def bench_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("replay_bench", ROOT / "bench" / "replay_bench.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def no_log(path: Path, _messages: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()


def run_main(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, *args: str) -> None:
    bench = bench_module()
    monkeypatch.setattr(bench, "generate", no_log)
    monkeypatch.setattr(bench, "run", lambda _path, _runs: ["run 1: 1 messages/s"])
    monkeypatch.setattr(sys, "argv", ["replay_bench.py", "--work-dir", str(tmp_path / "work"), *args])
    bench.main()


def test_replay_bench_when_no_results_file_is_asked_then_the_tracked_one_is_left_alone(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = TRACKED.read_bytes()

    run_main(monkeypatch, tmp_path)

    assert TRACKED.read_bytes() == before
    assert "run 1: 1 messages/s" in capsys.readouterr().out


def test_replay_bench_when_a_results_file_is_given_then_each_run_is_appended_to_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    results = tmp_path / "results.txt"
    results.write_text("# notes kept by hand\n")

    run_main(monkeypatch, tmp_path, "--results", str(results))
    run_main(monkeypatch, tmp_path, "--results", str(results))

    assert results.read_text() == "# notes kept by hand\n\nrun 1: 1 messages/s\n\nrun 1: 1 messages/s\n"
