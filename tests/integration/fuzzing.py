"""Mutated FIX for fuzzing a live session: hypothesis strategies, and a driver that keeps a raw session going.

The driver sends a batch of mutated messages, then proves the session still answers: a SequenceReset-Reset
(its MsgSeqNum is ignored by the protocol, so it resynchronises us whatever the batch did to the numbers) and a
TestRequest whose Heartbeat must come back. If the gateway logged us out or dropped us (the protocol's answer to
some mutations: a wrong BeginString, a sequence number too low, a second Logon), it logs on again. Used by
``tests/integration/test_fuzz_session.py`` and, for long runs, ``bench/fuzz_session.py``.
"""

from __future__ import annotations

import itertools
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from hypothesis import strategies as st

from app.config import ClientConfig, GatewayConfig
from app.gateway import Gateway
from app.venue import VenueServer
from fixgw.session.settings import SessionsFile
from tests.integration.conftest import make_sessions
from tests.integration.rawfix import RawSession, checksum, encode, now

FUZZER = "FUZZER"
Fields = list[tuple[int, str]]

# -- strategies ------------------------------------------------------------------------------------


def _templates(order: str) -> list[tuple[str, Fields]]:
    new_order = [(11, order), (1, "FZ"), (55, "MSFT"), (54, "1"), (38, "10"), (40, "2"), (44, "99.50"), (60, "<now>")]
    return [
        ("D", new_order),
        ("D", [(11, order + "M"), (55, "IBM"), (54, "2"), (38, "5"), (40, "1"), (60, "<now>")]),
        ("F", [(11, order + "C"), (41, order), (55, "MSFT"), (54, "1"), (38, "10"), (60, "<now>")]),
        (
            "G",
            [
                (11, order + "R"),
                (41, order),
                (55, "MSFT"),
                (54, "1"),
                (38, "20"),
                (40, "2"),
                (44, "99.4"),
                (60, "<now>"),
            ],
        ),
        ("H", [(11, order), (55, "MSFT"), (54, "1")]),
        ("0", []),
        ("1", [(112, "fuzz")]),
        ("2", [(7, "1"), (16, "0")]),
        ("4", [(123, "Y"), (36, "5")]),
        ("3", [(45, "1"), (58, "fuzz")]),
        ("B", [(148, "headline"), (33, "1"), (58, "line")]),
        ("A", [(98, "0"), (108, "30")]),
        ("5", [(58, "bye")]),
    ]


_NASTY_VALUES = st.sampled_from(
    [
        "",
        "NaN",
        "-1",
        "-0",
        "0",
        "1e400",
        "Infinity",
        "99999999999999999999999999",
        "0x10",
        "1.2.3",
        " 1",
        "Y",
        "N",
        "\x00",
        "=",
        "20261301-25:61:61",
        "A" * 10_000,
        "\u00e9\u00e8",
        "-2147483649",
        "4294967296",
        # issue 12: bytes that are not UTF-8 (sent as such: rawfix.encode), control bytes, numbers SQL cannot hold
        "BAD-\udcff\udcfe",
        "\udcc3(",
        "a\x00b",
        "\x07",
        "\x7f",
        "1" * 40,
        "0." + "0" * 29 + "1",
        "1e-30",
        "+1",
        "-9223372036854775809",
        "0.0000000000001",
    ]
)
_RAW_BYTES = st.binary(max_size=12).map(lambda b: b.decode("utf-8", "surrogateescape"))
"""Any bytes at all: what a value that is not text looks like once the binding decodes it."""
_VALUES = st.one_of(
    _NASTY_VALUES, _RAW_BYTES, st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=40)
)
_TAGS = st.one_of(
    st.sampled_from([1, 11, 34, 35, 38, 40, 41, 43, 44, 52, 54, 55, 59, 60, 97, 122, 123, 36, 7, 16, 112, 453, 5000]),
    st.integers(min_value=0, max_value=20_000),
)


@st.composite
def mutated_fields(draw: st.DrawFn) -> tuple[str, Fields]:
    """A message type and body fields, one to three field-level mutations applied."""
    msg_type, fields = draw(st.sampled_from(_templates(f"FZ-{draw(st.integers(0, 10**9))}")))
    fields = list(fields)
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        how = draw(st.sampled_from(["drop", "duplicate", "value", "tag", "insert", "swap", "msgtype", "group"]))
        at = draw(st.integers(min_value=0, max_value=max(len(fields) - 1, 0)))
        if how == "drop" and fields:
            fields.pop(at)
        elif how == "duplicate" and fields:
            fields.insert(at, fields[at])
        elif how == "value" and fields:
            fields[at] = (fields[at][0], draw(_VALUES))
        elif how == "tag" and fields:
            fields[at] = (draw(_TAGS), fields[at][1])
        elif how == "insert":
            fields.insert(at, (draw(_TAGS), draw(_VALUES)))
        elif how == "swap" and len(fields) > 1:
            other = draw(st.integers(min_value=0, max_value=len(fields) - 1))
            fields[at], fields[other] = fields[other], fields[at]
        elif how == "msgtype":
            msg_type = draw(st.one_of(st.sampled_from(["8", "j", "ZZ", "", "U1", "AE", "x"]), st.text(max_size=3)))
        elif how == "group":
            fields += [(453, draw(st.sampled_from(["0", "1", "2", "-1", "x"]))), (448, "P"), (447, "D"), (452, "1")]
    return msg_type, fields


