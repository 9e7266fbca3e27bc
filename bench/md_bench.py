"""Market data speed: how many level updates a second the gateway's books take.

``--part apply``: in process, no FIX. A venue's 10-level book of one symbol is snapshotted, then fed 35=X messages
of 5 entries each, as ``MarketBooks.on_increment`` gets them from the session: changes (55%) and deletes (17.5%) of
the best three levels of a side, new levels within six ticks of the other side's best (17.5%), and trades (10%).
Each entry is a fresh ``MDEntry`` with fresh ``Decimal`` values, as the decoder makes them (an object seen before
may carry cached work, such as a ``Decimal``'s hash). The messages are
made before the clock starts; each round applies the whole stream once. The figure is level updates (bid and offer
entries; trades are counted apart) per second of ``on_increment`` (the path the market data session takes), median
and best over --rounds rounds; ``L2Book.update`` alone is timed too, the two taking turns round by round. At the end
both books are checked against the model the stream was made from.

``--part session``: through real quickfix sessions, the venue simulator and the gateway as processes
(``bench/md_session.py``): --rate 35=X a second (5 entries each) for --seconds, every message received, no gap,
and the books equal at the end; then --pairs latency runs of --latency-orders orders at window 1, without and with
the storm, interleaved.

    .venv/bin/python bench/md_bench.py --part apply [--messages 20000] [--rounds 5]
    PYTHONPATH=. .venv/bin/python bench/md_bench.py --part session [--rate 2000 --seconds 30 --pairs 5]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path as FilePath

from domain.clock import LiveClock
from domain.ids import Symbol, VenueId
from domain.marketdata import BookIncrement, BookSnapshot, MDEntry, MDEntryType, MDUpdateAction
from marketdata.book import L2Book
from marketdata.books import MarketBooks

VENUE, SYMBOL = VenueId("V1"), Symbol("MSFT")
BID, OFFER, TRADE = MDEntryType.BID, MDEntryType.OFFER, MDEntryType.TRADE
NEW, CHANGE, DELETE = MDUpdateAction.NEW, MDUpdateAction.CHANGE, MDUpdateAction.DELETE
DEPTH = 10
Spec = tuple[MDEntryType, MDUpdateAction, int, int, int]
"""An entry as made: kind, action, price in ticks, size, RptSeq (83); turned into a fresh MDEntry each round."""


class Venue:
    """The model book the stream is drawn from: prices in ticks of 0.01 (a level every other tick at the start, so
    that new levels open between them), sizes in lots."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.sides: dict[MDEntryType, dict[int, int]] = {
            BID: {9_999 - 2 * i: 100 for i in range(DEPTH)},
            OFFER: {10_001 + 2 * i: 100 for i in range(DEPTH)},
        }
        self.seq = 0

    def best(self, kind: MDEntryType) -> int:
        side = self.sides[kind]
        return max(side) if kind is BID else min(side)

    def near_top(self, kind: MDEntryType) -> list[int]:
        return sorted(self.sides[kind], reverse=kind is BID)[:3]

    def entry(self) -> Spec:
        """One change (55%), new (17.5%), delete (17.5%) or trade (10%), valid on the book as it stands."""
        self.seq += 1
        draw, kind = self.rng.random(), self.rng.choice((BID, OFFER))
        side = self.sides[kind]
        if draw < 0.10:
            return TRADE, NEW, self.best(OFFER), self.rng.randint(1, 50), self.seq
        if draw < 0.275 and len(side) > DEPTH // 2:
            price = self.rng.choice(self.near_top(kind))
            del side[price]
            return kind, DELETE, price, 0, self.seq
        if draw < 0.45 and len(side) < 2 * DEPTH:
            price = self.free_price(kind)
            side[price] = self.rng.randint(1, 500)
            return kind, NEW, price, side[price], self.seq
        price = self.rng.choice(self.near_top(kind))
        side[price] = self.rng.randint(1, 500)
        return kind, CHANGE, price, side[price], self.seq

    def free_price(self, kind: MDEntryType) -> int:
        """A price with no level among the 6 ticks next to the other side's best (the nearest free one beyond them
        if all 6 hold one): it never crosses."""
        step = -1 if kind is BID else 1
        price = self.best(OFFER if kind is BID else BID) + step
        free = [price + step * i for i in range(6) if price + step * i not in self.sides[kind]]
        if free:
            return self.rng.choice(free)
        while price in self.sides[kind]:
            price += step
        return price

    def snapshot(self) -> BookSnapshot:
        entries = tuple(
            MDEntry(entry_type=kind, price=ticks(price), size=Decimal(size))
            for kind in (BID, OFFER)
            for price, size in self.sides[kind].items()
        )
        return BookSnapshot(venue=VENUE, md_req_id="R1", symbol=SYMBOL, entries=entries, rpt_seq=self.seq)


def ticks(price: int) -> Decimal:
    return Decimal(f"{price // 100}.{price % 100:02d}")


def fresh(messages: list[list[Spec]]) -> list[BookIncrement]:
    """The stream as the decoder would hand it over: new objects, new Decimals, nothing hashed yet."""
    return [
        BookIncrement(
            venue=VENUE,
            md_req_id="R1",
            entries=tuple(
                MDEntry(
                    entry_type=kind, price=ticks(price), size=Decimal(size), action=action, symbol=SYMBOL, rpt_seq=seq
                )
                for kind, action, price, size, seq in specs
            ),
        )
        for specs in messages
    ]


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f}"


