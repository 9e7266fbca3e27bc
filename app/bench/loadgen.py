"""A FIX load generator on a raw socket: closed loop with an in-flight window, or open loop at a fixed rate.

Theory of operation: one thread, one socket. Orders are encoded before the run (everything but MsgSeqNum,
SendingTime and TransactTime, which must be current); the loop sends what the window or the schedule allows in
one ``sendall``, then reads whatever ExecutionReports have arrived and times them. Latency is measured from the
moment an order was sent (closed loop) or was *due* to be sent (open loop), so a stall of the system under test
is counted in every order it delays rather than hidden by the generator waiting (coordinated omission).

The orders come in pairs at one price where the venue has no resting liquidity: a buy that rests, then a sell
that trades with it. Every order is acknowledged and every order ends filled, half as the taker and half as the
maker, and the flow can go on for a million orders without draining any book.
"""

from __future__ import annotations

import selectors
import socket
import time
from array import array
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from app.bench.wire import Encoder, Framer
from app.bench.wire import field as fix_field

_TAG_MSG_TYPE = b"\x0135="
_TAG_CL_ORD_ID = b"\x0111="
_TAG_ORD_STATUS = b"\x0139="
_TAG_TEXT = b"\x0158="
_TAG_TEST_REQ_ID = b"\x01112="
_TERMINAL = frozenset((b"2", b"4", b"8", b"C"))  # filled, canceled, rejected, expired
_NOT_YET = -1


class LoadError(Exception):
    """The load generator could not connect, log on, or finish its run."""


@dataclass
class OrderFlow:
    """What to send: the session's identity and the order terms."""

    sender: str = "CLIENT1"
    target: str = "FIXGW"
    begin_string: str = "FIX.4.4"
    account: str = ""
    symbol: str = "MSFT"
    price: Decimal = Decimal("100.00")
    qty: Decimal = Decimal("100")
    heartbeat_s: int = 30


@dataclass
class LoadResult:
    """Timings of one run: per order, ns from (scheduled) send to the first report and to the fill."""

    orders: int
    window: int | None
    rate: float | None
    elapsed_ns: int
    last_ack_ns: int
    ack_latency_ns: array[int]
    fill_latency_ns: array[int]
    """Only for orders filled on arrival (the sell of each pair): a resting buy waits for the next order."""
    rejected: int = 0
    reject_texts: Counter[str] = field(default_factory=Counter)
    session_rejects: int = 0
    generator_cpu_s: float = 0.0

    @property
    def orders_per_s(self) -> float:
        """Orders answered with their final report, per second of the run."""
        return self.orders / (self.elapsed_ns / 1e9) if self.elapsed_ns else 0.0

    @property
    def acks_per_s(self) -> float:
        """Orders acknowledged (first ExecutionReport), per second until the last acknowledgement."""
        return self.orders / (self.last_ack_ns / 1e9) if self.last_ack_ns else 0.0


