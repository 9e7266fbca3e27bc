"""A JetStream publisher for threads: a NATS connection of its own, written and read by the publishing thread.

Theory of operation. Every JetStream publish in the services waits for its PubAck on the thread that publishes (a
client session's at the edge, the relay and the venue sender at the core, a venue session's): its message must be
stored before the thread goes on. Through ``NatsLink`` that cost two thread hops per publish, to the link's event
loop and back, each a wake-up and a turn of the GIL on two busy cores (about 0.3 ms at window 1 on the edge's
command path, measured: bench/services.results.txt), and the loop's time besides. Here the thread itself writes
the ``HPUB`` (the subject, a reply inbox of this connection, the Nats-Msg-Id header) and reads the PubAck from its
socket, the GIL released while it waits, so nothing else runs for it.

- One connection, one thread at a time (a lock): a publisher per publishing thread, or a shared one where
  publishes are serialized anyway (the edge's, under the bus lock).
- ``publish_all`` writes every message, then reads their PubAcks; the stream stores them in the order written.
- A failure (the server away or restarting, a PubAck not in time, a 503 from JetStream) drops the connection; the
  messages not yet acked are written again in order, with the same Nats-Msg-Id, on a new one, until the deadline:
  one JetStream had already stored is dropped as a duplicate (the PubAck says so, and ``on_duplicates`` is told).
  At the deadline ``TransportUnavailable``.
- ``send`` is plain NATS on a connection that only sends (the core's fast reports, from the committing thread): it
  never waits — no connection now, or a full socket buffer, and it says so, and the caller sends another way.
- Nothing else comes on the connection but the PubAcks to its inbox and the server's PINGs (answered as they come,
  and while idle the server's PINGs wait in the socket: it may drop the connection, and the next publish opens a
  new one).
"""

from __future__ import annotations

import contextlib
import secrets
import socket
import ssl
import threading
import time
from collections.abc import Callable, Sequence
from urllib.parse import unquote, urlparse

import msgspec

from transport.errors import TransportUnavailable

_RETRY_S = 0.2
_ACK_S = 2.0
"""How long one attempt waits for the PubAcks (as the loop's ``publish`` did), before writing them again."""
_CONNECT_S = 2.0
_SEND_CONNECT_S = 0.05
"""``send`` waits at most this long to connect or to write (a local server answers in well under a millisecond)."""


class _PubAck(msgspec.Struct):
    duplicate: bool = False
    error: dict[str, object] | None = None


_ack_decoder = msgspec.json.Decoder(_PubAck)


class _Retry(Exception):
    """This attempt failed in a way that may heal: drop the connection and try again until the deadline."""


