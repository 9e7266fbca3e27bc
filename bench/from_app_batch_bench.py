"""What the binding's inbound batch (patches/README.md, 11) saves per message, without the noise of a whole system.

One process: a quickfix acceptor (same build, data dictionary, memory store, no log) whose application only reads
each message's MsgType, and a raw-socket client thread that logs on and sends NewOrderSingles in bursts of B
messages (one ``sendall`` each), waiting after each burst until the application has seen them all. Measured: the
engine thread's CPU per message (``/proc/self/task/<tid>/stat``: parsing, validation, store, the upcalls) and the
wall time per message, with the application's ``fromApp`` per message (flag off) against
``fixgw_from_app_batch`` (flag on), alternated per round. ``--busy`` adds a Python thread that keeps the GIL busy
(as the gateway's journal writer does), so each GIL acquisition by the engine thread may wait for it; ``--pin``
keeps the engine thread's Python thread state alive (``fixgw.session.threadstate``, as the gateway does; the bare
baseline does not, so each upcall there also creates and destroys one).

    .venv/bin/python bench/from_app_batch_bench.py [--messages 20000] [--rounds 5] [--busy] [--pin]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import tempfile
import threading
import time
from pathlib import Path

import quickfix

from app.bench.wire import Encoder, Framer
from app.config import REPO_ROOT
from app.ports import free_port
from fixgw.baseline import FillEverything
from fixgw.session.threadstate import pin

_TICK_S = 1 / os.sysconf("SC_CLK_TCK")
_ORDER = b"11=%d\x0155=MSFT\x0154=1\x0160=20261203-12:00:00.000\x0138=100\x0140=2\x0144=100.00\x01"


class _Counting(FillEverything):  # the baseline's do-nothing callbacks; only its fills are replaced by counting
    fixgw_batch_from_app = False
    pin = False

    def __init__(self) -> None:
        super().__init__()
        self.seen = 0
        self.engine_tid = 0
        self.changed = threading.Condition()

    def onLogon(self, sessionID: quickfix.SessionID) -> None:  # noqa: N802, N803
        if self.pin:
            pin()
        self.engine_tid = threading.get_native_id()  # the acceptor's socket thread: it makes every upcall

    def fromApp(self, message: quickfix.Message, sessionID: quickfix.SessionID) -> None:  # noqa: N802, N803
        message.getHeader().getField(35)
        with self.changed:
            self.seen += 1
            self.changed.notify_all()

    def fixgw_from_app_batch(self, batch: list[tuple[quickfix.Message, quickfix.SessionID]]) -> None:
        for message, _session_id in batch:
            message.getHeader().getField(35)
        with self.changed:
            self.seen += len(batch)
            self.changed.notify_all()


class _Batched(_Counting):
    fixgw_batch_from_app = True


def _settings(work: Path, port: int) -> quickfix.SessionSettings:
    cfg = work / "acceptor.cfg"
    cfg.write_text(
        "[DEFAULT]\nConnectionType=acceptor\nStartTime=00:00:00\nEndTime=00:00:00\nHeartBtInt=30\n"
        f"SocketAcceptPort={port}\nSocketNodelay=Y\nUseDataDictionary=Y\n"
        f"DataDictionary={REPO_ROOT / 'specs' / 'FIX44.xml'}\n"
        "[SESSION]\nBeginString=FIX.4.4\nSenderCompID=FIXGW\nTargetCompID=CLIENT1\n"
    )
    return quickfix.SessionSettings(str(cfg))


def _cpu_s(tid: int) -> float:
    fields = Path(f"/proc/self/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * _TICK_S  # utime, stime


def _one(app_class: type[_Counting], messages: int, burst: int) -> tuple[float, float]:
    """Return (engine CPU µs, wall µs) per message."""
    port = free_port()
    with tempfile.TemporaryDirectory() as work:
        app = app_class()
        acceptor = quickfix.SocketAcceptor(app, quickfix.MemoryStoreFactory(), _settings(Path(work), port))
        acceptor.start()
        try:
            sock = socket.create_connection(("127.0.0.1", port))
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            encoder, framer = Encoder("FIX.4.4", "CLIENT1", "FIXGW"), Framer()
            sock.sendall(encoder.encode(b"A", b"98=0\x01108=30\x01141=Y\x01"))
            while not any(b"\x0135=A\x01" in m for m in framer.feed(sock.recv(65536))):
                pass
            with app.changed:
                app.changed.wait_for(lambda: app.engine_tid != 0, 10)
            cpu0, wall0 = _cpu_s(app.engine_tid), time.perf_counter()
            sent = 0
            while sent < messages:
                sock.sendall(b"".join(encoder.encode(b"D", _ORDER % (sent + i)) for i in range(burst)))
                sent += burst
                with app.changed:
                    if not app.changed.wait_for(lambda sent=sent: app.seen >= sent, 30):
                        raise RuntimeError(f"the acceptor saw {app.seen} of {sent}")
            cpu, wall = _cpu_s(app.engine_tid) - cpu0, time.perf_counter() - wall0
            sock.close()
        finally:
            acceptor.stop()
    return cpu / sent * 1e6, wall / sent * 1e6


def _busy(stop: threading.Event) -> None:
    while not stop.is_set():
        sum(range(1000))  # pure Python: holds the GIL until the interpreter's switch interval asks for it


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--bursts", type=int, nargs="+", default=[1, 10, 100])
    parser.add_argument("--busy", action="store_true", help="a Python thread keeps the GIL busy meanwhile")
    parser.add_argument(
        "--pin", action="store_true", help="keep the engine thread's Python thread state, as the gateway does"
    )
    args = parser.parse_args()
    _Counting.pin = args.pin
    stop = threading.Event()
    if args.busy:
        threading.Thread(target=_busy, args=(stop,), daemon=True).start()
    print(f"load average at start: {os.getloadavg()[0]:.2f}; busy thread: {args.busy}; pinned thread state: {args.pin}")
    try:
        for burst in args.bursts:
            runs: dict[str, list[tuple[float, float]]] = {"fromApp": [], "batch": []}
            for _ in range(args.rounds):
                runs["fromApp"].append(_one(_Counting, args.messages, burst))
                runs["batch"].append(_one(_Batched, args.messages, burst))
            (cpu_a, wall_a), (cpu_b, wall_b) = (
                (statistics.median(r[0] for r in runs[k]), statistics.median(r[1] for r in runs[k]))
                for k in ("fromApp", "batch")
            )
            print(
                f"burst {burst:4d}: engine CPU µs/msg fromApp {cpu_a:6.2f}  batch {cpu_b:6.2f}  ({cpu_b / cpu_a:.2f}x);"
                f"  wall µs/msg fromApp {wall_a:7.2f}  batch {wall_b:7.2f}  ({wall_b / wall_a:.2f}x)"
            )
    finally:
        stop.set()
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
