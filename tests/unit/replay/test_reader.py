"""The log reader: framing, delimiters, prefixes, integrity problems, direction (../shared/fixlogs/README.md)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from replay.anomalies import AnomalyKind
from replay.prefixes import Direction
from replay.reader import LogReader, checksum, own_comp_id_from_file_name
from tests.replay.make_fixtures import OWN, fix
from tests.unit.replay.logs import SOH, T, order, read, report, write


def kinds(path: Path) -> list[list[AnomalyKind]]:
    return [[p.kind for p in m.problems] for m in read(path)]


@pytest.mark.parametrize("delimiter", [SOH, b"|", b";", b" ", b"^", b"^A"])
def test_reader_when_a_log_uses_another_delimiter_then_messages_and_fields_are_read_intact(
    tmp_path: Path, delimiter: bytes
) -> None:
    original = order(2, "C1", t58="two words; and | bars")

    [message] = read(write(tmp_path, original.replace(SOH, delimiter)))

    assert message.msg_type == "D"
    assert message.fields.get(11) == "C1"
    assert message.fields.get(58) == "two words; and | bars"
    assert message.problems == ()
    assert message.raw == original


def test_reader_when_the_delimiter_changes_from_line_to_line_then_each_line_is_read_with_its_own(
    tmp_path: Path,
) -> None:
    lines = [order(n, f"C{n}").replace(SOH, d) for n, d in enumerate([SOH, b"|", b";", b" ", b"^"], start=2)]

    messages = read(write(tmp_path, *lines))

    assert [m.fields.get(11) for m in messages] == ["C2", "C3", "C4", "C5", "C6"]
    assert [m.delimiter for m in messages] == ["SOH", "|", ";", " ", "^"]
    assert all(m.problems == () for m in messages)


def test_reader_when_checksum_is_wrong_then_the_problem_is_named_and_the_message_kept(tmp_path: Path) -> None:
    line = order(2, "C1")
    spoiled = line[:-4] + b"000" + SOH if not line.endswith(b"000" + SOH) else line[:-4] + b"001" + SOH

    [message] = read(write(tmp_path, spoiled))

    assert [p.kind for p in message.problems] == [AnomalyKind.BAD_CHECKSUM]
    assert "computed" in message.problems[0].text
    assert message.fields.get(11) == "C1"


def test_reader_when_body_length_is_wrong_then_reported_and_the_end_is_found_by_scanning(tmp_path: Path) -> None:
    line = order(2, "C1")
    length = line.split(SOH)[1]
    spoiled = line.replace(length, b"9=" + str(int(length[2:]) + 7).encode(), 1)

    messages = read(write(tmp_path, spoiled, order(3, "C2")))

    assert [m.fields.get(11) for m in messages] == ["C1", "C2"]
    assert AnomalyKind.BAD_BODY_LENGTH in [p.kind for p in messages[0].problems]
    assert messages[1].problems == ()


def test_reader_when_body_length_is_missing_then_it_is_reported_missing(tmp_path: Path) -> None:
    line = order(2, "C1")
    without = SOH.join(part for part in line.split(SOH) if not part.startswith(b"9="))

    [message] = read(write(tmp_path, without))

    assert AnomalyKind.MISSING_TAG in [p.kind for p in message.problems]
    assert any("BodyLength (9) missing" in p.text for p in message.problems)


def test_reader_when_body_length_is_zero_padded_then_it_reads_as_an_integer(tmp_path: Path) -> None:
    line = order(2, "C1")
    length = line.split(SOH)[1]
    padded = line.replace(length, b"9=" + length[2:].zfill(7), 1)

    [message] = read(write(tmp_path, padded))

    assert [p.kind for p in message.problems] == [AnomalyKind.BAD_CHECKSUM]  # padding changes the sum only


def test_reader_when_a_message_starts_mid_line_and_junk_follows_then_only_the_message_is_read(
    tmp_path: Path,
) -> None:
    line = b"We should be smart enough to parse this!!! " + order(2, "C1")[:-1] + b"        JUNK OUT HERE"

    [message] = read(write(tmp_path, b"This is junk and should be ignored!!!!", line, b"8=invalid_stuff"))

    assert message.fields.get(11) == "C1"
    assert message.problems == ()
    assert message.line == 2


def test_reader_when_a_message_is_wrapped_with_the_prefix_repeated_then_it_is_joined_and_valid() -> None:
    messages = read(OWN / "wrapped-in-out.log", own_comp_id=None)

    email = next(m for m in messages if m.msg_type == "C")
    assert email.lines == 4  # 3,465 bytes in pieces of 1,000
    assert email.problems == ()
    assert len(email.fields.get(58) or "") > 2000
    assert [m.direction for m in messages] == [
        Direction.OUTGOING,
        Direction.INCOMING,
        Direction.INCOMING,
        Direction.OUTGOING,
        Direction.INCOMING,
        Direction.OUTGOING,
    ]


def test_reader_when_messages_are_back_to_back_then_each_is_found_and_raw_data_is_kept() -> None:
    messages = read(OWN / "FIX.4.4-MUREX-360T.body", own_comp_id=None)

    assert [m.msg_type for m in messages] == ["A", "0"]
    assert messages[0].fields.get(96) == "k=1\x01v=2"
    assert messages[0].problems == ()
    assert {m.direction for m in messages} == {Direction.OUTGOING}


def test_reader_when_lines_have_nul_bytes_crlf_and_a_trailer_then_the_messages_are_clean() -> None:
    messages = read(OWN / "arrows.log", own_comp_id=None)

    assert [(m.msg_type, m.direction, m.problems) for m in messages] == [
        ("D", Direction.OUTGOING, ()),
        ("8", Direction.INCOMING, ()),
    ]
    assert messages[0].log_time == "20060410-07:01:59"
    assert messages[1].log_time == "04/10/2006  15:20:39"


def test_reader_when_a_message_is_cut_short_at_the_end_of_the_file_then_truncated_is_reported(
    tmp_path: Path,
) -> None:
    whole = order(2, "C1")
    path = write(tmp_path, whole, whole[:40], end=b"")

    messages = read(path)

    assert messages[0].problems == ()
    assert messages[1].problems[0].kind is AnomalyKind.TRUNCATED


def test_reader_when_the_file_holds_only_event_lines_then_it_is_an_event_log(tmp_path: Path) -> None:
    path = write(tmp_path, b"20240507-21:35:21.378786000 : Created session", b"20240507-21:35:21 : Initiated logon")
    reader = LogReader(path)

    assert list(reader) == []
    assert (reader.stats.kind, reader.stats.other_lines, reader.stats.messages) == ("events", 2, 0)


def test_reader_when_header_tags_are_missing_then_each_is_named(tmp_path: Path) -> None:
    line = b"8=FIX.4.2" + SOH + b"9=5" + SOH + b"11=X" + SOH + b"10=000" + SOH

    [message] = read(write(tmp_path, line))

    missing = [p.text for p in message.problems if p.kind is AnomalyKind.MISSING_TAG]
    assert missing == [
        "MsgType (35) missing",
        "SenderCompID (49) missing",
        "TargetCompID (56) missing",
        "MsgSeqNum (34) missing",
    ]


def test_reader_when_a_field_has_no_equals_sign_then_malformed_field_is_reported(tmp_path: Path) -> None:
    line = order(2, "C1").replace(b"55=MSFT", b"49garbled=TW")

    [message] = read(write(tmp_path, line))

    assert AnomalyKind.MALFORMED_FIELD in [p.kind for p in message.problems]
    assert message.fields.get(11) == "C1"


def test_reader_when_the_prefix_says_incoming_or_outgoing_then_direction_comes_from_it() -> None:
    messages = read(OWN / "screenlog.log", own_comp_id=None)

    assert [(m.msg_type, m.direction, m.direction_source) for m in messages] == [
        ("A", Direction.OUTGOING, "prefix"),
        ("D", Direction.OUTGOING, "prefix"),
        ("8", Direction.INCOMING, "prefix"),
    ]
    assert {m.session for m in messages} == {"FIX.4.4:FIXTESTA->MONTRANTS"}


def test_reader_when_own_compid_is_given_then_direction_comes_from_the_compids(tmp_path: Path) -> None:
    path = write(tmp_path, order(2, "C1"), report(2, "C1", "E1", "0", "0", "0", "100"))

    messages = read(path, own_comp_id="BROKER")

    assert [(m.direction, m.direction_source) for m in messages] == [
        (Direction.INCOMING, "own-compid"),
        (Direction.OUTGOING, "own-compid"),
    ]
    assert {m.session for m in messages} == {"FIX.4.4:BROKER->CLIENT"}


def test_reader_when_the_file_is_named_the_quickfix_way_then_our_compid_comes_from_the_name() -> None:
    messages = read(OWN / "FIX.4.2-KOD-BON.messages.current.log", own_comp_id=None)

    assert own_comp_id_from_file_name("FIX.4.2-KOD-BON.messages.current.log") == "KOD"
    assert [(m.sender, m.direction) for m in messages][:2] == [("BON", Direction.INCOMING), ("KOD", Direction.OUTGOING)]
    assert {m.direction_source for m in messages} == {"file-name"}


def test_reader_when_nothing_tells_the_direction_then_it_is_unknown_and_the_session_symmetric(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, order(2, "C1"), report(2, "C1", "E1", "0", "0", "0", "100"))

    messages = read(path, own_comp_id=None)

    assert [m.direction for m in messages] == [None, None]
    assert {m.session for m in messages} == {"FIX.4.4:BROKER<->CLIENT"}


def test_reader_when_log_lines_have_a_prefix_then_its_time_is_kept_apart_from_sending_time(tmp_path: Path) -> None:
    line = b"2020/03/02-06:14:36,393 INFO :: TracingIncomingMessage[HFE]: " + order(2, "C1")

    [message] = read(write(tmp_path, line))

    assert (message.layout, message.log_time, message.direction) == (
        "tracing",
        "2020/03/02-06:14:36,393",
        Direction.INCOMING,
    )
    assert message.fields.get(52) == T


@given(st.binary(min_size=0, max_size=2000))
def test_checksum_when_given_any_bytes_then_it_is_their_sum_modulo_256(data: bytes) -> None:
    assert checksum(data) == sum(data) % 256


def test_reader_when_a_message_is_built_by_simplefix_then_no_problem_is_found(tmp_path: Path) -> None:
    line = fix("FIXT.1.1", "A", 1, "A", "B", T, [(98, "0"), (108, "30"), (1137, "9")])

    [message] = read(write(tmp_path, line))

    assert (message.begin_string, message.msg_type, message.seq_num, message.problems) == ("FIXT.1.1", "A", 1, ())
