"""A synchronous message bus: named endpoints for commands, topics for events.

Theory of operation: quickfix delivers messages on its own threads (one per acceptor or initiator).
Every such thread enters the domain through ``post``, which holds one lock for the whole synchronous
chain (OMS -> risk -> EMS -> venue send). The domain therefore runs as if on one thread — deterministic
and replayable, as nautilus's bus — without a thread hand-off on the order path (a queue hop costs tens
of microseconds under the GIL).
"""

import threading
from collections.abc import Callable
from typing import Any

Handler = Callable[[Any], None]


class MessageBus:
    """Route commands to one handler per endpoint and events to every subscriber of a topic."""

    def __init__(self) -> None:
        self._endpoints: dict[str, Handler] = {}
        self._subscribers: dict[str, list[Handler]] = {}
        self.lock = threading.RLock()

    def register(self, endpoint: str, handler: Handler) -> None:
        """Make ``handler`` the receiver of everything sent to ``endpoint``."""
        if endpoint in self._endpoints:
            raise ValueError(f"endpoint {endpoint!r} is already registered")
        self._endpoints[endpoint] = handler

    def subscribe(self, topic: str, handler: Handler) -> None:
        """Call ``handler`` for every message published on ``topic``."""
        self._subscribers.setdefault(topic, []).append(handler)

    def send(self, endpoint: str, message: object) -> None:
        """Deliver ``message`` to the endpoint's handler (caller already holds the lock)."""
        self._endpoints[endpoint](message)

    def publish(self, topic: str, message: object) -> None:
        """Deliver ``message`` to every subscriber of ``topic``."""
        for handler in self._subscribers.get(topic, ()):
            handler(message)

    def post(self, endpoint: str, message: object) -> None:
        """Enter the domain from an I/O thread: deliver under the bus lock."""
        with self.lock:
            self._endpoints[endpoint](message)