class LoadGenerator:
    """Log on to an acceptor and drive pairs of crossing orders through it."""

    def __init__(self, host: str, port: int, flow: OrderFlow, run_id: str) -> None:
        self._address = (host, port)
        self._flow = flow
        self._run_id = run_id
        self._encoder = Encoder(flow.begin_string, flow.sender, flow.target)
        self._framer = Framer()
        self._sock: socket.socket | None = None
        self._batch = 0
        self._answered_before = 0
        self._current: _Run | None = None

    def answered(self) -> int:
        """Orders answered with their final report so far, over every run (read by a memory sampler)."""
        current = self._current
        return self._answered_before + (current.done if current is not None else 0)

    # -- session -------------------------------------------------------------------------------------

    def connect(self, timeout: float = 30.0) -> None:
        """Connect (retrying until the acceptor listens) and log on with ResetSeqNumFlag (141=Y)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                self._sock = socket.create_connection(self._address, timeout=1.0)
                break
            except OSError as exc:
                if time.monotonic() > deadline:
                    raise LoadError(f"cannot connect to {self._address[0]}:{self._address[1]}: {exc}") from None
                time.sleep(0.05)  # waiting for a process to start listening: there is no event to wait on
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sock.settimeout(None)
        logon = b"98=0\x01108=%d\x01141=Y\x01" % self._flow.heartbeat_s
        self._sock.sendall(self._encoder.encode(b"A", logon))
        reply = self._read_until(lambda m: fix_field(m, _TAG_MSG_TYPE) in (b"A", b"5"), deadline)
        if fix_field(reply, _TAG_MSG_TYPE) != b"A":
            raise LoadError(f"logon refused: {_text(reply)}")

    def close(self) -> None:
        """Log out (best effort) and close the socket."""
        if self._sock is None:
            return
        try:
            self._sock.sendall(self._encoder.encode(b"5", b""))
            self._read_until(lambda m: fix_field(m, _TAG_MSG_TYPE) == b"5", time.monotonic() + 5)
        except (OSError, LoadError):
            pass
        self._sock.close()
        self._sock = None

    def _read_until(self, wanted: object, deadline: float) -> bytes:
        assert self._sock is not None and callable(wanted)
        while time.monotonic() < deadline:
            self._sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                data = self._sock.recv(65536)
            except TimeoutError:
                break
            if not data:
                raise LoadError("the acceptor closed the connection")
            for message in self._framer.feed(data):
                self._answer_admin(message)
                if wanted(message):
                    self._sock.settimeout(None)
                    return message
        raise LoadError("timed out waiting for the acceptor")

    def _answer_admin(self, message: bytes) -> bytes | None:
        """Answer a TestRequest (35=1) with a Heartbeat carrying its TestReqID (112); return the MsgType."""
        msg_type = fix_field(message, _TAG_MSG_TYPE)
        if msg_type == b"1" and self._sock is not None:
            test_req_id = fix_field(message, _TAG_TEST_REQ_ID) or b""
            self._sock.sendall(self._encoder.encode(b"0", b"112=%s\x01" % test_req_id))
        return msg_type

    # -- orders ----------------------------------------------------------------------------------------

    def _bodies(self, count: int) -> list[bytes]:
        """NewOrderSingle bodies without TransactTime (60), which must be current: buy, sell, buy, sell …"""
        self._batch += 1
        flow = self._flow
        account = f"1={flow.account}\x01" if flow.account else ""
        common = f"{account}55={flow.symbol}\x0138={flow.qty}\x0140=2\x0144={flow.price}\x01"
        prefix = f"11={self._run_id}.{self._batch}."
        return [f"{prefix}{i}\x01{common}54={1 + i % 2}\x01".encode() for i in range(count)]

    def run(self, count: int, window: int | None = None, rate: float | None = None, timeout: float = 600) -> LoadResult:
        """Send ``count`` orders (even), closed loop with ``window`` in flight or open loop at ``rate`` per s."""
        if self._sock is None:
            raise LoadError("not connected")
        if (window is None) == (rate is None):
            raise ValueError("give exactly one of window (closed loop) or rate (open loop)")
        count += count % 2
        run = _Run(count, self._bodies(count), f"{self._run_id}.{self._batch}.".encode())
        cpu = time.process_time()
        self._current = run
        try:
            self._loop(run, window, rate, time.monotonic() + timeout)
        finally:
            self._current = None
            self._answered_before += run.done
        return run.result(window, rate, time.process_time() - cpu)

    def _loop(self, run: _Run, window: int | None, rate: float | None, deadline: float) -> None:
        assert self._sock is not None
        sock = self._sock
        selector = selectors.DefaultSelector()
        selector.register(sock, selectors.EVENT_READ)
        interval = int(1e9 / rate) if rate else 0
        run.start_ns = time.perf_counter_ns()
        while run.done < run.count:
            now = time.perf_counter_ns()
            if run.sent < run.count:
                due = self._due(run, window, interval, now)
                if due:
                    sock.sendall(self._orders(run, due, interval))
            wait = self._next_send_in(run, interval, window) if run.sent < run.count else 0.05
            if selector.select(wait):
                data = sock.recv(262144)
                if not data:
                    raise LoadError(f"the acceptor closed the connection after {run.done} of {run.count} orders")
                self._receive(run, data)
            if time.monotonic() > deadline:
                raise LoadError(f"run timed out: {run.done} of {run.count} orders answered")
        selector.close()

    @staticmethod
    def _due(run: _Run, window: int | None, interval: int, now: int) -> int:
        if window is not None:
            return min(window - (run.sent - run.acked), run.count - run.sent)
        return min((now - run.start_ns) // interval + 1 - run.sent, run.count - run.sent)

    @staticmethod
    def _next_send_in(run: _Run, interval: int, window: int | None) -> float:
        if window is not None:
            return 0.05  # the next send is triggered by an acknowledgement
        due_ns = run.start_ns + run.sent * interval
        return max(0.0, (due_ns - time.perf_counter_ns()) / 1e9)

    def _orders(self, run: _Run, due: int, interval: int) -> bytes:
        encoder = self._encoder
        ts = encoder.timestamp()
        transact = b"60=%s\x01" % ts
        chunks = []
        now = time.perf_counter_ns()
        for i in range(run.sent, run.sent + due):
            chunks.append(encoder.encode(b"D", run.bodies[i] + transact, ts))
            # Open loop: the clock starts when the order was due, not when we got round to sending it.
            run.sent_ns[i] = run.start_ns + i * interval if interval else now
        run.sent += due
        return b"".join(chunks)

    def _receive(self, run: _Run, data: bytes) -> None:
        now = time.perf_counter_ns()
        for message in self._framer.feed(data):
            msg_type = self._answer_admin(message)
            if msg_type == b"8":
                run.report(message, now)
            elif msg_type in (b"3", b"j"):
                run.session_rejects += 1
                run.reject_texts[_text(message)] += 1


class _Run:
    """Bookkeeping of one run, indexed by the order's number in the run (the tail of its ClOrdID)."""

    def __init__(self, count: int, bodies: list[bytes], prefix: bytes) -> None:
        self.count = count
        self.bodies = bodies
        self.prefix_len = len(prefix)
        self.sent = self.acked = self.done = self.rejected = self.session_rejects = 0
        self.start_ns = 0
        self.last_ack_ns = 0
        self.end_ns = 0
        self.sent_ns = array("q", [0]) * count
        self.ack_ns = array("q", [_NOT_YET]) * count
        self.fill_ns = array("q", [_NOT_YET]) * count
        self.reject_texts: Counter[str] = Counter()

    def report(self, message: bytes, now: int) -> None:
        cl_ord_id = fix_field(message, _TAG_CL_ORD_ID)
        if cl_ord_id is None or not cl_ord_id[self.prefix_len :].isdigit():
            return  # not one of this run's orders (e.g. a warm-up straggler)
        i = int(cl_ord_id[self.prefix_len :])
        if self.ack_ns[i] == _NOT_YET:
            self.ack_ns[i] = now - self.sent_ns[i]
            self.acked += 1
            self.last_ack_ns = now
        status = fix_field(message, _TAG_ORD_STATUS)
        if status in _TERMINAL and self.fill_ns[i] == _NOT_YET:
            self.fill_ns[i] = now - self.sent_ns[i]
            self.done += 1
            self.end_ns = now
            if status == b"8":
                self.rejected += 1
                self.reject_texts[_text(message)] += 1

    def result(self, window: int | None, rate: float | None, cpu_s: float) -> LoadResult:
        takers = array("q", (self.fill_ns[i] for i in range(1, self.count, 2)))
        return LoadResult(
            orders=self.count,
            window=window,
            rate=rate,
            elapsed_ns=self.end_ns - self.start_ns,
            last_ack_ns=self.last_ack_ns - self.start_ns,
            ack_latency_ns=self.ack_ns,
            fill_latency_ns=takers,
            rejected=self.rejected,
            reject_texts=self.reject_texts,
            session_rejects=self.session_rejects,
            generator_cpu_s=cpu_s,
        )


def _text(message: bytes) -> str:
    raw = fix_field(message, _TAG_TEXT)
    return raw.decode("latin-1") if raw else f"({fix_field(message, _TAG_MSG_TYPE)!r} without Text)"