@dataclass(frozen=True)
class FrameSpec:
    """One mutated message, independent of sequence numbers and time, so hypothesis can replay it exactly."""

    msg_type: str
    fields: tuple[tuple[int, str], ...]
    header: tuple[tuple[int, str], ...]
    framing: str
    where: float  # 0..1: the position a framing mutation applies to
    byte: int
    garbage: bytes

    def render(self, seq: int, sender: str = FUZZER) -> bytes:
        """Frame it with ``seq`` and the current time, then apply the framing mutation."""
        clean = self.msg_type and "\x01" not in self.msg_type and "=" not in self.msg_type
        header = [(t, now() if v == "<now>" else v) for t, v in self.header]
        fields = [(t, now() if v == "<now>" else v) for t, v in self.fields]
        data = encode(self.msg_type if clean else "D", seq, fields, header=header, sender=sender)
        at = min(int(self.where * len(data)), len(data) - 1)
        if self.framing == "flip":
            return data[:at] + bytes([self.byte]) + data[at + 1 :]
        if self.framing == "truncate":
            return data[: max(at, 1)]
        if self.framing == "checksum":
            cut = data.rindex(b"10=")
            return data[:cut] + f"10={(checksum(data[:cut]) + 1) % 256:03d}\x01".encode()
        if self.framing == "length":
            head, rest = data.split(b"\x01", 1)
            length, body = rest.split(b"\x01", 1)
            wrong = int(length[2:]) + (self.byte % 11) - 7  # -7 .. +3, never 0 off
            wrong += 1 if wrong == int(length[2:]) else 0
            return head + b"\x01" + f"9={wrong}".encode() + b"\x01" + body
        if self.framing == "garbage":
            return self.garbage + data
        if self.framing == "twice":
            return data + data
        return data


@st.composite
def mutated_frame(draw: st.DrawFn) -> FrameSpec:
    """One message: field mutations, then sometimes a framing mutation."""
    msg_type, fields = draw(mutated_fields())
    header: tuple[tuple[int, str], ...] = ()
    if draw(st.booleans()):
        header = ((43, "Y"), (122, "<now>")) if draw(st.booleans()) else ((97, "Y"),)
    framing = draw(
        st.sampled_from(["none", "none", "none", "flip", "truncate", "checksum", "length", "garbage", "twice"])
    )
    return FrameSpec(
        msg_type,
        tuple(fields),
        header,
        framing,
        draw(st.floats(min_value=0, max_value=1)),
        draw(st.integers(min_value=0, max_value=255)),
        draw(st.binary(min_size=1, max_size=64)),
    )


# -- the live system ---------------------------------------------------------------------------------


@dataclass
class Stats:
    """What a fuzz run did."""

    messages: int = 0
    batches: int = 0
    logons: int = 0
    probes_answered: int = 0
    stalls: int = 0
    answers: Counter[str] = field(default_factory=Counter)


