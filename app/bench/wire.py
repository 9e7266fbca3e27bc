"""Raw FIX on a socket for the load generator: encode with pre-encoded bodies, frame what arrives.

Why not quickfix or simplefix here: the load generator must not be the bottleneck of what it measures. A
quickfix initiator pays a SWIG callback per message (about as much as the gateway it would be measuring), and
simplefix parses every field; the generator only needs a handful of tags from each ExecutionReport, found with
``bytes.find``, and sends bodies encoded before the run starts.
"""

from __future__ import annotations

import time

SOH = b"\x01"
_CHECKSUM_LEN = 7  # "10=nnn<SOH>"


class Encoder:
    """Build complete messages of one session: header with MsgSeqNum and SendingTime, body, CheckSum."""

    def __init__(self, begin_string: str, sender: str, target: str) -> None:
        self._begin = f"8={begin_string}\x019=".encode()
        self._ids = f"\x0149={sender}\x0152=".encode()
        self._target = f"\x0156={target}\x01".encode()
        self.next_seq = 1
        self._second = -1
        self._prefix = b""

    def timestamp(self) -> bytes:
        """UTCTimestamp with milliseconds, the strftime done once a second."""
        ns = time.time_ns()
        second, rest = divmod(ns, 1_000_000_000)
        if second != self._second:
            self._second = second
            self._prefix = time.strftime("%Y%m%d-%H:%M:%S", time.gmtime(second)).encode()
        return b"%s.%03d" % (self._prefix, rest // 1_000_000)

    def encode(self, msg_type: bytes, body: bytes, timestamp: bytes | None = None) -> bytes:
        """One message of ``msg_type`` with ``body`` (SOH-terminated fields), the next MsgSeqNum and CheckSum."""
        ts = timestamp if timestamp is not None else self.timestamp()
        seq = self.next_seq
        self.next_seq = seq + 1
        payload = b"35=%s\x0134=%d%s%s%s%s" % (msg_type, seq, self._ids, ts, self._target, body)
        message = b"%s%d\x01%s" % (self._begin, len(payload), payload)
        return b"%s10=%03d\x01" % (message, sum(message) & 0xFF)


class Framer:
    """Split a byte stream into whole FIX messages, however the reads cut it (BodyLength (9) frames)."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[bytes]:
        """Add received bytes; return every message now complete, in order."""
        buffer = self._buffer
        buffer += data
        messages: list[bytes] = []
        start = 0
        while True:
            length_at = buffer.find(b"\x019=", start)
            if length_at < 0:
                break
            body_at = buffer.find(SOH, length_at + 3)
            if body_at < 0:
                break
            end = body_at + 1 + int(buffer[length_at + 3 : body_at]) + _CHECKSUM_LEN
            if end > len(buffer):
                break
            messages.append(bytes(buffer[start:end]))
            start = end
        del buffer[:start]
        return messages


def field(message: bytes, tag: bytes) -> bytes | None:
    """The value of the first ``tag`` (given as b"\\x01NN=") in ``message``, or None."""
    at = message.find(tag)
    if at < 0:
        return None
    at += len(tag)
    return message[at : message.find(SOH, at)]
