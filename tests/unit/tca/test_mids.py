"""The mid series' coalescing: at most one row per symbol per sample, stamped with the symbol's last change; an
unchanged mid again every heartbeat; nothing while there is no usable mid."""

from __future__ import annotations

from decimal import Decimal

from domain.clock import TestClock
from tca.mids import MidRow, MidSampler
from tests.quotes import MemoryQuotes

MS = 1_000_000
HEARTBEAT = 1000 * MS


def setup(symbols: tuple[str, ...] = ()) -> tuple[MidSampler, MemoryQuotes, TestClock]:
    quotes, clock = MemoryQuotes(), TestClock(0)
    return MidSampler(quotes, clock, HEARTBEAT, symbols), quotes, clock


def change(sampler: MidSampler, quotes: MemoryQuotes, clock: TestClock, at_ms: int, bid: str, ask: str) -> None:
    clock.advance(at_ms * MS - clock.now_ns())
    quotes.set("MSFT", bid, ask)
    sampler.on_book_change("MSFT")


def test_sample_when_the_mid_changes_several_times_in_a_period_then_one_row_at_the_last_change() -> None:
    sampler, quotes, clock = setup()
    change(sampler, quotes, clock, 10, "100.00", "100.02")
    change(sampler, quotes, clock, 60, "100.01", "100.03")
    change(sampler, quotes, clock, 120, "100.02", "100.04")

    rows = sampler.sample(250 * MS)

    assert rows == [MidRow("MSFT", 120 * MS, Decimal("100.03"))]


def test_sample_when_the_books_change_but_not_the_mid_then_no_row_until_the_heartbeat() -> None:
    sampler, quotes, clock = setup()
    change(sampler, quotes, clock, 10, "100.00", "100.02")
    sampler.sample(250 * MS)
    change(sampler, quotes, clock, 300, "100.00", "100.02")  # a deeper level moved

    quiet = sampler.sample(500 * MS)
    heartbeat = sampler.sample(1010 * MS)

    assert quiet == []
    assert heartbeat == [MidRow("MSFT", 1010 * MS, Decimal("100.01"))]


def test_sample_when_no_usable_mid_then_no_row_and_the_next_mid_is_written_at_once() -> None:
    sampler, quotes, clock = setup()
    change(sampler, quotes, clock, 10, "100.00", "100.02")
    sampler.sample(250 * MS)
    quotes.set("MSFT", "100.00", "100.02", stale=True)

    stale = sampler.sample(2000 * MS)  # not even a heartbeat: the series stops covering it
    change(sampler, quotes, clock, 2100, "100.00", "100.02")
    back = sampler.sample(2250 * MS)

    assert stale == []
    assert back == [MidRow("MSFT", 2100 * MS, Decimal("100.01"))]


def test_sample_when_a_configured_symbol_has_a_mid_without_a_change_seen_then_it_is_written() -> None:
    sampler, quotes, _ = setup(("MSFT", "IBM"))
    quotes.set("MSFT", "100.00", "100.02")

    rows = sampler.sample(250 * MS)

    assert rows == [MidRow("MSFT", 250 * MS, Decimal("100.01"))]


def test_sample_when_rows_per_symbol_then_times_strictly_increase() -> None:
    sampler, quotes, clock = setup()
    change(sampler, quotes, clock, 10, "100.00", "100.02")
    first = sampler.sample(10 * MS)
    quotes.set("MSFT", "100.02", "100.04")  # changed with no notification: stamped when sampled
    second = sampler.sample(10 * MS)

    assert [r.ts_ns for r in first + second] == [10 * MS, 10 * MS + 1]
