"""The replay test driver against a fake client session: steps, comparisons, generated ids, timeouts."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from replay.driver import Scenario, Step, compare, drive, load_scenario
from tests.replay.make_fixtures import fix
from tests.unit.replay.logs import T, order, report, write

Fields = dict[int, str]


class FakeClient:
    """Answers each sent message with canned replies."""

    def __init__(self, replies: list[list[Fields]]) -> None:
        self.replies = replies
        self.sent: list[tuple[str, list[tuple[int, str]]]] = []
        self.received: list[Fields] = []

    def send_fields(self, msg_type: str, fields: list[tuple[int, str]]) -> None:
        self.sent.append((msg_type, fields))
        self.received += self.replies[len(self.sent) - 1]

    def wait_for(self, predicate: Callable[[Fields], bool], timeout: float = 10.0) -> Fields:
        for message in self.received:
            if predicate(message):
                return message
        raise TimeoutError


def ack(cl_ord_id: str, order_id: str, exec_id: str, status: str = "0") -> Fields:
    return {35: "8", 11: cl_ord_id, 37: order_id, 17: exec_id, 39: status, 150: status, 52: "x", 60: "y", 34: "9"}


def scenario() -> Scenario:
    return Scenario(
        name="s",
        client_comp_id="CLIENT",
        steps=[
            Step(line=1, msg_type="D", send=[(11, "A")], expect=[ack("A", "O1", "O1-1")]),
            Step(line=2, msg_type="D", send=[(11, "B")], expect=[ack("B", "O2", "O2-1"), ack("B", "O2", "O2-2", "2")]),
        ],
    )


def test_load_scenario_when_a_client_log_is_given_then_steps_pair_each_request_with_its_answers(
    tmp_path: Path,
) -> None:
    logon = fix("FIX.4.4", "A", 1, "CLIENT", "BROKER", T, [(98, "0"), (108, "30")])
    path = write(tmp_path, logon, order(2, "C1"), report(2, "C1", "E1", "0", "0", "0", "100"), order(3, "C2"))

    loaded = load_scenario(path)

    assert loaded.client_comp_id == "CLIENT"
    assert [(s.msg_type, len(s.expect)) for s in loaded.steps] == [("D", 1), ("D", 0)]
    assert (11, "C1") in loaded.steps[0].send and all(
        tag not in (8, 9, 10, 34, 35, 49, 52, 56) for tag, _ in loaded.steps[0].send
    )


def test_drive_when_answers_match_with_other_generated_ids_then_it_passes(tmp_path: Path) -> None:
    client = FakeClient([[ack("A", "X7", "X7-1")], [ack("B", "X8", "X8-1"), ack("B", "X8", "X8-2", "2")]])

    result = drive(scenario(), client, timeout=0)

    assert result.passed, [str(m) for m in result.mismatches]
    assert (result.steps, result.answers, [m for m, _ in client.sent]) == (2, 3, ["D", "D"])


def test_drive_when_an_answer_differs_then_the_mismatch_names_step_answer_and_tag(tmp_path: Path) -> None:
    client = FakeClient([[ack("A", "O1", "O1-1")], [ack("B", "O2", "O2-1"), ack("B", "O2", "O2-2", "1")]])

    result = drive(scenario(), client, timeout=0)

    assert [(m.step, m.answer, m.tag, m.expected, m.got) for m in result.mismatches] == [
        (2, 2, 39, "'2'", "'1'"),
        (2, 2, 150, "'2'", "'1'"),
    ]


def test_drive_when_an_answer_never_comes_then_the_step_reports_how_many_arrived(tmp_path: Path) -> None:
    client = FakeClient([[ack("A", "O1", "O1-1")], [ack("B", "O2", "O2-1")]])

    result = drive(scenario(), client, timeout=0)

    [missing] = result.mismatches
    assert (missing.step, missing.answer, missing.expected, missing.got) == (2, 2, "2 answers", "1 within 0s")


def test_compare_when_one_recorded_id_maps_to_two_replayed_ones_then_it_is_a_mismatch() -> None:
    bindings: dict[int, dict[str, str]] = {}
    assert compare(ack("A", "O1", "E1"), ack("A", "X1", "F1"), bindings) == []

    [mismatch] = compare(ack("A", "O1", "E2"), ack("A", "X2", "F2"), bindings)

    assert (mismatch.tag, mismatch.got) == (37, "'X2'")