class Fuzzer:
    """A raw FUZZER session on the gateway that survives whatever the batches do to it."""

    def __init__(self, port: int, *, probe_timeout: float = 2.0, logged_on: Callable[[], bool] | None = None) -> None:
        self.port = port
        self.probe_timeout = probe_timeout
        self._logged_on = logged_on
        """Whether the gateway still counts FUZZER as logged on (None: do not wait for it to notice a hang-up)."""
        self.stats = Stats()
        self.raw: RawSession | None = None
        self.seq = 1
        self._probes = itertools.count(1)

    def connect(self) -> RawSession:
        """Log on afresh (141=Y) unless a connection is up."""
        if self.raw is None or self.raw.closed:
            if self.raw is not None:
                self.raw.close()
                self._wait_for_logout()
            self.raw = RawSession(self.port)
            self.raw.send(encode("A", 1, [(98, "0"), (108, "30"), (141, "Y")], sender=FUZZER))
            self.raw.wait_for(lambda m: m.get(35) == b"A", "the Logon answer")
            self.stats.logons += 1
            self.seq = 2
        return self.raw

    def _wait_for_logout(self, timeout: float = 30.0) -> None:
        # QuickFIX refuses a Logon, and drops the new connection unanswered, while the session is still logged on
        # from the connection we just hung up on; under load the gateway can take a moment to notice the hang-up.
        if self._logged_on is None:
            return
        deadline = time.monotonic() + timeout
        while self._logged_on():
            if time.monotonic() > deadline:
                raise AssertionError(f"FUZZER still logged on {timeout:g}s after hanging up")
            time.sleep(0.01)  # polling the condition itself, not waiting in its place

    def send_batch(self, frames: list[bytes]) -> None:
        """Send the frames, then make sure the session answers (reconnecting if the gateway ended it)."""
        raw = self.connect()
        for data in frames:
            raw.send(data)
            self.seq += 1
        self.stats.messages += len(frames)
        self.stats.batches += 1
        if not self._probe(raw):
            self.connect()

    def _probe(self, raw: RawSession) -> bool:
        # Three probes, each a SequenceReset-Reset (its MsgSeqNum is ignored) and a TestRequest: a frame that
        # claims more bytes than it has swallows what follows it (QuickFIX's framing, as the protocol allows for
        # garbled input), so the first copies may be eaten; the last one must be answered.
        base = 1_000_000 + 100 * self.stats.batches  # above anything a batch used
        probe = ""
        for copy in range(3):
            probe = f"PROBE-{next(self._probes)}"
            self.seq = base + 10 * copy
            raw.send(encode("4", 1, [(36, str(self.seq))], sender=FUZZER))
            raw.send(encode("1", self.seq, [(112, probe)], sender=FUZZER))
        self.seq += 1
        raw.sock.settimeout(self.probe_timeout)
        try:
            while (message := raw.read_message()) is not None:
                msg_type = (message.get(35) or b"?").decode()
                self.stats.answers[msg_type] += 1
                if msg_type == "0" and message.get(112) == probe.encode():
                    self.stats.probes_answered += 1
                    return True
        except TimeoutError:
            # Still swallowed (a BodyLength far too long): the counterparty's remedy is to hang up, which drops
            # the half-read buffer on the gateway's side.
            self.stats.stalls += 1
            raw.close()
            raw.closed = True
        finally:
            if not raw.closed:
                raw.sock.settimeout(10)
        return False

    def close(self) -> None:
        """Log out politely when the session is up; close the socket."""
        if self.raw is not None and not self.raw.closed:
            self.raw.send(encode("5", self.seq, [], sender=FUZZER))
            self.raw.read_all_until_closed()
        if self.raw is not None:
            self.raw.close()


@dataclass
class FuzzSystem:
    """Venue simulator and gateway with the default CLIENT1 session and an extra FUZZER session."""

    venue: VenueServer
    gateway: Gateway
    gateway_sessions: SessionsFile
    port: int


def start_fuzz_system(work: Path, config: GatewayConfig) -> FuzzSystem:
    """Start venue and gateway; FUZZER trades account FZ on the client acceptor."""
    gateway_sessions, venue_sessions, port = make_sessions(work)
    client1 = next(own for own in gateway_sessions.sessions if own.get("TargetCompID") == "CLIENT1")
    gateway_sessions.sessions.append(client1 | {"TargetCompID": FUZZER})
    clients = dict(config.clients) | {FUZZER: ClientConfig(accounts=["FZ"])}
    venue = VenueServer(config.simulator, venue_sessions)
    gateway = Gateway(config.model_copy(update={"clients": clients}), gateway_sessions)
    venue.start()
    gateway.start()
    assert gateway.venues.app.wait_for_logon(timeout=10), "gateway did not log on to the venue"
    return FuzzSystem(venue, gateway, gateway_sessions, port)


def book_problems(gateway: Gateway) -> list[str]:
    """Every order whose quantities break the book's invariants, or whose SQL row differs from memory."""
    from oms.store import repository

    assert gateway.journal.flush(), "the journal did not catch up"
    rows = {r["order_id"]: r for r in repository.load_orders(gateway.db)}
    problems = []
    for order in gateway.oms.book.by_id.values():
        if not (Decimal(0) <= order.cum_qty <= max(order.order_qty, Decimal(0)) and order.leaves_qty >= 0):
            problems.append(f"{order.order_id}: cum {order.cum_qty} leaves {order.leaves_qty} of {order.order_qty}")
        row = rows.get(order.order_id)
        stored = None if row is None else repository.order_from_row(row)
        if stored is None or (stored.status, stored.cum_qty, stored.leaves_qty) != (
            order.status,
            order.cum_qty,
            order.leaves_qty,
        ):
            problems.append(f"{order.order_id}: SQL row {'missing' if stored is None else 'differs'}")
    return problems
