"""Benchmark: read and replay a large FIX log (issue 5 asks for >= 100,000 messages/s on >= 1,000,000 messages).

    .venv/bin/python bench/replay_bench.py                      # 1,000,000 messages, 3 runs
    .venv/bin/python bench/replay_bench.py --messages 1000000 --runs 5      # the figures in the README

The log is generated once (deterministic, seeded) and kept in var/bench/: the gateway's client session as
QuickFIX's FileLog writes it (``FIX.4.4-FIXGW-CLIENT1.messages.current.log``, nanosecond prefix, SOH), built
with simplefix. Orders arrive (35=D) and are acknowledged, filled in one to three fills, cancelled after a
partial fill (35=F, pending cancel, canceled), replaced (35=G, pending replace, replaced, then filled),
rejected, or left working; heartbeats go both ways. Each run replays the file into a fresh book (reader,
sequence checks, order chains, executions, positions) and times it end to end, summary included: the file is
read by a second process while this one rebuilds the book (``replay.pipeline``), as ``fixgw replay`` does; one
more run reads and rebuilds in one process, for comparison. The results are printed; ``--results FILE`` also
appends them to FILE. bench/replay_bench.results.txt holds runs picked by hand, with notes: nothing writes it.
Time per message is what is measured; the machine is shared, so compare runs, not single numbers, and read them
with the load average printed beside them.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

import simplefix

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from replay.reader import LogReader  # noqa: E402
from replay.replayer import Replayer  # noqa: E402

OWN, PEER = "FIXGW", "CLIENT1"
SYMBOLS = ["MSFT", "AAPL", "IBM", "GOOG", "AMZN", "TSLA", "NVDA", "META"]
ACCOUNTS = ["ACCT1", "ACCT2", "ACCT3"]


class LogWriter:
    """Write messages as QuickFIX's FileLog does: ``YYYYMMDD-HH:MM:SS.nnnnnnnnn : 8=FIX.4.4^A...``."""

    def __init__(self, out: object, start_ns: int) -> None:
        self.out = out
        self.now_ns = start_ns
        self.seq = {OWN: 0, PEER: 0}
        self.count = 0

    def send(self, sender: str, msg_type: str, fields: list[tuple[int, str]]) -> None:
        """Encode one message from ``sender`` and append it to the log."""
        self.now_ns += 137_000
        self.seq[sender] += 1
        second, rest = divmod(self.now_ns, 1_000_000_000)
        stamp = time.strftime("%Y%m%d-%H:%M:%S", time.gmtime(second))
        message = simplefix.FixMessage()
        message.append_pair(8, "FIX.4.4")
        message.append_pair(35, msg_type)
        message.append_pair(34, self.seq[sender])
        message.append_pair(49, sender)
        message.append_pair(52, f"{stamp}.{rest // 1_000_000:03d}")
        message.append_pair(56, PEER if sender == OWN else OWN)
        for tag, value in fields:
            message.append_pair(tag, value)
        self.out.write(f"{stamp}.{rest:09d} : ".encode() + message.encode() + b"\n")  # type: ignore[attr-defined]
        self.count += 1


class Order:
    """One order of the generated flow and the reports it has had."""

    def __init__(self, n: int, rng: random.Random) -> None:
        self.cl_ord_id = f"C{n}"
        self.order_id = f"O{n}"
        self.account = rng.choice(ACCOUNTS)
        self.symbol = rng.choice(SYMBOLS)
        self.side = rng.choice("12")
        self.qty = Decimal(rng.randrange(1, 50) * 100)
        self.price = Decimal(rng.randrange(9_000, 11_000)) / 100
        self.cum = Decimal(0)
        self.value = Decimal(0)
        self.reports = 0

    def report(
        self,
        exec_type: str,
        status: str,
        *,
        last: tuple[Decimal, Decimal] | None = None,
        cl_ord_id: str | None = None,
        orig: str | None = None,
    ) -> list[tuple[int, str]]:
        """The body of an ExecutionReport after ``last`` (qty, price) if it is a fill."""
        self.reports += 1
        if last is not None:
            self.cum += last[0]
            self.value += last[0] * last[1]
        leaves = Decimal(0) if status in "248" else self.qty - self.cum
        avg = (self.value / self.cum).quantize(Decimal("0.0001")) if self.cum else Decimal(0)
        fields = [
            (1, self.account),
            (6, str(avg)),
            (11, cl_ord_id or self.cl_ord_id),
            (14, str(self.cum)),
            (17, f"{self.order_id}-{self.reports}"),
            (37, self.order_id),
            (38, str(self.qty)),
            (39, status),
            (40, "2"),
            (44, str(self.price)),
            (54, self.side),
            (55, self.symbol),
            (60, "20260102-10:00:00.000"),
            (150, exec_type),
            (151, str(leaves)),
        ]
        if last is not None:
            fields += [(31, str(last[1])), (32, str(last[0]))]
        if orig is not None:
            fields.append((41, orig))
        return fields


