"""The services deployment as a test runs it: a nats-server of the test's own (free port, temp store, every write
synced), a PostgreSQL schema of its own, and `fixgw serve core` / `fixgw serve edge` as real processes."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.services.nats_server import NatsServer
from tests.conftest import ROOT
from tests.contract.conftest import postgres_schema_url

pytestmark = pytest.mark.integration


class ServiceProcess:
    """One ``fixgw serve ROLE`` process; its output appended to ``<role>.out`` in the work directory."""

    def __init__(self, work: Path, role: str, args: tuple[str, ...] = ()) -> None:
        self.work = work
        self.role = role
        self.args = args
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = work / f"{role}.out"

    def start(self) -> None:
        cmd = [sys.executable, "-c", "from app.cli import main; main()", "serve", self.role]
        cmd += ["--config", str(self.work / "sessions.cfg"), "--settings", str(self.work / "fixgw.toml"), *self.args]
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=log)

    def kill(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


def services_settings(work: Path, url: str, nats_url: str, venues: tuple[str, ...] = ()) -> None:
    """fixgw.toml for the services: the shipped one on ``url``, free admin and metrics ports, services mode;
    ``venues``: those whose session a venue service holds."""
    text = (ROOT / "fixgw.toml").read_text().replace('url = "sqlite:///var/fixgw.db"', f'url = "{url}"')
    assert url in text
    text = text.replace('listen = "127.0.0.1:9881"', 'listen = "127.0.0.1:0"')
    text += f'\n[admin]\nlisten = "127.0.0.1:0"\ntoken_file = "{work / "admin.token"}"\n'
    text += f'\n[deployment]\nmode = "services"\nvenues = {json.dumps(list(venues))}\n'
    text += f'\n[nats]\nurl = "{nats_url}"\npublish_timeout_s = 30\n'
    (work / "fixgw.toml").write_text(text)


def duplicates_dropped(work: Path) -> dict[str, int]:
    """What the services logged as dropped duplicates, by who dropped them (JetStream at a publish, the book)."""
    counts = {"jetstream": 0, "book": 0, "edge": 0, "book-venue": 0, "venue": 0}
    for log in work.glob("*.out"):
        text = log.read_text(errors="replace")
        counts["jetstream"] += sum(int(n) for n in re.findall(r"JetStream dropped (\d+) duplicate", text))
        counts["book"] += sum(int(n) for n in re.findall(r"dropped (\d+) redelivered command", text))
        counts["edge"] += sum(int(n) for n in re.findall(r"dropped (\d+) report\(s\) already delivered", text))
        counts["book-venue"] += sum(int(n) for n in re.findall(r"dropped (\d+) redelivered venue message", text))
        counts["venue"] += sum(int(n) for n in re.findall(r"dropped (\d+) request\(s\) already sent", text))
    return counts


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[NatsServer]:
    server = NatsServer(tmp_path / "nats")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def pg_url() -> Iterator[str]:
    yield from postgres_schema_url()