class JetStreamPublisher:
    """Publish to JetStream and wait for the PubAcks on the calling thread (see the module)."""

    def __init__(self, url: str, name: str, on_duplicates: Callable[[int, str], None]) -> None:
        """``url``: the server (``nats://`` or ``tls://``, user and password or token in it if any); ``name``: shows
        in the server's monitoring; ``on_duplicates(count, subject)``: JetStream dropped ``count`` as duplicates."""
        parsed = urlparse(url)
        self._host = parsed.hostname or "127.0.0.1"
        self._port = parsed.port or 4222
        self._tls = parsed.scheme == "tls"
        self._connect_fields: dict[str, object] = {
            "verbose": False,
            "pedantic": False,
            "lang": "python",
            "version": "fixgw",
            "protocol": 1,
            "headers": True,
            "no_responders": True,
            "name": name,
        }
        if parsed.username and parsed.password is not None:
            self._connect_fields |= {"user": unquote(parsed.username), "pass": unquote(parsed.password)}
        elif parsed.username:
            self._connect_fields["auth_token"] = unquote(parsed.username)
        self._on_duplicates = on_duplicates
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._buffer = bytearray()
        self._inbox = f"_INBOX.{secrets.token_hex(11)}.".encode()
        self._sequence = 0
        self._closed = False
        self._retry_at = 0.0
        """``send``: no connection attempt before this (monotonic)."""

    def publish(self, subject: str, payload: bytes, msg_id: str | None, timeout: float = 10.0) -> None:
        """Publish and wait for the PubAck; retry (same Nats-Msg-Id) until ``timeout``, then raise
        ``TransportUnavailable``."""
        self.publish_all([(subject, payload, msg_id)], timeout)

    def publish_all(self, messages: Sequence[tuple[str, bytes, str | None]], timeout: float = 30.0) -> None:
        """Publish ``(subject, payload, msg_id)`` in order, the PubAcks awaited together; retry as ``publish``."""
        if not messages:
            return
        deadline = time.monotonic() + timeout
        waiting = list(messages)
        # Another thread's publish may hold the connection (the venue service's two threads share one): wait for it
        # only as long as this publish may take, so that a late message is never written after its deadline.
        if not self._lock.acquire(timeout=max(0.0, deadline - time.monotonic())):
            raise TransportUnavailable(f"JetStream did not take {waiting[0][0]} within {timeout:g}s: publisher busy")
        try:
            while True:
                reused = self._sock is not None
                try:
                    self._exchange(waiting, deadline)
                    return
                except (OSError, _Retry, ValueError, msgspec.DecodeError) as exc:  # ValueError: not the protocol
                    self._close()
                    if reused and not self._closed and time.monotonic() < deadline:  # dropped while idle: at once
                        continue
                    if self._closed or time.monotonic() + _RETRY_S > deadline:
                        subject = waiting[0][0]
                        raise TransportUnavailable(
                            f"JetStream did not take {subject} within {timeout:g}s: {exc!r}"
                        ) from None
                    time.sleep(_RETRY_S)  # the server is away: a pause before the next connection attempt
        finally:
            self._lock.release()

    def close(self) -> None:
        """Close the connection and refuse publishes from now on; one waiting (for a server that is away, say)
        raises ``TransportUnavailable`` at once rather than at its deadline."""
        self._closed = True
        sock = self._sock
        if sock is not None:  # without the lock, which a waiting publish holds: its recv fails at once
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        with self._lock:
            self._close()

    def send(self, subject: str, payload: bytes) -> bool:
        """Publish on plain NATS and return at once (at most once): True when written; False when it could not be
        now (no connection, which it tries to open at most every ``_RETRY_S``, briefly; or a publish in progress):
        the caller sends it another way. For a thread that must never wait on NATS (the core's commit)."""
        if not self._lock.acquire(blocking=False):
            return False
        try:
            now = time.monotonic()
            if self._sock is None and (self._closed or now < self._retry_at):
                return False
            try:
                sock = self._connected(now + _SEND_CONNECT_S, _SEND_CONNECT_S)
                if sock.gettimeout() != 0.0:  # this connection only sends: never wait on it
                    sock.settimeout(0.0)
                self._answer_pings(sock)
                sock.sendall(b"PUB %s %d\r\n%s\r\n" % (subject.encode(), len(payload), payload))
            except (OSError, _Retry, ValueError):  # BlockingIOError: its buffer is full, the server is not reading
                self._close()  # a part written is a broken stream: a new connection next time
                self._retry_at = now + _RETRY_S
                return False
            return True
        finally:
            self._lock.release()

    def _answer_pings(self, sock: socket.socket) -> None:
        """Read what the server sent meanwhile without waiting (a connection that only sends): PINGs are answered,
        a closed connection raises."""
        try:
            data = sock.recv(65536)  # the socket does not block (no flags: a TLS socket refuses them)
        except (BlockingIOError, ssl.SSLWantReadError):  # nothing there
            return
        if not data:
            raise ConnectionResetError("NATS closed the connection")
        self._buffer += data
        while (end := self._buffer.find(b"\r\n")) >= 0:
            line = bytes(self._buffer[:end])
            del self._buffer[: end + 2]
            if line == b"PING":
                sock.sendall(b"PONG\r\n")
            elif line.startswith(b"-ERR"):
                raise _Retry(f"NATS: {line!r}")

    # -- one attempt -------------------------------------------------------------------------------

    def _exchange(self, waiting: list[tuple[str, bytes, str | None]], deadline: float) -> None:
        """Write every message of ``waiting`` and read their PubAcks; remove each acked from ``waiting`` (what is
        left after a failure is written again, in order)."""
        sock = self._connected(deadline)
        replies: dict[bytes, int] = {}
        out = bytearray()
        for index, (subject, payload, msg_id) in enumerate(waiting):
            self._sequence += 1
            reply = self._inbox + str(self._sequence).encode()
            replies[reply] = index
            if msg_id is None:
                out += b"PUB %s %s %d\r\n" % (subject.encode(), reply, len(payload))
            else:
                header = b"NATS/1.0\r\nNats-Msg-Id: %s\r\n\r\n" % msg_id.encode()
                size = len(header) + len(payload)
                out += b"HPUB %s %s %d %d\r\n" % (subject.encode(), reply, len(header), size)
                out += header
            out += payload
            out += b"\r\n"
        sock.settimeout(max(0.001, deadline - time.monotonic()))  # a write the server does not take ends in time
        sock.sendall(out)
        acked = [False] * len(waiting)
        duplicates, left = 0, len(waiting)
        ack_deadline = min(deadline, time.monotonic() + _ACK_S)
        try:
            while left:
                reply, data = self._next_message(ack_deadline)
                index = replies.get(reply, -1)
                if index < 0 or acked[index]:  # the PubAck of an earlier attempt, come late
                    continue
                if data is None:
                    raise _Retry("no responders (JetStream is not ready)")
                ack = _ack_decoder.decode(data)
                if ack.error is not None:
                    raise _Retry(f"JetStream refused it: {ack.error}")
                acked[index] = True
                duplicates += ack.duplicate
                left -= 1
        finally:
            if duplicates:
                self._on_duplicates(duplicates, waiting[0][0])
            waiting[:] = [message for message, done in zip(waiting, acked, strict=True) if not done]

    # -- the connection ----------------------------------------------------------------------------

    def _connected(self, deadline: float, connect_timeout: float = _CONNECT_S) -> socket.socket:
        if self._sock is not None:
            return self._sock
        if self._closed:
            raise _Retry("the publisher is closed")
        left = max(0.001, deadline - time.monotonic())
        sock = socket.create_connection((self._host, self._port), timeout=min(connect_timeout, left))
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._sock, self._buffer = sock, bytearray()
            info = self._line(deadline)
            if not info.startswith(b"INFO "):
                raise ValueError(f"not a NATS server: {bytes(info[:40])!r}")
            if self._tls or b'"tls_required":true' in info:
                context = ssl.create_default_context()
                sock = self._sock = context.wrap_socket(sock, server_hostname=self._host)
            connect = msgspec.json.encode(self._connect_fields)
            sock.sendall(b"CONNECT %s\r\nSUB %s* 1\r\nPING\r\n" % (connect, self._inbox))
            while (line := self._line(deadline)) != b"PONG":
                if line.startswith(b"-ERR"):
                    raise _Retry(f"NATS refused the connection: {bytes(line)!r}")
        except BaseException:
            self._close()
            raise
        return sock

    def _close(self) -> None:
        if self._sock is not None:
            try:
                self._sock.close()
            finally:
                self._sock = None
        self._buffer = bytearray()

    def _next_message(self, deadline: float) -> tuple[bytes, bytes | None]:
        """The next message to the inbox: (its subject, its payload; None for a status such as 503 no responders).
        Answers PINGs on the way."""
        while True:
            line = self._line(deadline)
            if line.startswith(b"MSG "):
                fields = line.split(b" ")
                return fields[1], self._payload(int(fields[-1]), deadline)
            if line.startswith(b"HMSG "):
                fields = line.split(b" ")
                header_size, size = int(fields[-2]), int(fields[-1])
                body = self._payload(size, deadline)
                status = body[:header_size].split(b"\r\n", 1)[0]  # "NATS/1.0" or "NATS/1.0 503"
                return fields[1], (body[header_size:] if status == b"NATS/1.0" else None)
            if line == b"PING":
                assert self._sock is not None
                self._sock.sendall(b"PONG\r\n")
            elif line.startswith(b"-ERR"):
                raise _Retry(f"NATS: {bytes(line)!r}")
            # INFO (the cluster changed), PONG, +OK: nothing to do

    def _line(self, deadline: float) -> bytes:
        while (end := self._buffer.find(b"\r\n")) < 0:
            self._fill(deadline)
        line = bytes(self._buffer[:end])
        del self._buffer[: end + 2]
        return line

    def _payload(self, size: int, deadline: float) -> bytes:
        while len(self._buffer) < size + 2:
            self._fill(deadline)
        payload = bytes(self._buffer[:size])
        del self._buffer[: size + 2]
        return payload

    def _fill(self, deadline: float) -> None:
        sock = self._sock
        assert sock is not None
        left = deadline - time.monotonic()
        if left <= 0:
            raise _Retry("no PubAck in time")
        sock.settimeout(left)
        try:
            data = sock.recv(65536)
        except TimeoutError:
            raise _Retry("no PubAck in time") from None
        if not data:
            raise ConnectionResetError("NATS closed the connection")
        self._buffer += data