def generate(path: Path, messages: int, seed: int = 5) -> None:
    """Write a log of at least ``messages`` messages to ``path``."""
    rng = random.Random(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    with partial.open("wb") as out:
        log = LogWriter(out, 1_767_348_000_000_000_000)
        n = 0
        while log.count < messages:
            n += 1
            _order_flow(log, Order(n, rng), rng)
            if n % 10 == 0:
                log.send(PEER, "0", [])
                log.send(OWN, "0", [])
    partial.rename(path)


def _order_flow(log: LogWriter, order: Order, rng: random.Random) -> None:
    log.send(
        PEER,
        "D",
        [
            (1, order.account),
            (11, order.cl_ord_id),
            (38, str(order.qty)),
            (40, "2"),
            (44, str(order.price)),
            (54, order.side),
            (55, order.symbol),
            (60, "20260102-10:00:00.000"),
        ],
    )
    outcome = rng.random()
    if outcome < 0.10:
        fields = [*order.report("8", "8"), (103, "3"), (58, "max order quantity exceeded")]
        log.send(OWN, "8", fields)
        return
    log.send(OWN, "8", order.report("0", "0"))
    if outcome < 0.50:
        _fill(log, order, rng, order.qty)
    elif outcome < 0.75:
        _fill(log, order, rng, order.qty / 2)
        cancel = f"{order.cl_ord_id}c"
        log.send(
            PEER,
            "F",
            [
                (11, cancel),
                (41, order.cl_ord_id),
                (54, order.side),
                (55, order.symbol),
                (38, str(order.qty)),
                (60, "20260102-10:00:00.000"),
            ],
        )
        log.send(OWN, "8", order.report("6", "6", cl_ord_id=cancel, orig=order.cl_ord_id))
        log.send(OWN, "8", order.report("4", "4", cl_ord_id=cancel, orig=order.cl_ord_id))
    elif outcome < 0.90:
        replace = f"{order.cl_ord_id}r"
        new_qty = order.qty + 100
        log.send(
            PEER,
            "G",
            [
                (11, replace),
                (41, order.cl_ord_id),
                (38, str(new_qty)),
                (40, "2"),
                (44, str(order.price)),
                (54, order.side),
                (55, order.symbol),
                (60, "20260102-10:00:00.000"),
            ],
        )
        log.send(OWN, "8", order.report("E", "E", cl_ord_id=replace, orig=order.cl_ord_id))
        order.qty = new_qty
        log.send(OWN, "8", order.report("5", "0", cl_ord_id=replace, orig=order.cl_ord_id))
        order.cl_ord_id = replace
        _fill(log, order, rng, order.qty)


def _fill(log: LogWriter, order: Order, rng: random.Random, up_to: Decimal) -> None:
    fills = rng.randrange(1, 4)
    for i in range(fills):
        left = up_to - order.cum
        qty = left if i == fills - 1 else (left / 2).quantize(Decimal(1))
        if qty <= 0:
            continue
        price = order.price + Decimal(rng.randrange(-3, 4)) / 100
        status = "2" if order.cum + qty == order.qty else "1"
        log.send(OWN, "8", order.report("F", status, last=(qty, price)))


def run(path: Path, runs: int) -> list[str]:
    """Replay ``path`` ``runs`` times; return the report lines."""
    size = path.stat().st_size
    lines = [
        f"command: .venv/bin/python bench/replay_bench.py {' '.join(sys.argv[1:])}".rstrip(),
        f"file: {path.name} ({size / 1e6:.1f} MB)",
        f"python: {sys.version.split()[0]}; {os.cpu_count()} cores, shared with other work; {_load()} at the start",
    ]
    start = time.perf_counter()
    count = sum(1 for _ in LogReader(path))
    read_only = time.perf_counter() - start
    lines.append(f"reader only: {count:,} messages in {read_only:.2f} s = {count / read_only:,.0f} messages/s")
    rates = []
    for number in range(1, runs + 1):
        replayer = Replayer()
        start = time.perf_counter()
        replayer.replay(path)
        summary = replayer.summary()
        elapsed = time.perf_counter() - start
        rates.append(summary.messages / elapsed)
        lines.append(
            f"run {number}: {summary.messages:,} messages, {summary.orders:,} orders, {summary.executions:,} "
            f"executions, {len(summary.anomalies)} anomalies in {elapsed:.2f} s = {rates[-1]:,.0f} messages/s"
        )
    # What `fixgw replay` does with a small file or on one CPU (replay.pipeline.worthwhile); for comparison.
    replayer = Replayer(pipeline=False)
    start = time.perf_counter()
    replayer.replay(path)
    one = replayer.summary().messages / (time.perf_counter() - start)
    lines.append(f"one process (reading and book in turn, for comparison): {one:,.0f} messages/s")
    lines.append(f"{_load()} at the end")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    lines.append(
        f"replay (read + book + summary): median {statistics.median(rates):,.0f} messages/s, "
        f"best {max(rates):,.0f} messages/s; peak RSS {peak_mb:,.0f} MB"
    )
    return lines


def _load() -> str:
    """The load average, as /proc/loadavg gives it: how busy the shared machine was."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f}"


def main() -> None:
    """Generate the log if needed, replay it, print the results (and append them to --results)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=1_000_000, help="at least this many messages")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--work-dir", type=Path, default=ROOT / "var" / "bench")
    parser.add_argument("--results", type=Path, metavar="FILE", help="also append the results to FILE")
    args = parser.parse_args()
    path = args.work_dir / f"{args.messages}" / "FIX.4.4-FIXGW-CLIENT1.messages.current.log"
    if not path.exists():
        start = time.perf_counter()
        generate(path, args.messages)
        print(f"generated {path} in {time.perf_counter() - start:.0f} s", file=sys.stderr)
    lines = run(path, args.runs)
    print("\n".join(lines))
    if args.results:
        with args.results.open("a") as results:
            results.write("\n" + "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
