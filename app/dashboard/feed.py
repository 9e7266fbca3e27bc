"""The live feed: the panels read on a timer while someone watches, and each change pushed as a server-sent event.

One reader serves every open page: it runs while at least one page watches and stops with the last, so an idle
dashboard asks the gateway nothing. A page gets every panel when it connects, then each panel again whenever its
data changed, as one JSON object per event (``{"orders": ..., "sessions": ...}``). A page that falls too far behind
is dropped (its browser reconnects and starts again from the whole state).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator
from typing import Final

from app.dashboard.panels import Panels
from app.dashboard.shapes import json_text

INTERVAL_S: Final = 0.4
"""Between two reads of the fast panels: a new order shows within this, the book's commit and the page's render."""
KEEPALIVE_S: Final = 15.0
"""A comment line this often on a quiet stream, so that no proxy or browser takes it for dead."""
BACKLOG: Final = 64
"""Events a page may be behind before it is dropped."""


class Feed:
    """Read the panels while someone watches; send each watcher the panels that changed."""

    def __init__(self, panels: Panels, interval_s: float = INTERVAL_S) -> None:
        self._panels = panels
        self._interval_s = interval_s
        self._state: dict[str, str] = {}
        """Each panel's data as last read, as JSON text."""
        self._watchers: set[asyncio.Queue[str | None]] = set()
        self._reader: asyncio.Task[None] | None = None

    async def snapshot(self) -> str:
        """Every panel as one JSON object: as last read while someone watches, else read now."""
        if self._reader is None:
            await self._read(0)
        return _joined(self._state)

    async def events(self) -> AsyncGenerator[str, None]:
        """The event stream of one page: everything first, then what changes, until the page goes."""
        queue: asyncio.Queue[str | None] = asyncio.Queue(BACKLOG)
        self._watchers.add(queue)
        if self._reader is None:
            self._reader = asyncio.create_task(self._run())
        try:
            if self._state:
                yield _event(self._state)
            while True:
                try:
                    event = await asyncio.wait_for(queue.get(), KEEPALIVE_S)
                except TimeoutError:
                    yield ": keep-alive\n\n"
                    continue
                if event is None:  # dropped for falling behind
                    return
                yield event
        finally:
            self._watchers.discard(queue)
            if not self._watchers and self._reader is not None:
                self._reader.cancel()
                self._reader = None

    async def _run(self) -> None:
        tick = 0
        while True:
            changed = await self._read(tick)
            if changed:
                self._send(_event(changed))
            tick += 1
            await asyncio.sleep(self._interval_s)

    async def _read(self, tick: int) -> dict[str, str]:
        panels = await asyncio.to_thread(self._panels.read, self._panels.due(tick))
        changed = {}
        for name, data in panels.items():
            text = json_text(data)
            if self._state.get(name) != text:
                self._state[name] = changed[name] = text
        return changed

    def _send(self, event: str) -> None:
        for queue in list(self._watchers):
            try:
                queue.put_nowait(event)
            except asyncio.QueueFull:
                self._watchers.discard(queue)
                queue.get_nowait()  # room for the end-of-stream mark
                queue.put_nowait(None)


def _joined(panels: dict[str, str]) -> str:
    return "{" + ",".join(f"{json.dumps(name)}:{text}" for name, text in panels.items()) + "}"


def _event(panels: dict[str, str]) -> str:
    return f"data: {_joined(panels)}\n\n"
