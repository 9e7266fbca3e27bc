"""A non-quickfix client over a raw socket: field order, padded BodyLength, user tags, other heartbeats."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest
import simplefix

from fixgw.codec.outbound import format_utc_timestamp
from tests.integration.conftest import System

pytestmark = pytest.mark.integration


def frame(msg_type: str, seq: int, body: list[tuple[int, str]], pad_body_length: bool = False) -> bytes:
    """Encode by hand so that the test, not a library, decides field order and BodyLength format."""
    header = [
        (35, msg_type),
        (49, "CLIENT1"),
        (56, "FIXGW"),
        (34, str(seq)),
        (52, format_utc_timestamp(time.time_ns())),
    ]
    payload = b"".join(f"{t}={v}\x01".encode() for t, v in header + body)
    length = f"{len(payload):06d}" if pad_body_length else str(len(payload))
    head = f"8=FIX.4.4\x019={length}\x01".encode()
    checksum = sum(head + payload) % 256
    return head + payload + f"10={checksum:03d}\x01".encode()


class RawClient:
    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.parser = simplefix.FixParser()

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def messages(self) -> Iterator[simplefix.FixMessage]:
        while True:
            message = self.parser.get_message()
            if message is not None:
                yield message
                continue
            chunk = self.sock.recv(65536)
            if not chunk:
                return
            self.parser.append_buffer(chunk)

    def wait_for(self, predicate: object, what: str) -> simplefix.FixMessage:
        for message in self.messages():
            if predicate(message):  # type: ignore[operator]
                return message
        raise AssertionError(f"connection closed before {what}")


def test_third_party_client_when_unusual_but_valid_framing_then_trades(system: System) -> None:
    system.client.stop()  # the raw client takes over CLIENT1's session
    raw = RawClient(system.client_port)
    # HeartBtInt 7 s, ResetSeqNumFlag so the stored sequence numbers of the quickfix client do not matter.
    raw.send(frame("A", 1, [(98, "0"), (108, "7"), (141, "Y")], pad_body_length=True))
    logon = raw.wait_for(lambda m: m.get(35) == b"A", "Logon")
    assert logon.get(108) == b"7"

    # Body fields out of the dictionary's order, user-defined tags, no optional tags, padded BodyLength.
    body = [
        (5001, "desk-7"),
        (44, "100.05"),
        (38, "10"),
        (55, "MSFT"),
        (40, "2"),
        (54, "1"),
        (9999, "x"),
        (11, "RAW-1"),
        (60, format_utc_timestamp(time.time_ns())),
    ]
    raw.send(frame("D", 2, body, pad_body_length=True))

    filled = raw.wait_for(lambda m: m.get(35) == b"8" and m.get(39) == b"2", "the fill")
    assert (filled.get(11), filled.get(14), filled.get(31)) == (b"RAW-1", b"10", b"100.01")
    raw.sock.close()
