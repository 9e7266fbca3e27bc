"""The journal's queue of units and the turn to commit them: leader/follower group commit.

Why a leader: a hand-off to the writer thread costs a wake-up (20-60 µs, more beside a busy thread under the GIL)
on every acknowledgement at window 1, where there is nothing to batch. So the thread that queued a unit commits it
itself when nobody else is committing (it *leads*); when the writer, or another leader, holds the turn, the unit
waits and the writer commits it with whatever else queued meanwhile (it *follows*): batches form only under load.

Order: one turn, and whoever holds it takes units from the head of the queue, so commits happen in the order units
were queued, and a commit includes everything queued before the last unit it takes. A leader that cannot commit
puts its units back at the head, still holding the turn: the writer takes them next, before anything later.

Where a thread leads: at the end of a ``section`` (the bus wraps every entry into the domain in one, outside its
lock, so no other thread waits for the domain while a leader commits). A unit queued inside a section wakes
nobody; one queued outside any section wakes the writer at once, as before.

When a thread leads (``claim``): one FIX thread and one received message at a time, committing inline makes the
next message wait in the socket, so under load every commit would hold one message (at window 100, measured: 0.5x
the orders/s of the hand-off and 1.6x the CPU per order: a SQLite commit writes its pages whatever it holds). What
tells load apart is whether work is waiting, which only the socket knows; the journal sees its effect instead: a
unit that finds the turn taken, or others' units waiting, means units come faster than commits. Such a thread stops
leading and hands every unit to the writer (pipelined: the thread handles the next message while the writer
commits, and what closes meanwhile follows into the next batch) until ``LEAD_AFTER`` units in a row find the writer
idle. A leading thread hands one unit in ``PROBE_EVERY`` to the writer anyway: under load the next one then finds
the turn taken. No clock and no threshold in time: the cost at window 1 is one wake-up in ``PROBE_EVERY`` units.
(Gap timing was tried first: the time between a thread's sections is about the same at window 1 and window 100.)
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from typing import Any

LEAD_AFTER = 3
"""Units in a row that find the writer idle before a thread that saw load leads again."""
PROBE_EVERY = 64
"""A leading thread hands one unit in this many to the writer, to find out whether units are waiting behind it."""
STOP = object()
"""Queued by ``stop``: the writer commits what is before it, then ends; nobody takes anything after it."""


class CommitQueue:
    """Units waiting for their commit, the turn to commit them, and the sections whose units their thread leads."""

    def __init__(self, lead: Callable[[], None]) -> None:
        """``lead``: called at the end of a thread's outermost section when it queued a unit in it."""
        self.lock = threading.Lock()
        """Guards the queue (the journal's appends hold it too: an open ``atomic`` group is part of the same state)."""
        self.turn = threading.Lock()
        """Held by whoever commits (the writer thread or a leader), from taking units to delivering their reports."""
        self._items: deque[Any] = deque()
        self._work = threading.Condition(self.lock)
        self._local = threading.local()
        self._lead = lead
        self._section = _Section(self)

    def put(self, item: object) -> None:
        """Queue a unit (the caller holds ``lock``); inside a section it waits for the section's end."""
        self._items.append(item)
        local = self._local
        if getattr(local, "depth", 0):
            local.queued += 1
        else:
            self._work.notify()

    def stop(self) -> None:
        """Queue the writer's end after everything queued so far."""
        with self.lock:
            self._items.append(STOP)
            self._work.notify()

    def take(self, limit: int) -> tuple[list[Any], bool]:
        """Take units from the head, up to ``limit`` entries; and whether ``STOP`` is next (left in the queue). The
        caller holds the turn."""
        items: list[Any] = []
        size = 0
        with self.lock:
            queue = self._items
            while queue and size < limit:
                item = queue[0]
                if item is STOP:
                    return items, True
                queue.popleft()
                items.append(item)
                size += 1 if item.group is None else len(item.group)
            return items, bool(queue) and queue[0] is STOP

    def put_back(self, items: list[Any]) -> None:
        """Return units a leader could not commit to the head of the queue and wake the writer (the caller holds the
        turn: nothing after them was committed)."""
        with self.lock:
            self._items.extendleft(reversed(items))
            self._work.notify()

    def wake(self) -> None:
        """Have the writer look at the queue."""
        with self.lock:
            self._work.notify()

    def wait(self, timeout: float | None) -> bool:
        """The writer: wait until a unit is queued for it (or ``timeout``, None: no limit); whether anything is
        queued."""
        with self.lock:
            if not self._items:
                self._work.wait(timeout)
            return bool(self._items)

    def pending(self) -> bool:
        """Whether units are queued (no lock: a hint)."""
        return bool(self._items)

    def holding(self) -> bool:
        """Whether this thread queued units in a section it is still in (they wait for its end)."""
        local = self._local
        return bool(getattr(local, "depth", 0) and local.queued)

    def claim(self) -> bool:
        """At the end of this thread's section: True when it leads now (it then holds the turn); else the writer was
        woken and commits the units."""
        local = self._local
        # A follower: units come faster than commits. The writer committing, or woken and not yet committing (units
        # other than this section's are waiting: on a busy machine the wake-up itself can take milliseconds).
        if len(self._items) > local.queued or not self.turn.acquire(blocking=False):
            local.following, local.idle = True, 0
            self.wake()
            return False
        if getattr(local, "following", False):
            local.idle += 1
            if local.idle < LEAD_AFTER:
                return self._hand_over()
            local.following = False
        local.led = led = getattr(local, "led", 0) + 1
        if led % PROBE_EVERY == 0:
            return self._hand_over()
        return True

    def _hand_over(self) -> bool:
        self.turn.release()
        self.wake()
        return False

    def section(self) -> _Section:
        """A block whose units this thread commits at its end, if nobody is committing then (nested: the outermost)."""
        return self._section

    def _enter(self) -> None:
        local = self._local
        depth = getattr(local, "depth", 0)
        if not depth:
            local.queued = 0
        local.depth = depth + 1

    def _exit(self) -> None:
        local = self._local
        local.depth -= 1
        if local.depth == 0 and local.queued:
            self._lead()
            local.queued = 0


class _Section:
    __slots__ = ("_queue",)

    def __init__(self, queue: CommitQueue) -> None:
        self._queue = queue

    def __enter__(self) -> None:
        self._queue._enter()

    def __exit__(self, *_: object) -> None:
        self._queue._exit()
