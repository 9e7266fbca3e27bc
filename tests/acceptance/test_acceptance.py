"""Run ../shared/fix-acceptance's 135 session scenarios (FIX.4.2, 4.4, FIXT.1.1/5.0SP2) against `fixgw run`.

The gateway runs as its own process, exactly as an operator starts it (`fixgw run --config sessions.cfg`), on a
free port, with its stores, logs and book in a temporary directory. The runner plays the counterparty.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from fixgw.session.settings import SessionsFile
from tests.conftest import ROOT, SHARED

pytestmark = pytest.mark.acceptance

HERE = Path(__file__).resolve().parent
SUITE = SHARED / "fix-acceptance"
VERSIONS = ("fix42", "fix44", "fix50sp2")
SESSION_SCENARIOS = 135


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _suite() -> Path:
    if (SUITE / "run_acceptance.py").is_file():
        return SUITE
    if os.environ.get("CI"):
        pytest.fail(f"the acceptance suite is missing in CI: {SUITE}")
    pytest.skip(f"the shared acceptance suite is not beside the repository ({SUITE})")


def _wait_for_listener(port: int, process: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"fixgw run exited with {process.returncode} before listening")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)  # polling the condition itself (is the port open?) until the deadline
    raise AssertionError(f"fixgw run did not listen on {port} within {timeout:g}s")


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[int]:
    port = _free_port()
    sessions = SessionsFile.load(HERE / "sessions.cfg").relocated(tmp_path).with_port("acceptor", port)
    (tmp_path / "sessions.cfg").write_text(sessions.dumps())
    shutil.copy(HERE / "fixgw.toml", tmp_path / "fixgw.toml")
    with (tmp_path / "fixgw.toml").open("a") as settings:  # no fixed port: another gateway may be running here
        settings.write('\n[admin]\nlisten = "127.0.0.1:0"\ntoken_file = "var/admin.token"\n')
    log = (tmp_path / "gateway.out").open("wb")
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "fixgw"), "run", "--config", str(tmp_path / "sessions.cfg")],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_for_listener(port, process)
        yield port
        assert process.poll() is None, f"the gateway died during the run; see {tmp_path / 'gateway.out'}"
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.mark.timeout(900)
def test_session_scenarios_when_run_against_fixgw_then_all_135_pass(gateway: int) -> None:
    suite = _suite()
    command = [
        sys.executable,
        str(suite / "run_acceptance.py"),
        "--port",
        str(gateway),
        "--category",
        "session",
        "--jobs",
        str(len(VERSIONS)),
        "--defs",
        *(str(suite / "definitions" / "server" / v) for v in VERSIONS),
    ]

    result = subprocess.run(command, capture_output=True, text=True, timeout=840, check=False)

    print(result.stdout[-20000:], result.stderr[-5000:])  # shown by pytest when the test fails
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    assert summary == f"{SESSION_SCENARIOS} passed, 0 failed", summary
    assert result.returncode == 0
