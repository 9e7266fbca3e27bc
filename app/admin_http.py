"""The admin API's HTTP guard rails: how much one request may send, how many are served at once, and for how long.

Theory of operation: the admin API is a ``ThreadingHTTPServer`` (one thread a connection, one request a
connection: HTTP/1.0). Left alone it reads any Content-Length it is told into memory, starts a thread for every
connection, and waits for a silent client forever. Here:

- **Bodies** are read only up to ``MAX_BODY_BYTES``; a larger Content-Length is answered 413 before a byte of the
  body is read, a missing or malformed one 400, a chunked body 411 (nothing we serve sends one).
- **Connections**: at most ``MAX_CONNECTIONS`` are handled at once. One more is answered 503 (with Retry-After) at
  once, on the accepting thread, rather than queued: an operator's CLI or the dashboard retries, and a flood of
  connections can neither pile up threads nor delay the requests already being served.
- **Time**: a request must arrive whole within ``REQUEST_DEADLINE_S`` of its connection; a ``Watchdog`` shuts the
  socket of one that has not (a client trickling a byte every few seconds defeats a per-read timeout alone). Each
  read and write also times out after ``IO_TIMEOUT_S``.
- **Closing** after an early answer (413, 503 ...) with part of the request unread: a plain close would make the
  kernel reset the connection, and the reset can destroy our answer in the client's buffers before it reads it.
  So the answer is sent, our side of the connection shut, and what the client still sends read and dropped for a
  short, bounded while (``LINGER_*``), as web servers do ("lingering close").
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from http.server import ThreadingHTTPServer
from typing import Any

MAX_BODY_BYTES = 64 * 1024
"""The largest request body served: the admin API's requests are a few hundred bytes of JSON."""
MAX_CONNECTIONS = 16
"""Connections handled at once; one more is answered 503 at once."""
REQUEST_DEADLINE_S = 10.0
"""From connection to the last byte of the request: a slower client is cut off."""
IO_TIMEOUT_S = 10.0
"""One socket read or write (also while answering)."""
LINGER_BYTES = 1024 * 1024
LINGER_S = 1.0
"""After an early answer: at most this much of the rest of the request is read (and dropped) before closing."""
REFUSAL_LINGER_S = 0.05
"""The same for a 503 sent by the accepting thread, which must not wait long for anyone."""

_BUSY_BODY = b'{"error": "the admin API is serving %d connections already; retry shortly"}' % MAX_CONNECTIONS
BUSY_ANSWER = (
    b"HTTP/1.0 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\n"
    b"Content-Length: %d\r\n\r\n" % len(_BUSY_BODY)
) + _BUSY_BODY
"""The whole answer to a connection beyond ``MAX_CONNECTIONS``."""


def linger(sock: socket.socket, seconds: float = LINGER_S, limit: int = LINGER_BYTES) -> None:
    """Shut our side of ``sock`` (the answer is sent) and drop what the client still sends, for a bounded while;
    the caller closes it."""
    try:
        sock.shutdown(socket.SHUT_WR)
        deadline = time.monotonic() + seconds
        dropped = 0
        while dropped < limit and (left := deadline - time.monotonic()) > 0:
            sock.settimeout(left)
            chunk = sock.recv(65536)
            if not chunk:
                break
            dropped += len(chunk)
    except OSError:  # reset, timed out or already shut: nothing more to wait for
        pass


class Watchdog:
    """Cut off connections whose request has not arrived whole by its deadline (one thread, asleep while idle)."""

    def __init__(self, deadline_s: float) -> None:
        self._deadline_s = deadline_s
        self._watched: dict[socket.socket, float] = {}
        self._changed = threading.Condition()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="admin-api-watchdog", daemon=True)

    def start(self) -> None:
        """Watch in the background."""
        self._thread.start()

    def stop(self) -> None:
        """Stop watching."""
        with self._changed:
            self._stopped = True
            self._changed.notify()
        if self._thread.is_alive():
            self._thread.join()

    def watch(self, sock: socket.socket) -> None:
        """Start the clock of a new connection."""
        with self._changed:
            self._watched[sock] = time.monotonic() + self._deadline_s
            self._changed.notify()

    def release(self, sock: socket.socket) -> None:
        """The request arrived whole (or the connection ends): stop its clock."""
        with self._changed:
            self._watched.pop(sock, None)

    def _run(self) -> None:
        with self._changed:
            while not self._stopped:
                now = time.monotonic()
                for sock in [s for s, deadline in self._watched.items() if deadline <= now]:
                    del self._watched[sock]
                    _cut(sock)
                wait = min(self._watched.values(), default=None)
                self._changed.wait(None if wait is None else max(wait - now, 0.0))


def _cut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # the worker blocked in recv wakes with end-of-file and finishes
        sock.shutdown(socket.SHUT_RDWR)


class BoundedHTTPServer(ThreadingHTTPServer):
    """A ``ThreadingHTTPServer`` that serves at most ``MAX_CONNECTIONS`` at once and answers 503 beyond them."""

    request_queue_size = 4 * MAX_CONNECTIONS
    """The listen backlog (socketserver's default, 5, drops a burst of connections: the client retries after 1 s)."""

    def __init__(self, address: tuple[str, int], handler: Any) -> None:
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        self.watchdog = Watchdog(REQUEST_DEADLINE_S)
        super().__init__(address, handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        """Serve on a thread of its own if a slot is free, else answer 503 right here."""
        if not self._slots.acquire(blocking=False):
            with contextlib.suppress(OSError):
                request.sendall(BUSY_ANSWER)
            linger(request, REFUSAL_LINGER_S)
            request.close()
            return
        try:
            super().process_request(request, client_address)
        except BaseException:  # no thread started: the slot is free again
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        """Serve one connection, then free its slot."""
        self.watchdog.watch(request)
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.watchdog.release(request)
            self._slots.release()
