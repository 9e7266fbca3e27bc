"""Verify: the book of record's rows against a book replayed from the gateway's logs, order by order."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from replay.book import ReplayBook
from replay.verify import verify_book
from tests.unit.replay.logs import order, read, report, write

SESSION = "FIX.4.4:BROKER->CLIENT"


def logged(tmp_path: Path) -> ReplayBook:
    book = ReplayBook()
    lines = [
        order(2, "C1", "100", "10"),
        report(2, "C1", "B1-1", "0", "0", "0", "100", t1="ACCT1", t40="2", t44="10"),
        report(3, "C1", "B1-2", "F", "1", "40", "60", t1="ACCT1", t32="40", t31="10", t6="10"),
    ]
    for message in read(write(tmp_path, *lines)):
        book.apply(message)
    return book


def rows(**changes: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    orders = [
        {
            "order_id": "B1",
            "session": SESSION,
            "cl_ord_id": "C1",
            "account": "ACCT1",
            "symbol": "MSFT",
            "side": "1",
            "ord_type": "2",
            "time_in_force": "0",
            "price": Decimal(10),
            "order_qty": Decimal(100),
            "status": "1",
            "cum_qty": Decimal(40),
            "leaves_qty": Decimal(60),
            "avg_px": Decimal(10),
            "ord_rej_reason": None,
            "text": None,
            "venue_cl_ord_id": None,
            "a_column_added_later": 7,
        }
        | changes
    ]
    executions = [
        {"exec_id": "B1-2", "order_id": "B1", "last_qty": Decimal(40), "last_px": Decimal(10), "venue_exec_id": "V1"}
    ]
    return orders, executions


def test_verify_when_book_and_logs_agree_then_there_is_no_difference(tmp_path: Path) -> None:
    result = verify_book(*rows(), logged(tmp_path))

    assert result.agrees
    assert (result.orders_checked, result.executions_checked, result.sessions) == (1, 1, [SESSION])


def test_verify_when_a_quantity_was_changed_in_the_book_then_the_difference_names_order_and_field(
    tmp_path: Path,
) -> None:
    result = verify_book(*rows(cum_qty=Decimal(50)), logged(tmp_path))

    assert [(d.order, d.field, d.book, d.logs) for d in result.differences] == [("B1 C1", "cum_qty", "50", "40")]


def test_verify_when_an_execution_is_missing_from_the_book_then_it_is_a_difference(tmp_path: Path) -> None:
    orders, _ = rows()

    result = verify_book(orders, [], logged(tmp_path))

    assert [(d.field, d.book, d.logs) for d in result.differences] == [("execution B1-2", "missing", "40 @ 10")]


def test_verify_when_the_book_has_an_order_the_logs_never_saw_then_it_is_a_difference(tmp_path: Path) -> None:
    orders, executions = rows()
    ghost = orders[0] | {"order_id": "B9", "cl_ord_id": "GHOST"}

    result = verify_book([*orders, ghost], executions, logged(tmp_path))

    assert [(d.order, d.field, d.logs) for d in result.differences] == [("B9 GHOST", "order", "missing")]


def test_verify_when_the_logs_have_an_order_the_book_lacks_then_it_is_a_difference(tmp_path: Path) -> None:
    orders, _ = rows()
    other = orders[0] | {"order_id": "B0", "cl_ord_id": "OTHER"}

    result = verify_book([other], [], logged(tmp_path))

    assert ("order", "missing") in [(d.field, d.book) for d in result.differences]


def two_clients(tmp_path: Path) -> ReplayBook:
    """The book of ``logged`` plus an order of a second client session, CLIENT2, and one we sent a venue."""
    book = logged(tmp_path)
    lines = [
        order(2, "K1", "50", "10", sender="CLIENT2"),
        report(2, "K1", "B2-1", "0", "0", "0", "50", qty="50", sender="BROKER", target="CLIENT2", t37="B2"),
        order(2, "V1", "100", "10", sender="BROKER", target="VENUE"),
        report(2, "V1", "X1", "0", "0", "0", "100", sender="VENUE", target="BROKER", t37="X"),
    ]
    for message in read(write(tmp_path, *lines, name="more.log")):
        book.apply(message)
    return book


def test_verify_when_the_book_is_empty_then_every_client_order_of_the_logs_is_missing(tmp_path: Path) -> None:
    result = verify_book([], [], two_clients(tmp_path))

    assert not result.agrees
    assert result.sessions == [SESSION, "FIX.4.4:BROKER->CLIENT2"]
    assert [(d.order, d.field, d.book, d.logs) for d in result.differences] == [
        ("B1 C1", "order", "missing", "PARTIALLY_FILLED"),
        ("B2 K1", "order", "missing", "NEW"),
    ]


def test_verify_when_the_book_lacks_a_whole_client_session_then_its_orders_are_reported(tmp_path: Path) -> None:
    result = verify_book(*rows(), two_clients(tmp_path))

    assert result.sessions == [SESSION, "FIX.4.4:BROKER->CLIENT2"]
    assert [(d.order, d.field, d.book, d.logs) for d in result.differences] == [("B2 K1", "order", "missing", "NEW")]


def test_verify_when_an_order_went_to_a_venue_then_the_book_need_not_hold_it(tmp_path: Path) -> None:
    book = logged(tmp_path)
    venue = [
        order(2, "V1", sender="BROKER", target="VENUE"),
        report(2, "V1", "X1", "0", "0", "0", "100", sender="VENUE", target="BROKER"),
    ]
    for message in read(write(tmp_path, *venue, name="venue.log")):
        book.apply(message)

    result = verify_book(*rows(), book)

    assert result.agrees, result.differences
    assert result.sessions == [SESSION]


def test_verify_when_the_logs_do_not_say_which_way_orders_went_then_it_does_not_agree(tmp_path: Path) -> None:
    book = ReplayBook()
    for message in read(write(tmp_path, order(2, "C1")), own_comp_id=None):
        book.apply(message)

    result = verify_book([], [], book)

    assert [(d.field, d.logs) for d in result.differences] == [
        ("session FIX.4.4:BROKER<->CLIENT", "which side the gateway is on is unknown: give --own-compid")
    ]
