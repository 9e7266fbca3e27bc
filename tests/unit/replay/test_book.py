"""The replay book: chains, state from the reports, executions, positions and the anomalies it flags."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from replay.anomalies import AnomalyKind
from replay.book import ReplayBook
from tests.replay.make_fixtures import fix
from tests.unit.replay.logs import T, order, read, report, request, write


def replay(tmp_path: Path, *lines: bytes) -> ReplayBook:
    book = ReplayBook()
    for message in read(write(tmp_path, *lines)):
        book.apply(message)
    book.finish()
    return book


def kinds(book: ReplayBook) -> list[AnomalyKind]:
    return [a.kind for a in book.anomalies]


def test_book_when_an_order_is_acked_partly_filled_and_cancelled_then_its_state_follows_the_reports(
    tmp_path: Path,
) -> None:
    book = replay(
        tmp_path,
        order(2, "C1", "100", "10"),
        report(2, "C1", "E1", "0", "0", "0", "100"),
        report(3, "C1", "E2", "F", "1", "40", "60", t32="40", t31="10"),
        request("F", 3, "C2", "C1"),
        report(4, "C2", "E3", "4", "4", "40", "0", t41="C1"),
    )

    [o] = book.orders
    assert (o.root, o.cl_ord_id, o.cl_ord_ids, o.order_id) == ("C1", "C2", ["C1", "C2"], "B1")
    assert (o.status, o.cum_qty, o.leaves_qty, o.order_qty, o.reports) == ("4", 40, 0, 100, 3)
    assert [(f.exec_id, f.last_qty, f.last_px) for f in o.fills] == [("E2", 40, 10)]
    assert book.anomalies == []
    assert (book.open_orders, book.peak_open_orders) == (0, 1)


def test_book_when_an_order_is_replaced_then_the_new_clordid_and_quantity_take_over_on_150_5(
    tmp_path: Path,
) -> None:
    book = replay(
        tmp_path,
        order(2, "C1", "100", "10"),
        report(2, "C1", "E1", "0", "0", "0", "100"),
        request("G", 3, "C2", "C1", t38="150", t40="2", t44="11"),
        report(3, "C2", "E2", "E", "E", "0", "100", t41="C1"),
        report(4, "C2", "E3", "5", "0", "0", "150", qty="150", t41="C1", t44="11"),
    )

    [o] = book.orders
    assert (o.cl_ord_id, o.order_qty, o.price, o.leaves_qty, o.status) == ("C2", 150, 11, 150, "0")
    assert book.anomalies == []


def test_book_when_a_request_after_a_cancel_reject_names_the_live_clordid_then_it_joins_the_chain(
    tmp_path: Path,
) -> None:
    book = replay(
        tmp_path,
        order(2, "C1"),
        report(2, "C1", "E1", "0", "0", "0", "100"),
        request("F", 3, "C2", "C1"),
        fix("FIX.4.4", "9", 3, "BROKER", "CLIENT", T, [(37, "B1"), (11, "C2"), (41, "C1"), (39, "0"), (434, "1")]),
        request("G", 4, "C3", "C1", t38="50", t40="2", t44="10"),
        report(4, "C3", "E2", "5", "0", "0", "50", qty="50", t41="C1"),
    )

    [o] = book.orders
    assert (o.cl_ord_ids, o.cl_ord_id, o.order_qty) == (["C1", "C2", "C3"], "C3", 50)
    assert book.anomalies == []


def test_book_when_cumqty_goes_down_then_the_regression_is_flagged_and_the_chain_is_inconsistent(
    tmp_path: Path,
) -> None:
    book = replay(
        tmp_path,
        order(2, "C1"),
        report(2, "C1", "E1", "F", "1", "50", "50", t32="50", t31="10"),
        report(3, "C1", "E2", "0", "0", "0", "100", t20="1", t19="E1"),
    )

    assert kinds(book) == [AnomalyKind.CUM_QTY_DECREASED, AnomalyKind.FILLS_NE_CUM_QTY]
    assert "went from 50 to 0" in book.anomalies[0].text and "trade cancel" in book.anomalies[0].text
    assert not book.orders[0].consistent


def test_book_when_cumqty_passes_orderqty_then_it_is_an_overfill(tmp_path: Path) -> None:
    book = replay(tmp_path, order(2, "C1", "100"), report(2, "C1", "E1", "F", "2", "120", "0", t32="120", t31="10"))

    assert AnomalyKind.OVERFILL in kinds(book)


def test_book_when_leavesqty_disagrees_with_orderqty_minus_cumqty_then_it_is_flagged(tmp_path: Path) -> None:
    book = replay(tmp_path, order(2, "C1", "100"), report(2, "C1", "E1", "0", "0", "0", "90"))

    assert kinds(book) == [AnomalyKind.LEAVES_QTY_MISMATCH]


def test_book_when_a_fill_names_an_order_never_seen_then_it_is_flagged_and_tracked(tmp_path: Path) -> None:
    book = replay(tmp_path, report(2, "X9", "E1", "F", "1", "10", "90", t32="10", t31="5"))

    assert kinds(book) == [AnomalyKind.UNKNOWN_ORDER_FILL]
    [o] = book.orders
    assert (o.root, o.opened, len(o.fills)) == ("X9", False, 1)


def test_book_when_a_cancel_names_an_unknown_orig_clordid_then_the_chain_is_broken(tmp_path: Path) -> None:
    book = replay(tmp_path, order(2, "C1"), request("F", 3, "C2", "NOPE"))

    assert kinds(book) == [AnomalyKind.BROKEN_CHAIN]


def test_book_when_a_clordid_is_reused_then_the_first_order_stands_and_its_reject_does_not_touch_it(
    tmp_path: Path,
) -> None:
    book = replay(
        tmp_path,
        order(2, "C1", "100"),
        report(2, "C1", "E1", "0", "0", "0", "100"),
        order(3, "C1", "50"),
        report(3, "C1", "E2", "8", "8", "0", "0", qty="50", t37="NONE", t103="6"),
    )

    [o] = book.orders
    assert (o.status, o.order_qty) == ("0", 100)
    assert kinds(book) == [AnomalyKind.DUPLICATE_CL_ORD_ID]


def test_book_when_a_fill_is_logged_twice_then_it_counts_once(tmp_path: Path) -> None:
    fill = report(3, "C1", "E2", "F", "1", "40", "60", t32="40", t31="10")
    resent = report(3, "C1", "E2", "F", "1", "40", "60", t32="40", t31="10", t43="Y")

    book = replay(tmp_path, order(2, "C1"), fill, fill, resent)

    assert len(book.orders[0].fills) == 1
    assert kinds(book) == [AnomalyKind.DUPLICATE_EXEC_ID]  # the resend (43=Y) is expected to repeat


def test_book_when_fills_buy_and_sell_then_positions_and_pnl_are_average_cost(tmp_path: Path) -> None:
    book = replay(
        tmp_path,
        order(2, "B1", "100", "10"),
        report(2, "B1", "E1", "F", "2", "100", "0", t32="100", t31="10"),
        order(3, "S1", "40", "12", side="2"),
        report(3, "S1", "E2", "F", "2", "40", "0", qty="40", t32="40", t31="12", t54="2"),
    )

    position = book.positions["FIX.4.4:BROKER->CLIENT"].get("", "MSFT")
    assert position is not None
    assert (position.qty, position.avg_cost, position.realized_pnl) == (60, 10, 80)
    assert position.unrealized_pnl == 60 * (Decimal(12) - 10)


def test_book_when_fix42_reports_partial_fill_and_fill_then_both_are_executions(tmp_path: Path) -> None:
    book = replay(
        tmp_path,
        order(2, "C1"),
        report(2, "C1", "E1", "1", "1", "30", "70", t32="30", t31="10"),
        report(3, "C1", "E2", "2", "2", "100", "0", t32="70", t31="10"),
    )

    assert [f.last_qty for f in book.orders[0].fills] == [30, 70]
    assert book.anomalies == []


def test_book_when_the_receiver_rejects_the_neworder_at_session_level_then_no_order_was_opened(
    tmp_path: Path,
) -> None:
    reject = fix("FIX.4.4", "3", 2, "BROKER", "CLIENT", T, [(45, "2"), (372, "D"), (373, "1"), (58, "missing")])

    book = replay(tmp_path, order(2, "C1"), reject)

    [o] = book.orders
    assert (o.session_rejected, o.status, o.text) == (True, "8", "missing")


def test_book_when_a_report_has_a_quantity_that_is_no_number_then_it_is_flagged_as_the_gateway_words_it(
    tmp_path: Path,
) -> None:
    book = replay(tmp_path, order(2, "C1"), report(2, "C1", "E1", "0", "0", "abc", "100"))

    [anomaly] = book.anomalies
    assert (anomaly.kind, anomaly.text) == (
        AnomalyKind.BAD_VALUE,
        "Tag 14 value 'abc' is not a number (FIX float: digits, an optional '.' and an optional leading '-')",
    )


@pytest.mark.parametrize(
    ("first", "own", "received"),
    [
        (order(2, "C1"), "BROKER", True),  # the NewOrderSingle came in: a client session of ours
        (order(2, "C1"), "CLIENT", False),  # we sent it: a venue session
        (report(2, "C1", "E1", "0", "0", "0", "100"), "BROKER", True),  # we sent the first report
        (report(2, "C1", "E1", "0", "0", "0", "100"), "CLIENT", False),
        (order(2, "C1"), None, None),  # nothing says which way it went
    ],
)
def test_book_when_a_chain_opens_then_it_knows_whether_the_log_writer_received_the_order(
    tmp_path: Path, first: bytes, own: str | None, received: bool | None
) -> None:
    book = ReplayBook()
    for message in read(write(tmp_path, first), own_comp_id=own):
        book.apply(message)

    [o] = book.orders
    assert o.received is received
