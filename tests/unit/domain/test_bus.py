"""The bus's entry into the domain: the unit of work inside its lock, ``around`` outside it (where the journal's
leader commits: no other thread waits for the domain meanwhile)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from domain.bus import Endpoint, MessageBus

PING: Endpoint[str] = Endpoint("ping")


def test_entered_when_around_given_then_it_runs_outside_the_lock_and_the_unit_inside() -> None:
    events: list[str] = []
    bus: MessageBus

    def lock_free() -> bool:
        """Whether another thread could take the bus lock now."""
        got: list[bool] = []
        probe = threading.Thread(target=lambda: got.append(bus.lock.acquire(timeout=5) and not bus.lock.release()))
        probe.start()
        probe.join()
        return got == [True]

    @contextmanager
    def around() -> Iterator[None]:
        events.append(f"around in, lock free {lock_free()}")
        yield
        events.append(f"around out, lock free {lock_free()}")

    @contextmanager
    def unit() -> Iterator[None]:
        events.append("unit in")
        yield
        events.append("unit out")

    bus = MessageBus(unit=unit, around=around)
    bus.register(PING, lambda message: events.append(f"handled {message}"))
    bus.post(PING, "one")

    assert events == [
        "around in, lock free True",
        "unit in",
        "handled one",
        "unit out",
        "around out, lock free True",
    ]
