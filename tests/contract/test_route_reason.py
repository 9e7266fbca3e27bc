"""Why each order went where it went, in the book of record on every database: the reason round-trips (NULL for an
order never routed), and an order restored at start keeps it, so its next row does not erase it (issue 18)."""

from __future__ import annotations

from domain.clock import TestClock
from oms.rows import order_row as row_of
from oms.store import repository
from oms.store.database import open_database
from oms.store.journal import Journal
from tests.contract.test_book_store import order_row

REASON = "adaptive: POOL_A 0.8 bps < POOL_B 2.4 bps (n=120/115)"


def test_journal_when_orders_carry_route_reasons_then_read_back_and_kept_by_a_restored_order(
    database_url: str,
) -> None:
    engine = open_database(database_url)
    journal = Journal(engine, deliver=lambda _: None, clock=TestClock())
    journal.start()
    journal.append(order=order_row("O1") | {"route_reason": REASON})
    journal.append(order=order_row("O2") | {"route_reason": None})
    assert journal.flush()
    restored = repository.order_from_row(repository.find_order(engine, "O1") or {})
    journal.append(order=row_of(restored) | {"status": "2"})  # the restored order's next change
    assert journal.flush()
    journal.stop()

    found = {row["order_id"]: (row["route_reason"], row["status"]) for row in repository.load_orders(engine)}
    engine.dispose()

    assert restored.route_reason == REASON
    assert found == {"O1": (REASON, "2"), "O2": (None, order_row("O2")["status"])}
