"""Replay as a test driver: play the client side of a recorded session into a running gateway and compare.

Theory of operation: a scenario is a FIX log of one client session, as any engine recorded it (the client's
or the gateway's FileLog). Its application messages split into steps: one message the client sent, then every
message the gateway sent back before the client's next one. The driver sends each step's message over a real
session (the engine builds header, BodyLength and CheckSum afresh: "recompute on send"), collects as many
application messages as the recording has for that step, and compares them field by field with the
recording. Fields that legitimately vary are ignored (header and trailer, times, RefSeqNum); ids the gateway
generates (OrderID 37, ExecID 17) must map one to one between recording and replay, so "the same order"
still means the same order. A step whose answers do not all arrive in time is reported, not waited for
forever. Messages after the last step's answers are not looked for: that would take a wait for nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Final, Protocol

import msgspec

from replay.message import LogMessage
from replay.reader import LogReader

SESSION_TYPES: Final = frozenset({"0", "1", "2", "4", "5", "A"})
"""Session-level messages: the engines exchange them by themselves."""
CLIENT_TYPES: Final = frozenset({"D", "F", "G", "H", "q", "AF", "E"})
"""Messages only a client sends: the sender of the first one is the client."""
HEADER_TAGS: Final = frozenset(
    {8, 9, 10, 34, 35, 43, 49, 50, 52, 56, 57, 97, 115, 116, 122, 128, 129, 142, 143, 144, 145, 369, 1128, 1129}
)
"""Standard header and trailer: the sending engine writes them."""
IGNORED_TAGS: Final = (HEADER_TAGS - {35}) | {60, 45}
"""Header and trailer (but MsgType), TransactTime (60), RefSeqNum (45): they differ on every run."""
GENERATED_TAGS: Final = frozenset({37, 17})
"""OrderID (37) and ExecID (17): the gateway makes them up; they must correspond one to one."""

Fields = dict[int, str]


class SessionClient(Protocol):
    """What the driver needs of a client session (``app.fixclient.ScriptedClient`` is one)."""

    def send_fields(self, msg_type: str, fields: list[tuple[int, str]]) -> None:
        """Send a message made of exactly ``fields``."""
        ...

    def wait_for(self, predicate: Callable[[Fields], bool], timeout: float = 10.0) -> Fields:
        """Return the first received message that satisfies ``predicate``; raise TimeoutError."""
        ...


class Step(msgspec.Struct, frozen=True, kw_only=True):
    """One message the client sent and what the gateway answered."""

    line: int
    msg_type: str
    send: list[tuple[int, str]]
    """The body fields, in the order recorded."""
    expect: list[Fields]


class Scenario(msgspec.Struct, frozen=True, kw_only=True):
    """A recorded client session, ready to drive."""

    name: str
    client_comp_id: str
    steps: list[Step]


class Mismatch(msgspec.Struct, frozen=True, kw_only=True):
    """A way the gateway's answer differed from the recording."""

    step: int
    """1-based."""
    answer: int
    """1-based position among the step's answers."""
    tag: int | None
    expected: str
    got: str

    def __str__(self) -> str:
        where = f"step {self.step} answer {self.answer}" + (f" tag {self.tag}" if self.tag is not None else "")
        return f"{where}: expected {self.expected}, got {self.got}"


class DriveResult(msgspec.Struct, kw_only=True):
    """What happened when a scenario was driven."""

    scenario: str
    steps: int
    answers: int
    mismatches: list[Mismatch]

    @property
    def passed(self) -> bool:
        """True when every answer matched the recording."""
        return not self.mismatches


def load_scenario(path: Path, *, client_comp_id: str | None = None) -> Scenario:
    """Read a recorded session; the client is ``client_comp_id`` or the sender of the first client message."""
    messages = [m for m in LogReader(path) if m.msg_type not in SESSION_TYPES and not m.poss_dup]
    client = client_comp_id or next((m.sender for m in messages if m.msg_type in CLIENT_TYPES), "")
    if not client:
        raise ValueError(f"{path}: no message a client sends (35=D, F, G, H, q)")
    steps: list[Step] = []
    for message in messages:
        if message.sender == client:
            steps.append(Step(line=message.line, msg_type=message.msg_type, send=_body(message), expect=[]))
        elif message.target == client and steps:
            steps[-1].expect.append(message.fields.as_dict())
    return Scenario(name=path.name, client_comp_id=client, steps=steps)


def drive(scenario: Scenario, client: SessionClient, *, timeout: float = 10.0) -> DriveResult:
    """Play ``scenario`` through ``client`` and compare every answer with the recording."""
    consumed: set[int] = set()
    bindings: dict[int, dict[str, str]] = {tag: {} for tag in GENERATED_TAGS}
    mismatches: list[Mismatch] = []
    answers = 0

    def unseen(message: Fields) -> bool:
        return id(message) not in consumed and message.get(35) not in SESSION_TYPES

    for number, step in enumerate(scenario.steps, start=1):
        client.send_fields(step.msg_type, step.send)
        for position, expected in enumerate(step.expect, start=1):
            try:
                got = client.wait_for(unseen, timeout)
            except TimeoutError:
                text = f"{len(step.expect)} answers"
                mismatches.append(
                    Mismatch(
                        step=number, answer=position, tag=None, expected=text, got=f"{position - 1} within {timeout:g}s"
                    )
                )
                break
            consumed.add(id(got))
            answers += 1
            mismatches += compare(expected, got, bindings, step=number, answer=position)
    return DriveResult(scenario=scenario.name, steps=len(scenario.steps), answers=answers, mismatches=mismatches)


def compare(
    expected: Fields, got: Fields, bindings: dict[int, dict[str, str]], *, step: int = 0, answer: int = 0
) -> list[Mismatch]:
    """Field-by-field differences, ignoring what varies and binding the ids the gateway generates.

    ``bindings`` maps, per generated tag, recorded ids to replayed ones (and ``-tag`` the other way round);
    it carries over from answer to answer.
    """
    mismatches = []
    for tag in sorted((expected.keys() | got.keys()) - IGNORED_TAGS):
        want, have = expected.get(tag), got.get(tag)
        if tag in GENERATED_TAGS and want is not None and have is not None:
            problem = _bind(bindings.setdefault(tag, {}), bindings.setdefault(-tag, {}), want, have)
            if problem is not None:
                mismatches.append(Mismatch(step=step, answer=answer, tag=tag, expected=problem, got=repr(have)))
        elif want != have:
            mismatches.append(Mismatch(step=step, answer=answer, tag=tag, expected=_shown(want), got=_shown(have)))
    return mismatches


def _bind(forward: dict[str, str], backward: dict[str, str], want: str, have: str) -> str | None:
    """None when ``have`` corresponds to ``want`` one to one; else what was expected instead."""
    known, owner = forward.get(want), backward.get(have)
    if known is None and owner is None:
        forward[want], backward[have] = have, want
        return None
    if known == have:
        return None
    if known is not None:
        return f"{known!r} (the id {want!r} was replayed as before)"
    return f"a new id for {want!r} ({have!r} already stands for {owner!r})"


def _body(message: LogMessage) -> list[tuple[int, str]]:
    """The body fields in the order recorded, repeating groups included."""
    fields = []
    for part in message.raw.decode("latin-1").split("\x01"):
        tag, _, value = part.partition("=")
        if tag.isdigit() and int(tag) not in HEADER_TAGS:
            fields.append((int(tag), value))
    return fields


def _shown(value: str | None) -> str:
    return "(absent)" if value is None else repr(value)
