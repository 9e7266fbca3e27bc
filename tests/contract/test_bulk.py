"""The journal's bulk statements (oms.store.bulk) on every database: every row written once, exactly."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import Engine, select

from oms.store.bulk import BulkStatement
from oms.store.database import open_database
from oms.store.schema import messages, positions
from tests.contract.test_book_store import engine  # noqa: F401 - the fixture, on SQLite and PostgreSQL


def _message(n: int) -> dict[str, object]:
    return {
        "id": n,
        "ts_ns": n,
        "direction": "out",
        "session": "S",
        "msg_type": "8",
        "seq": n,
        "order_id": f"O{n}",
        "cl_ord_id": f"C{n}",
        "body": f"report {n}",
    }


def _position(account: str, qty: int) -> dict[str, object]:
    return {
        "account": account,
        "symbol": "MSFT",
        "qty": Decimal(qty),
        "avg_cost": Decimal("100.125"),
        "realized_pnl": Decimal(0),
        "fees": Decimal(0),
        "mark": None,
        "bought_qty": Decimal(qty),
        "sold_qty": Decimal(0),
        "updated_ns": qty,
    }


def _run(db: Engine, statement: BulkStatement, rows: list[dict[str, object]]) -> None:
    raw = db.raw_connection()
    try:
        cursor = raw.cursor()
        statement.run(cursor, rows)
        cursor.close()
        raw.commit()
    finally:
        raw.close()


@pytest.mark.parametrize("count", [1, 2, 3, 255, 256, 257, 1000])
def test_bulk_insert_when_rows_given_then_each_written_once(engine: Engine, count: int) -> None:  # noqa: F811
    _run(engine, BulkStatement(engine, messages, messages.insert()), [_message(n) for n in range(1, count + 1)])

    with engine.connect() as conn:
        rows = conn.execute(select(messages.c.id, messages.c.body).order_by(messages.c.id)).all()
    assert [(r.id, r.body) for r in rows] == [(n, f"report {n}") for n in range(1, count + 1)]


def test_bulk_upsert_when_keys_repeat_in_later_batches_then_last_values_kept(engine: Engine) -> None:  # noqa: F811
    from oms.store.writer import _upsert

    statement = BulkStatement(engine, positions, _upsert(engine, positions, ["account", "symbol"]))
    _run(engine, statement, [_position(f"A{n}", n) for n in range(300)])
    _run(engine, statement, [_position(f"A{n}", n + 1000) for n in range(0, 300, 3)])

    with engine.connect() as conn:
        got = dict(conn.execute(select(positions.c.account, positions.c.qty)).all())
    assert got == {f"A{n}": Decimal(n + 1000 if n % 3 == 0 else n) for n in range(300)}


def test_bulk_when_database_opened_twice_then_same_statement_text_reused(tmp_path: object) -> None:
    db = open_database(f"sqlite:///{tmp_path}/book.db")
    try:
        statement = BulkStatement(db, messages, messages.insert())
        _run(db, statement, [_message(n) for n in range(1, 201)])  # 128 + 64 + 8
        _run(db, statement, [_message(n) for n in range(201, 401)])
        compiled = next(iter(statement._compiled.values()))
        assert sorted(compiled._multi) == [8, 64, 128]  # a few statement texts per table, whatever the batch
    finally:
        db.dispose()


def test_bulk_when_few_rows_then_one_statement_of_exactly_that_many(tmp_path: object) -> None:
    db = open_database(f"sqlite:///{tmp_path}/book.db")
    try:
        statement = BulkStatement(db, messages, messages.insert())
        _run(db, statement, [_message(n) for n in range(1, 6)])  # a window-1 batch's audit rows
        _run(db, statement, [_message(n) for n in range(6, 26)])  # 20: above the exact sizes, 16 + 4
        compiled = next(iter(statement._compiled.values()))
        assert sorted(compiled._multi) == [4, 5, 16]
        with db.connect() as conn:
            assert conn.execute(select(messages.c.id).order_by(messages.c.id)).scalars().all() == list(range(1, 26))
    finally:
        db.dispose()


@pytest.mark.parametrize("value", [Decimal("1E+2"), Decimal("-0.000001"), Decimal("123.4500"), Decimal("1E-8"), None])
def test_bulk_parameters_when_money_given_then_same_as_sqlalchemy_binds(engine: Engine, value: Decimal) -> None:  # noqa: F811
    statement = BulkStatement(engine, positions, positions.insert())
    row = _position("A", 1) | {"mark": value}
    _run(engine, statement, [row])

    compiled = next(iter(statement._compiled.values()))
    column = positions.c.mark.type
    processor = column.dialect_impl(engine.dialect).bind_processor(engine.dialect)
    (made,) = compiled.parameters([row])
    got = made[[name for name, _ in compiled.columns].index("mark")] if compiled.positional else made["mark"]
    assert got == (value if processor is None or value is None else processor(value))
    with engine.connect() as conn:
        assert conn.execute(select(positions.c.mark)).scalar_one() == value
