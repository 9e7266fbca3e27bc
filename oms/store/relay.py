"""The outbox relay: committed reports handed on (to JetStream, in the services deployment) off the journal's thread.

Theory of operation. The journal's writer commits a batch, then gives its reports to the relay and goes on with
the next batch; the relay's thread hands on whatever has queued since its last call in one call (under load, many
commits' reports in one publish: one write and one fsync at the server), retrying until it succeeds. Only then
does it move the journal's ``delivered_through`` past the batches it covered (``on_relayed``), so the marker the
writer records never passes a report that was not handed on: a crash at any moment leaves every report not yet
relayed above the marker, and the next start relays it again (the consumer drops what it already has).
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable

from domain.reports import ClientReport

log = logging.getLogger("fixgw.oms.journal")

Outbox = Callable[[list[ClientReport], list[int]], None]
"""Hand on committed reports, each with the id of its JSON row in ``messages``, in order; return once they are
durably taken (JetStream's PubAcks); raise to be called again with them."""
_STOP = object()
_RETRY_S = 0.5


class Relay:
    """A thread that hands committed reports to ``outbox`` in order, then reports how far it got."""

    def __init__(self, outbox: Outbox, on_relayed: Callable[[int], None]) -> None:
        """``on_relayed(row_id)``: every outbound row up to ``row_id`` has been handed on."""
        self._outbox = outbox
        self._on_relayed = on_relayed
        self._queue: queue.SimpleQueue[tuple[list[ClientReport], list[int], int] | object] = queue.SimpleQueue()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="outbox-relay", daemon=True)
        self.early: Outbox | None = None
        """Also given each committed batch's reports on the journal's thread, before they are queued: a fast path
        that must not block (its failures are logged, not retried: the relay's own hand-on is what counts)."""

    def start(self) -> None:
        """Relay in the background."""
        self._thread.start()

    def put(self, reports: list[ClientReport], ids: list[int], through: int) -> None:
        """Queue a committed batch's reports (maybe none), and the last row id the batch committed."""
        if reports and self.early is not None:
            try:
                self.early(reports, ids)
            except Exception:
                log.exception("fast path of %d report(s) failed; they are relayed as usual", len(reports))
        self._queue.put((reports, ids, through))

    def stop(self, timeout: float = 10.0) -> None:
        """Relay what is queued (giving up after ``timeout`` if the outbox keeps failing), then stop."""
        if self._thread.is_alive():
            self._queue.put(_STOP)
            self._thread.join(timeout)
            self._stopping.set()
            self._thread.join(1.0)

    def _run(self) -> None:
        while True:
            reports: list[ClientReport] = []
            ids: list[int] = []
            through = 0
            item = self._queue.get()
            stop = False
            while True:
                if item is _STOP:
                    stop = True
                    break
                assert isinstance(item, tuple)
                reports += item[0]
                ids += item[1]
                through = item[2] or through
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
            if not self._hand_on(reports, ids):
                return  # stopping with reports not handed on: the marker stays below them, a restart relays them
            if through:
                self._on_relayed(through)
            if stop:
                return

    def _hand_on(self, reports: list[ClientReport], ids: list[int]) -> bool:
        if not reports:
            return True
        while True:
            try:
                self._outbox(reports, ids)
                return True
            except Exception:
                log.exception("relay of %d report(s) failed (rows %d-%d); retrying", len(reports), ids[0], ids[-1])
                if self._stopping.wait(_RETRY_S):
                    return False
