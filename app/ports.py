"""Free TCP ports on the loopback interface: for the processes the bench, the services demo and tests start."""

from __future__ import annotations

import socket


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
