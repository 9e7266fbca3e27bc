"""Replay of the 16 shared log files: message counts per type as PROVENANCE.md gives them, integrity problems,
direction, sequence numbers, and the order books README.md describes. Skipped where ../shared is absent."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from functools import cache

import pytest

from replay.anomalies import AnomalyKind
from replay.prefixes import Direction
from replay.reader import LogReader
from replay.replayer import Replayer
from replay.summary import ReplaySummary
from tests.conftest import SHARED

FIXLOGS = SHARED / "fixlogs"
pytestmark = pytest.mark.skipif(
    not FIXLOGS.is_dir(), reason=f"{FIXLOGS} is absent: the shared FIX log samples are on CI and dev machines only"
)

ORCHESTRA = "fix-log-to-orchestra/test/logs/"
LOG4FIX = "Log4FIX-J/src/test/resources/logs/FIX42-CoyTrade-BCExchange-"
VIEWER = {"0": 6, "8": 6, "A": 4, "D": 3, "F": 1}
KOD_BON = {"8": 1204, "D": 602, "F": 602, "0": 74, "A": 2, "2": 1, "4": 1}
FIXSIM = {"0": 38, "A": 2, "6": 1, "1": 1, "V": 1, "D": 1, "8": 1, "R": 1}
# PROVENANCE.md, file by file: MsgType -> messages
COUNTS: dict[str, dict[str, int]] = {
    ORCHESTRA + "Ireach test logs.txt": {"8": 198, "G": 62, "D": 40, "9": 17, "F": 11, "H": 2},
    ORCHESTRA + "FIX.4.2-KOD-BON.messages.current.log": KOD_BON,
    ORCHESTRA + "FIXT.1.1-EXEC-BANZAI.messages.log": {"D": 42, "8": 42, "A": 4, "k": 2, "E": 2, "5": 2},
    ORCHESTRA + "Montran_order_messages.log": {"8": 6, "A": 2, "D": 2, "5": 2},
    ORCHESTRA + "FIX.4.4-MUREX_TI_TEST-360T_TI_TEST.body": {"A": 1, "0": 1, "8": 2},
    ORCHESTRA + "delimitertest.log": {"D": 4, "8": 3, "A": 2},
    "quickfix-logviewer/testDelimiter.log": VIEWER,
    "quickfix-logviewer/testMultiCharDelimiter.log": VIEWER,
    "jspurefix/data/examples/FIX.4.4/fixsim/fix.txt": FIXSIM,
    "Quickfix_app/log/FIX.4.2-CLIENT1-EXECUTOR.messages.current.log": {"D": 21, "8": 21, "A": 2},
    "Quickfix_app/log/FIX.4.2-CLIENT1-EXECUTOR.event.current.log": {},
    "FixClient/FixTests/Logs/t_atlas.log": {"0": 298, "1": 149, "2": 11, "A": 8, "C": 4, "5": 3},
    "sackfixlogplayer/example.fix.log": {"8": 48},
    LOG4FIX + "SenderMessagePerLine.log": {"D": 2, "A": 1, "0": 1},
    LOG4FIX + "TargetMessagePerLine.log": {"8": 5, "0": 1},
    "logstash-filter-fix_protocol/spec/fixtures/fix-input.log": {"W": 4, "D": 3, "8": 2, "F": 2},
}
# PROVENANCE.md: bad CheckSum / bad BodyLength per file (t_atlas.log's two are gone: its wrapped lines are joined)
INTEGRITY: dict[str, tuple[int, int]] = {
    ORCHESTRA + "FIXT.1.1-EXEC-BANZAI.messages.log": (2, 2),
    ORCHESTRA + "delimitertest.log": (1, 0),
    "quickfix-logviewer/testDelimiter.log": (1, 0),
    "quickfix-logviewer/testMultiCharDelimiter.log": (1, 0),
    "sackfixlogplayer/example.fix.log": (42, 36),
    "logstash-filter-fix_protocol/spec/fixtures/fix-input.log": (11, 11),
}


@cache
def replayed(name: str) -> tuple[Replayer, ReplaySummary]:
    replayer = Replayer()
    replayer.replay(FIXLOGS / name)
    return replayer, replayer.summary()


def count(summary: ReplaySummary, kind: AnomalyKind) -> int:
    return summary.anomalies_by_kind.get(kind.value, 0)


@pytest.mark.parametrize("name", sorted(COUNTS))
def test_shared_log_when_replayed_then_messages_per_type_match_provenance(name: str) -> None:
    _, summary = replayed(name)

    assert summary.messages_by_type == COUNTS[name]


def test_shared_logs_when_all_are_replayed_then_3607_messages_and_no_file_fails() -> None:
    replayer = Replayer()
    files = sorted(
        p
        for p in FIXLOGS.rglob("*")
        if p.is_file() and "tools" not in p.parts and p.suffix != ".md" and p.name != ".gitattributes"
    )

    summary = replayer.replay_all(files)

    assert len(files) == 16
    assert summary.messages == 3607


@pytest.mark.parametrize("name", sorted(COUNTS))
def test_shared_log_when_replayed_then_checksum_and_body_length_problems_are_those_provenance_lists(
    name: str,
) -> None:
    _, summary = replayed(name)

    expected = INTEGRITY.get(name, (0, 0))
    assert (count(summary, AnomalyKind.BAD_CHECKSUM), count(summary, AnomalyKind.BAD_BODY_LENGTH)) == expected


def test_ireach_when_replayed_then_40_chains_end_in_the_states_the_readme_gives() -> None:
    replayer, summary = replayed(ORCHESTRA + "Ireach test logs.txt")

    assert summary.orders == 40
    assert summary.orders_by_state == {"CANCELED": 12, "FILLED": 10, "DONE_FOR_DAY": 9, "REJECTED": 8, "PENDING_NEW": 1}
    chains = replayer.book.orders
    assert sum(1 for o in chains if len(o.cl_ord_ids) > 1) == 13
    assert sum(1 for o in chains if o.consistent) == 37


def test_ireach_when_replayed_then_the_three_inconsistent_chains_of_t186_and_t190_are_anomalies() -> None:
    replayer, summary = replayed(ORCHESTRA + "Ireach test logs.txt")

    bad = {o.root: o.flagged for o in replayer.book.orders if not o.consistent}
    assert set(bad) == {"IREACH_t190_ACFP.o3kt3.1#a1", "IREACH_t186_AGLIM.o3kt3.6#a1", "IREACH_t186_AGLIM.o3kt3.1l#a1"}
    assert AnomalyKind.CUM_QTY_DECREASED in bad["IREACH_t190_ACFP.o3kt3.1#a1"]
    assert AnomalyKind.CUM_QTY_DECREASED in bad["IREACH_t186_AGLIM.o3kt3.6#a1"]
    assert AnomalyKind.LEAVES_QTY_MISMATCH in bad["IREACH_t186_AGLIM.o3kt3.1l#a1"]  # PendingNew with 151=0
    drops = [a.text for a in summary.anomalies if a.kind is AnomalyKind.CUM_QTY_DECREASED]
    assert sorted(drops) == [
        "CumQty (14) went from 500 to 0 (a trade cancel of ExecID 'UUKO20030300002a'; its fill stays in the positions)",
        "CumQty (14) went from 500 to 200",
    ]


def test_ireach_when_replayed_then_direction_comes_from_the_prefix_and_sequence_oddities_are_reported() -> None:
    messages = list(LogReader(FIXLOGS / ORCHESTRA / "Ireach test logs.txt"))
    _, summary = replayed(ORCHESTRA + "Ireach test logs.txt")

    assert Counter((m.sender, m.direction) for m in messages) == {
        ("IREACH", Direction.INCOMING): 115,
        ("MLPT", Direction.OUTGOING): 215,
    }
    assert (count(summary, AnomalyKind.SEQUENCE_GAP), count(summary, AnomalyKind.SEQUENCE_BACKWARDS)) == (191, 4)


def test_kod_bon_when_replayed_then_602_orders_rest_at_once_and_all_end_cancelled() -> None:
    replayer, summary = replayed(ORCHESTRA + "FIX.4.2-KOD-BON.messages.current.log")

    assert (summary.orders, summary.orders_by_state, summary.peak_open_orders, summary.open_orders) == (
        602,
        {"CANCELED": 602},
        602,
        0,
    )
    orders = replayer.book.orders
    assert Counter((o.side, o.price, o.order_qty) for o in orders) == {("1", 99, 10): 301, ("2", 101, 10): 301}
    assert all(o.cl_ord_ids == [o.root, o.root + "_c"] for o in orders)
    assert summary.anomalies == [] and summary.positions == []


def test_test_delimiter_logs_when_replayed_then_the_small_oracle_holds_in_both_renderings() -> None:
    for name in ("quickfix-logviewer/testDelimiter.log", "quickfix-logviewer/testMultiCharDelimiter.log"):
        replayer, summary = replayed(name)
        chains = {o.root: o for o in replayer.book.orders}

        assert summary.orders_by_state == {"REJECTED": 1, "FILLED": 1, "CANCELED": 1}
        assert chains["1"].text == "Unsupported Order Type, use limit"
        assert (chains["2"].cum_qty, chains["2"].avg_px, chains["2"].price) == (100, Decimal("43.2"), Decimal("43.2"))
        assert (chains["3"].cl_ord_ids, chains["3"].cum_qty, chains["3"].leaves_qty) == (["3", "4"], 100, 0)
        assert all(o.consistent for o in chains.values()) and summary.open_orders == 0
        [position] = summary.positions
        assert (position.symbol, position.qty, position.realized_pnl) == ("DELL", 0, 0)


def test_montran_and_quickfix_app_when_replayed_then_every_chain_is_filled_and_consistent() -> None:
    montran, montran_summary = replayed(ORCHESTRA + "Montran_order_messages.log")
    quickfix, quickfix_summary = replayed("Quickfix_app/log/FIX.4.2-CLIENT1-EXECUTOR.messages.current.log")

    assert montran_summary.orders_by_state == {"FILLED": 2}
    assert quickfix_summary.orders_by_state == {"FILLED": 21}
    assert all(o.consistent for o in montran.book.orders + quickfix.book.orders)


def test_quickfix_event_log_when_replayed_then_it_is_recognised_as_an_event_log() -> None:
    _, summary = replayed("Quickfix_app/log/FIX.4.2-CLIENT1-EXECUTOR.event.current.log")

    [stats] = summary.files
    assert (stats.kind, stats.messages, stats.other_lines) == ("events", 0, 11)


def test_t_atlas_when_replayed_then_wrapped_messages_are_whole_and_sequences_gap_free_by_in_and_out() -> None:
    messages = list(LogReader(FIXLOGS / "FixClient/FixTests/Logs/t_atlas.log"))
    _, summary = replayed("FixClient/FixTests/Logs/t_atlas.log")

    wrapped = [m for m in messages if m.lines > 1]
    assert [(m.lines, m.fields.get(9), m.problems) for m in wrapped] == [(9, "11221", ()), (8, "11221", ())]
    assert Counter(m.direction for m in messages) == {Direction.OUTGOING: 315, Direction.INCOMING: 158}
    assert sum(1 for m in messages if m.poss_dup) == 10
    assert summary.anomalies == []


def test_store_body_when_replayed_then_messages_back_to_back_are_found_with_their_raw_data() -> None:
    messages = list(LogReader(FIXLOGS / ORCHESTRA / "FIX.4.4-MUREX_TI_TEST-360T_TI_TEST.body"))

    assert [m.msg_type for m in messages] == ["A", "0", "8", "8"]
    assert messages[0].fields.get(96) == "m:1585068238067"
    assert {m.direction for m in messages} == {Direction.OUTGOING}
    assert all(m.problems == () for m in messages)


def test_fix_input_when_replayed_then_mixed_begin_strings_and_the_garbled_line_are_read_without_failing() -> None:
    _, summary = replayed("logstash-filter-fix_protocol/spec/fixtures/fix-input.log")

    [stats] = summary.files
    assert stats.begin_strings == {"FIXT.1.1": 4, "FIX.4.2": 6, "FIX.4.0": 1}
    assert count(summary, AnomalyKind.MALFORMED_FIELD) == 1  # 49garbled=TW