Path = tuple[Callable[[], object], Callable[[BookIncrement], object]]
"""How to reset a book to the snapshot, and how to apply one 35=X to it."""


def time_rounds(messages: list[list[Spec]], rounds: int, paths: dict[str, Path]) -> dict[str, list[float]]:
    """Seconds per round of each path over the whole stream; the paths take turns, round by round, so that a
    shared machine's swings fall on all of them alike."""
    seconds: dict[str, list[float]] = {name: [] for name in paths}
    for _ in range(rounds):
        for name, (reset, apply) in paths.items():
            stream = fresh(messages)
            reset()
            start = time.perf_counter()
            for inc in stream:
                apply(inc)
            seconds[name].append(time.perf_counter() - start)
    return seconds


def part_apply(args: argparse.Namespace) -> None:
    venue = Venue(random.Random(args.seed))
    snap = venue.snapshot()
    messages = [[venue.entry() for _ in range(5)] for _ in range(args.messages)]
    levels = sum(spec[0] is not TRADE for specs in messages for spec in specs)
    books = MarketBooks(LiveClock(), stale_after_ms=10_000)
    book = L2Book(VENUE, SYMBOL)
    results = time_rounds(
        messages,
        args.rounds,
        {
            "MarketBooks.on_increment": (lambda: books.on_snapshot(snap), books.on_increment),
            "L2Book.update": (lambda: book.snapshot(snap), lambda inc: book.update(inc.entries, 0)),
        },
    )
    assert_equal(books, book, venue, args.rounds * args.messages)
    print(
        f"{'path':26} {'level updates/s':>16} {'best round':>11} {'messages/s':>11} {'us/update':>10}   "
        f"({args.rounds} rounds x {args.messages} messages: {levels} level updates + {5 * args.messages - levels} "
        "trades; medians)"
    )
    for name, seconds in results.items():
        median = statistics.median(seconds)
        print(
            f"{name:26} {levels / median:16,.0f} {levels / min(seconds):11,.0f} {args.messages / median:11,.0f} "
            f"{median / levels * 1e6:10.2f}"
        )


def assert_equal(books: MarketBooks, book: L2Book, venue: Venue, applied: int) -> None:
    """Both books after the stream are the model's, with no problem on the way (the bench measured books that
    worked)."""
    assert books.counters()["increments"] == book.increments == applied
    assert book.live and not any(book.problems.values()) and book.levels(BID) == books.depth(SYMBOL)[0]
    bids, asks = books.depth(SYMBOL)
    assert bids == [(ticks(p), Decimal(s)) for p, s in sorted(venue.sides[BID].items(), reverse=True)]
    assert asks == [(ticks(p), Decimal(s)) for p, s in sorted(venue.sides[OFFER].items())]


def part_session(args: argparse.Namespace) -> None:
    """Venue and gateway processes: a sustained 35=X storm, books compared, latency pairs (``bench/md_session.py``)."""
    from bench.md_session import run_session

    with tempfile.TemporaryDirectory(prefix="md-session-") as work:
        figures = run_session(FilePath(work), args.rate, args.seconds, args.pairs, args.latency_orders)
    latency = figures.pop("latency")
    print(f"35=X sent by the venue: {figures['x_sent']:,} in {figures['seconds']:g} s = {figures['x_per_s']:,}/s")
    print(f"gateway received all: {figures['gateway_received_all']}; books equal: {figures['books_equal']}")
    print(f"gateway counters: session {figures['session']}")
    print(f"                  books {figures['books']}")
    print(f"gateway CPU while storming: {figures['gateway_cpu_share']:.0%} of a core")
    print("order ack p50 at window 1, pairs without / with the storm (interleaved, same gateway):")
    for pair in latency["pairs"]:
        print(f"  {pair['without_md_p50_us']:8.0f} µs  {pair['with_md_p50_us']:8.0f} µs  ratio {pair['ratio']:.3f}")
    print(
        f"  median {latency['median_without_us']:.0f} µs / {latency['median_with_us']:.0f} µs; "
        f"median ratio {latency['median_ratio']:.3f}"
    )
    ok = figures["gateway_received_all"] and all(figures["books_equal"].values())
    ok = ok and not any(figures["books"].get(k) for k in ("gap", "missing_level", "crossed"))
    if not ok:
        raise SystemExit("FAILED: a message missing, a book problem, or books that differ")


PARTS: dict[str, Callable[[argparse.Namespace], None]] = {"apply": part_apply, "session": part_session}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--part",
        choices=sorted(PARTS),
        default="apply",
        help="apply: the books in process; session: through real sessions",
    )
    parser.add_argument("--messages", type=int, default=20_000, help="35=X messages (5 entries each) per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--rate", type=float, default=2000.0, help="session: 35=X a second from the venue")
    parser.add_argument("--seconds", type=float, default=30.0, help="session: how long the storm lasts")
    parser.add_argument("--pairs", type=int, default=5, help="session: latency runs without / with market data")
    parser.add_argument("--latency-orders", type=int, default=2000, help="session: orders per latency run")
    args = parser.parse_args()
    print(
        f"# .venv/bin/python bench/md_bench.py {' '.join(sys.argv[1:])}".rstrip()
        + f"   ({os.cpu_count()} cores, shared; {load_average()} at the start)"
    )
    PARTS[args.part](args)
    print(f"# {load_average()} at the end")


if __name__ == "__main__":
    main()
