"""Replay of the repository's own fixtures (tests/replay/fixtures/): the suite's oracle where ../shared is absent."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from replay.anomalies import AnomalyKind
from replay.replayer import Integrity, Replayer
from replay.summary import ReplaySummary

FIXTURES = Path(__file__).resolve().parent / "fixtures"
OWN = FIXTURES / "own"
THIRD_PARTY = FIXTURES / "third_party"


def replay(path: Path, integrity: Integrity = Integrity.WARN) -> tuple[Replayer, ReplaySummary]:
    replayer = Replayer(integrity=integrity)
    replayer.replay(path)
    return replayer, replayer.summary()


def test_broker_chains_when_replayed_then_replace_cancel_reject_bust_and_reject_end_as_written() -> None:
    replayer, summary = replay(OWN / "broker-chains.log")

    chains = {o.root: o for o in replayer.book.orders}
    a, b, c = chains["A.1"], chains["B.1"], chains["C.1"]
    assert (a.cl_ord_ids, a.cl_ord_id, a.status, a.order_qty, a.cum_qty) == (
        ["A.1", "A.2", "A.3", "A.4"],
        "A.4",
        "2",
        800,
        800,
    )
    assert (b.status, b.cum_qty, b.flagged) == ("4", 0, {AnomalyKind.CUM_QTY_DECREASED, AnomalyKind.FILLS_NE_CUM_QTY})
    assert (c.status, c.text) == ("8", "price band")
    assert summary.anomalies_by_kind == {
        "sequence_gap": 1,
        "cum_qty_decreased": 1,
        "unknown_order_fill": 1,
        "fills_ne_cum_qty": 1,
    }
    assert [p.qty for p in summary.positions] == [Decimal(1400)]  # 400 + 400 (A), 500 (B, busted), 100 (Z)


def test_quickfixgo_fixture_when_replayed_then_the_gap_fill_after_a_late_logon_is_no_anomaly() -> None:
    _, summary = replay(OWN / "FIX.4.2-KOD-BON.messages.current.log")

    assert summary.messages_by_type == {"A": 2, "2": 1, "4": 1, "0": 2}
    assert summary.anomalies == []


def test_viewer_logs_when_replayed_then_three_chains_one_filled_one_canceled_one_rejected() -> None:
    for name in ("testDelimiter.log", "testMultiCharDelimiter.log"):
        replayer, summary = replay(THIRD_PARTY / "quickfix-logviewer" / name)

        assert summary.messages_by_type == {"A": 4, "D": 3, "F": 1, "0": 6, "8": 6}
        assert summary.orders_by_state == {"REJECTED": 1, "FILLED": 1, "CANCELED": 1}
        assert [o.cl_ord_ids for o in replayer.book.orders] == [["1"], ["2"], ["3", "4"]]
        assert summary.anomalies_by_kind == {"bad_checksum": 1, "sequence_repeat": 2}


def test_sackfix_log_when_replayed_strictly_then_edited_messages_are_reported_and_left_out() -> None:
    _, warned = replay(THIRD_PARTY / "sackfixlogplayer" / "example.fix.log")
    _, strict = replay(THIRD_PARTY / "sackfixlogplayer" / "example.fix.log", Integrity.STRICT)

    assert (warned.anomalies_by_kind["bad_checksum"], warned.anomalies_by_kind["bad_body_length"]) == (42, 36)
    assert (warned.skipped_messages, strict.skipped_messages) == (0, 42)
    assert warned.orders > strict.orders


def test_jspurefix_log_when_replayed_then_zero_padded_lengths_and_an_empty_field_pass() -> None:
    _, summary = replay(THIRD_PARTY / "jspurefix" / "fix.txt")

    assert summary.messages == 46
    assert not [a for a in summary.anomalies if a.kind.category == "integrity"]


@pytest.mark.parametrize(
    "path", sorted(p for p in FIXTURES.rglob("*") if p.is_file() and p.suffix in (".log", ".txt", ".body"))
)
def test_fixture_when_replayed_then_it_is_read_without_error(path: Path) -> None:
    _, summary = replay(path)

    assert summary.messages > 0
