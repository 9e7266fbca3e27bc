"""The mid series in the book on every database: rows written exactly (a row written twice stays one), read back as
the window a score needs, and deleted past the retention a minute per transaction."""

from __future__ import annotations

from decimal import Decimal

from oms.store import tca as store
from oms.store.database import open_database

S = 1_000_000_000


def test_write_mids_when_rows_then_read_back_exactly_and_a_repeat_is_ignored(database_url: str) -> None:
    engine = open_database(database_url)
    rows = [{"symbol": "MSFT", "ts_ns": t * S, "mid": Decimal(m)} for t, m in ((1, "100.005"), (2, "100.01"))]

    store.write_mids(engine, rows)
    store.write_mids(engine, rows[1:])  # the same row again (a retried write)
    store.write_mids(engine, [{"symbol": "IBM", "ts_ns": 3 * S, "mid": Decimal("50.000000000001")}])

    points, last = store.mid_series(engine, "MSFT", 1 * S, 5 * S)
    ibm, _ = store.mid_series(engine, "IBM", 0, 10 * S)
    engine.dispose()
    assert points == [(1 * S, Decimal("100.005")), (2 * S, Decimal("100.01"))]
    assert last == (2 * S, Decimal("100.01"))
    assert ibm == [(3 * S, Decimal("50.000000000001"))]


def test_mid_series_when_window_starts_between_rows_then_the_row_in_force_comes_first(database_url: str) -> None:
    engine = open_database(database_url)
    store.write_mids(engine, [{"symbol": "MSFT", "ts_ns": t * S, "mid": Decimal(t)} for t in range(1, 11)])

    points, last = store.mid_series(engine, "MSFT", int(4.5 * S), 6 * S)
    engine.dispose()

    assert [ts // S for ts, _ in points] == [4, 5, 6]
    assert last == (10 * S, Decimal(10))


def test_prune_mids_when_rows_span_hours_then_only_those_before_the_cutoff_go(database_url: str) -> None:
    engine = open_database(database_url)
    store.write_mids(engine, [{"symbol": "MSFT", "ts_ns": t * 60 * S, "mid": Decimal(1)} for t in range(0, 180)])

    deleted = store.prune_mids(engine, 150 * 60 * S)
    points, _ = store.mid_series(engine, "MSFT", 0, 10_000 * S)
    engine.dispose()

    assert deleted == 150
    assert points[0][0] == 150 * 60 * S


def test_tca_bench_book_when_scored_then_every_fill_has_its_markouts_and_every_order_its_ack(database_url: str) -> None:
    from app.tca_book import score_book
    from bench.tca_bench import build

    build(database_url, 200)
    engine = open_database(database_url)
    scored = score_book(engine)
    engine.dispose()

    fills = [f for s in scored.scores for f in s.fills]
    assert (len(scored.scores), len(fills)) == (100, 200)
    assert all(None not in f.markouts for f in fills)  # the bench's series covers every fill + 60 s
    assert sum(v.ack.count for v in scored.venues if v.ack) == 100
