"""A raw-socket FIX counterparty for security and fuzz tests: the test, not an engine, decides every byte."""

from __future__ import annotations

import socket
import ssl
import time
from collections.abc import Callable, Iterable

import simplefix

from fixgw.codec.outbound import format_utc_timestamp

Fields = list[tuple[int, str]]
"""(tag, value): a value's text goes out as UTF-8, and a lone surrogate (``"\udcff"``) as the byte it stands for,
so a test can send any bytes at all."""


def encode(
    msg_type: str,
    seq: int,
    body: Fields,
    *,
    sender: str = "CLIENT1",
    target: str = "FIXGW",
    begin_string: str = "FIX.4.4",
    header: Fields | None = None,
) -> bytes:
    """Frame a message with a correct BodyLength (9) and CheckSum (10)."""
    head_fields = [(35, msg_type), (49, sender), (56, target), (34, str(seq)), (52, now()), *(header or [])]
    return frame(
        begin_string, b"".join(f"{t}={v}\x01".encode("utf-8", "surrogateescape") for t, v in [*head_fields, *body])
    )


def frame(begin_string: str, payload: bytes) -> bytes:
    """Wrap ``payload`` (fields after BodyLength) with 8, 9 and 10."""
    head = f"8={begin_string}\x019={len(payload)}\x01".encode()
    return head + payload + f"10={checksum(head + payload):03d}\x01".encode()


def checksum(data: bytes) -> int:
    """FIX CheckSum (10): the byte sum modulo 256."""
    return sum(data) % 256


def now() -> str:
    """SendingTime (52) for now."""
    return format_utc_timestamp(time.time_ns())


class RawSession:
    """One TCP (or TLS) connection speaking FIX by hand."""

    def __init__(self, port: int, *, tls: ssl.SSLContext | None = None, timeout: float = 10.0) -> None:
        sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        try:
            self.sock: socket.socket = tls.wrap_socket(sock, server_hostname="127.0.0.1") if tls else sock
        except OSError:
            sock.close()
            raise
        self.parser = simplefix.FixParser()
        self.received: list[simplefix.FixMessage] = []
        self.closed = False

    def send(self, data: bytes) -> None:
        """Send bytes as they are; a peer that already closed is noticed by the next read."""
        try:
            self.sock.sendall(data)
        except OSError:
            self.closed = True

    def read_message(self) -> simplefix.FixMessage | None:
        """Return the next message, or None when the peer closed the connection."""
        while True:
            message = self.parser.get_message()
            if message is not None:
                self.received.append(message)
                return message
            try:
                chunk = self.sock.recv(65536)
            except (ConnectionResetError, ssl.SSLError):
                chunk = b""
            if not chunk:
                self.closed = True
                return None
            self.parser.append_buffer(chunk)

    def wait_for(self, predicate: Callable[[simplefix.FixMessage], bool], what: str) -> simplefix.FixMessage:
        """Return the first message matching ``predicate``; fail if the connection closes first."""
        while (message := self.read_message()) is not None:
            if predicate(message):
                return message
        raise AssertionError(f"connection closed before {what}; received {[m.get(35) for m in self.received]}")

    def read_all_until_closed(self) -> bytes:
        """Read until the peer closes; return every raw byte received (for 'nothing was sent' checks)."""
        data = b""
        while True:
            try:
                chunk = self.sock.recv(65536)
            except (ConnectionResetError, ssl.SSLError):
                return data
            if not chunk:
                return data
            data += chunk

    def logon(self, seq: int = 1, extra: Iterable[tuple[int, str]] = (), heart_bt_int: int = 30) -> None:
        """Send a Logon that resets both sides (141=Y) and wait for the answer."""
        self.send(encode("A", seq, [(98, "0"), (108, str(heart_bt_int)), (141, "Y"), *extra]))
        self.wait_for(lambda m: m.get(35) == b"A", "the Logon answer")

    def close(self) -> None:
        """Close the socket."""
        self.sock.close()


def field(message: simplefix.FixMessage, tag: int) -> str | None:
    """Return a field as text, or None."""
    raw = message.get(tag)
    return None if raw is None else raw.decode()
