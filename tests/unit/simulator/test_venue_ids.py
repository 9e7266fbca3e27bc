"""The FIX simulator's ids survive its own restart: the gateway dedupes every venue report by ExecID (17)."""

from __future__ import annotations

from decimal import Decimal

from domain.clock import TestClock
from domain.ids import SessionKey
from matching.book import MatchingEngine
from simulator.venue import VenueSimulator
from tests.factories import new_order


class _Capturing(VenueSimulator):
    def __init__(self, clock: TestClock) -> None:
        self.reports: list[object] = []
        super().__init__(clock, MatchingEngine(), ["MSFT"])

    def _send(self, report: object) -> None:  # type: ignore[override]
        self.reports.append(report)


def _first_ids(start_ns: int) -> tuple[str, str]:
    venue = _Capturing(TestClock(start_ns))
    venue.execute(new_order(session=SessionKey("FIX.4.4:VENUE->FIXGW"), price=Decimal("100"), order_qty=Decimal(1)))
    ack = venue.reports[0]
    return ack.exec_id, ack.order_id  # type: ignore[attr-defined]


def test_exec_and_order_ids_differ_after_a_restart() -> None:
    before, after = _first_ids(1_700_000_000_000_000_000), _first_ids(1_700_000_000_000_000_001)
    assert before[0] != after[0] and before[1] != after[1]
    assert before[0].endswith("-E1") and before[1].endswith("-V1")
