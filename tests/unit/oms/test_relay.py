"""The outbox relay hands every report on in order, whatever batches they come in, and moves the marker only past
what it handed on."""

from __future__ import annotations

import threading

from domain.reports import ClientReport
from oms.store.relay import Relay
from tests.factories import execution_report


def test_relay_when_reports_and_marks_arrive_apart_then_all_handed_on_in_order_and_marked_after() -> None:
    # Arrange
    handed: list[int] = []
    marked: list[tuple[int, list[int]]] = []
    done = threading.Event()

    def outbox(reports: list[ClientReport], ids: list[int]) -> None:
        handed.extend(ids)

    def relayed(row_id: int) -> None:
        marked.append((row_id, list(handed)))
        if row_id == 9:
            done.set()

    relay = Relay(outbox, relayed)
    relay.start()

    # Act: reports of a batch, its mark, then a batch whose mark comes separately
    relay.put([execution_report()], [3], 0)
    relay.put([], [], 4)
    relay.put([execution_report(), execution_report()], [7, 8], 0)
    relay.put([], [], 9)
    assert done.wait(5)
    relay.stop()

    # Assert
    assert handed == [3, 7, 8]
    assert all(set(before) >= {i for i in (3, 7, 8) if i <= row_id} for row_id, before in marked)


def test_relay_when_outbox_fails_then_retried_before_marking() -> None:
    calls: list[list[int]] = []
    marked: list[int] = []

    def outbox(reports: list[ClientReport], ids: list[int]) -> None:
        calls.append(ids)
        if len(calls) == 1:
            raise ConnectionError("away")

    relay = Relay(outbox, marked.append)
    relay.start()
    relay.put([execution_report()], [5], 6)
    relay.stop()
    assert calls == [[5], [5]]
    assert marked == [6]
