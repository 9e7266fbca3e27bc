"""The message bus: typed endpoints for commands, typed topics for events, run to completion.

Theory of operation. quickfix delivers messages on its own threads (one per acceptor or initiator). Every such
thread enters the domain through ``post``, which takes one lock for as long as the domain is busy: the domain runs
as if on one thread, deterministic and replayable, as nautilus_trader's bus, with no thread hand-off on the order
path (a queue between threads costs tens of microseconds under the GIL).

Inside, dispatch runs to completion (LMAX, nautilus): a message sent or published while another is being handled
is queued, and runs after the current handler returns. So each engine is entered once per message, a stack trace
shows one hop, and the order of effects is the order of messages. Where a synchronous answer is needed on the hot
path (a risk verdict before the OMS books an order), the engine calls a plain method on an object it was given
at construction instead: a direct call a reader can follow.

An endpoint or topic is a module-level constant (``domain.channels``) that carries the type of its messages, so
go-to-definition and "find references" on it list who sends and who handles.

Entering the domain is one *unit of work* (``unit``, the journal's ``atomic`` in the gateway): everything one
message causes — both sides of a trade at an internal venue, a fill and the cancels a risk breach makes of it —
commits in one transaction, or not at all.
"""

from __future__ import annotations

import contextlib
import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any, Generic, TypeVar

M = TypeVar("M")


class Endpoint(Generic[M]):
    """A named destination with exactly one handler of messages of type ``M`` (commands, events for one engine)."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"Endpoint({self.name!r})"


class Topic(Generic[M]):
    """A named stream of messages of type ``M`` that any number of subscribers follow."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"Topic({self.name!r})"


class MessageBus:
    """Route commands to one handler per endpoint and events to every subscriber of a topic, one at a time."""

    def __init__(
        self,
        unit: Callable[[], AbstractContextManager[object]] = contextlib.nullcontext,
        around: Callable[[], AbstractContextManager[object]] = contextlib.nullcontext,
    ) -> None:
        """``unit``: what entering the domain is wrapped in, under the lock (the journal's ``atomic``); ``around``:
        what it is wrapped in outside the lock (the journal's ``committing``: the caller commits the unit once it
        has let go of the domain, when nobody else is committing)."""
        self._unit = unit
        self._around = around
        self._endpoints: dict[Endpoint[Any], Callable[[Any], None]] = {}
        self._subscribers: dict[Topic[Any], list[Callable[[Any], None]]] = {}
        self._queue: deque[tuple[Callable[[Any], None], object]] = deque()
        self._running = False
        self.lock = threading.RLock()
        """Held by whoever enters the domain (``post``), and by readers that need a consistent view of it."""

    def register(self, endpoint: Endpoint[M], handler: Callable[[M], None]) -> None:
        """Make ``handler`` the receiver of everything sent to ``endpoint``."""
        if endpoint in self._endpoints:
            raise ValueError(f"endpoint {endpoint.name!r} is already registered")
        self._endpoints[endpoint] = handler

    def subscribe(self, topic: Topic[M], handler: Callable[[M], None]) -> None:
        """Call ``handler`` for every message published on ``topic``."""
        self._subscribers.setdefault(topic, []).append(handler)

    def post(self, endpoint: Endpoint[M], message: M) -> None:
        """Enter the domain from an I/O thread: under the bus lock, in one unit of work, deliver and run until
        nothing is queued."""
        with self.entered():
            self.send(endpoint, message)

    @contextlib.contextmanager
    def entered(self) -> Iterator[None]:
        """Hold the domain for a caller that needs an answer at once (the admin API): the lock and one unit of
        work, as ``post`` takes them."""
        with self._around(), self.lock, self._unit():
            yield

    def send(self, endpoint: Endpoint[M], message: M) -> None:
        """Deliver ``message`` to the endpoint's handler once the message being handled is done (the caller holds
        the lock: a handler, or code that entered through ``post``)."""
        self._queue.append((self._endpoints[endpoint], message))
        if not self._running:
            self._drain()

    def send_all(self, endpoint: Endpoint[M], messages: list[M]) -> None:
        """Deliver ``messages`` in their order, as ``send``, all of them queued before the first one runs (what
        one command made: its handlers never see a later one's effects first)."""
        handler = self._endpoints[endpoint]
        self._queue.extend((handler, message) for message in messages)
        if messages and not self._running:
            self._drain()

    def publish(self, topic: Topic[M], message: M) -> None:
        """Deliver ``message`` to every subscriber of ``topic``, each after the message being handled is done."""
        subscribers = self._subscribers.get(topic)
        if subscribers:
            self._queue.extend((handler, message) for handler in subscribers)
            if not self._running:
                self._drain()

    def _drain(self) -> None:
        queue = self._queue
        self._running = True
        try:
            while queue:
                handler, message = queue.popleft()
                handler(message)
        finally:
            self._running = False
            if queue:  # a handler raised: what it queued is not lost, and runs now
                self._drain()
