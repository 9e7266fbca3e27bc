"""``fixgw dashboard``: serve the operator's live web page, a process of its own beside the gateway."""

from __future__ import annotations

import getpass
import ipaddress
import socket
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from app.config import REPO_ROOT, load_config
from fixgw.errors import ConfigError

console = Console(width=None if sys.stdout.isatty() else 180)
SettingsOption = Annotated[
    Path, typer.Option("--settings", "-s", help="fixgw settings (TOML) of the gateway to watch.")
]
DEFAULT_SETTINGS = REPO_ROOT / "fixgw.toml"


def dashboard(
    listen: Annotated[str, typer.Option(help="host:port to serve the page on.")] = "127.0.0.1:9890",
    settings: SettingsOption = DEFAULT_SETTINGS,
) -> None:
    """Serve the live dashboard: sessions, orders and fills, positions and P&L, risk, latency, books; kill switch
    and cancel. It reads the running gateway through its admin API; log in with the admin token (the second line of
    the token file, var/admin.token by default). Ctrl-C stops it."""
    import uvicorn

    from app.dashboard.auth import Logins
    from app.dashboard.panels import Sources
    from app.dashboard.server import create_app

    config = load_config(settings)
    sock = _bind(listen)
    host, port = sock.getsockname()[:2]
    sources = Sources(config, who=f"dashboard:{getpass.getuser()}")
    app = create_app(sources, Logins(sources.token_file.read))
    console.print(f"dashboard on http://{host}:{port}/ ; log in with the admin token in {sources.token_file.path}")
    if not ipaddress.ip_address(host).is_loopback:
        console.print(
            "[yellow]warning:[/yellow] not on loopback: the token and the cookie cross the network unencrypted"
        )
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=1))
    server.run(sockets=[sock])


def _bind(listen: str) -> socket.socket:
    """A listening socket on ``listen`` (host:port), or a one-line ConfigError saying why not."""
    host, _, port = listen.rpartition(":")
    try:
        address = ipaddress.ip_address(host.strip("[]") or "127.0.0.1")
        number = int(port)
    except ValueError:
        raise ConfigError(f"--listen wants host:port with an IP address, e.g. 127.0.0.1:9890, not {listen!r}") from None
    sock = socket.socket(socket.AF_INET6 if address.version == 6 else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((str(address), number))
    except OSError as exc:
        sock.close()
        raise ConfigError(f"the dashboard cannot listen on {listen}: {exc.strerror}") from None
    sock.listen(128)
    return sock
