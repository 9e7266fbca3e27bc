"""The reports' fast path at the edge: each report goes out once, in order, whichever copy comes first."""

from __future__ import annotations

from transport.fastpath import ReportOrder, client_and_partition, decode_fast, encode_fast, fast_subject

KEY = ("CLIENT1", "0")


def test_fast_when_nothing_sent_yet_then_left_to_the_stream() -> None:
    order: ReportOrder[str] = ReportOrder()
    assert order.fast(KEY, -1, [(5, "r5")]) == []
    assert order.reliable(KEY, [(5, "r5")]) == (["r5"], 0)


def test_fast_when_it_follows_the_last_sent_then_sent_and_its_stream_copy_skipped() -> None:
    order: ReportOrder[str] = ReportOrder()
    order.reliable(KEY, [(5, "r5")])
    assert order.fast(KEY, 5, [(7, "r7"), (9, "r9")]) == ["r7", "r9"]
    assert order.reliable(KEY, [(7, "r7"), (9, "r9")]) == ([], 0)
    assert order.fast(KEY, 9, [(12, "r12")]) == ["r12"]


def test_fast_when_one_before_it_was_lost_then_waits_for_the_stream_in_order() -> None:
    order: ReportOrder[str] = ReportOrder()
    order.reliable(KEY, [(5, "r5")])
    assert order.fast(KEY, 7, [(9, "r9")]) == []  # 7 never came by the fast path
    assert order.reliable(KEY, [(7, "r7")]) == (["r7"], 0)
    assert order.reliable(KEY, [(9, "r9")]) == (["r9"], 0)


def test_reliable_when_stream_went_first_then_late_fast_copy_dropped() -> None:
    order: ReportOrder[str] = ReportOrder()
    order.reliable(KEY, [(5, "r5")])
    assert order.reliable(KEY, [(7, "r7")]) == (["r7"], 0)
    assert order.fast(KEY, 5, [(7, "r7")]) == []


def test_reliable_when_relayed_again_then_counted_not_sent() -> None:
    order: ReportOrder[str] = ReportOrder()
    order.reliable(KEY, [(5, "r5"), (7, "r7")])
    assert order.reliable(KEY, [(5, "r5"), (7, "r7"), (8, "r8")]) == (["r8"], 2)
    assert order.reliable(("CLIENT1", "1"), [(2, "p1")]) == (["p1"], 0)  # another partition: ids of its own


def test_fast_message_and_subject_round_trip() -> None:
    fast = decode_fast(encode_fast(41, b"payload"))
    assert (fast.prev, fast.reports) == (41, b"payload")
    assert fast_subject("A.B", "1") == "fixgw.fastreport.A_B.1"
    assert client_and_partition(fast_subject("CLIENT1", "3")) == ("CLIENT1", "3")
    assert client_and_partition("fixgw.report.CLIENT1.0") == ("CLIENT1", "0")
