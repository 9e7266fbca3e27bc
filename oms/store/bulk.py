"""The journal's write path: statements compiled once by SQLAlchemy, executed in bulk on the driver's cursor.

Why below Core's ``execute``: per row, Core's ``executemany`` builds a parameter dict through every column's
bind processing (``construct_params``) and per statement it checks its compiled cache; at a few thousand rows a
second that was a sixth of the gateway's CPU. The statements here are still SQLAlchemy's — compiled from the
tables in ``oms.store.schema`` for the engine's own dialect, with each column's bind processor (``Money`` →
text on SQLite) — so one schema stays the only source of truth, and only the per-row work is done by hand: one
tuple per row, in the compiled statement's parameter order. As in Core, a column a row leaves out is left out
of the INSERT, so that its server default applies; rows are grouped by the columns they carry.

On SQLite the rows go in multi-row ``INSERT ... VALUES (...), (...)`` statements rather than ``executemany``. Why:
Python's sqlite3 releases the GIL around every ``sqlite3_step``, i.e. once per row of an ``executemany``, and
each release can hand the GIL to the FIX thread for a whole message; a batch of a thousand rows then took
milliseconds of waiting (journal write p90 13.8 ms at window 100). One statement of up to ``_MAX_ROWS`` rows is
one step. Up to ``_EXACT_ROWS`` rows go in one statement of exactly that many rows: a window-1 batch (an order's
audit rows: the message received, its reports, the previous batch's texts as sent) is one statement, not a
power of two and its remainder (each statement ~13 us at window 1, issue 19). Larger batches go in chunks of
powers of two, then the remainder, so each table needs only a few distinct statements (the driver caches them by
their text: ``_EXACT_ROWS`` + 5 at most per statement, within sqlite3's cache of 128 for the few statements here).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from itertools import chain
from typing import Any

from sqlalchemy import Engine, Table
from sqlalchemy.sql import ClauseElement

from oms.store.schema import Money, money_text

Row = dict[str, Any]
Processor = Callable[[Any], Any] | None
_MAX_ROWS = 256
"""Rows in one multi-row statement: 256 x the widest table's 27 columns stays far below SQLite's 32,766
parameters."""
_EXACT_ROWS = 16
"""Up to this many rows, one statement of exactly that many; above, chunks of powers of two."""
_VALUES = re.compile(r"VALUES (\([?, ]+\))")


class _Compiled:
    """The statement for one set of columns: its SQL and how to turn a row into the driver's parameters."""

    def __init__(self, engine: Engine, table: Table, statement: ClauseElement, keys: list[str]) -> None:
        dialect = engine.dialect
        compiled: Any = statement.compile(dialect=dialect, column_keys=keys)
        self.sql = str(compiled)
        self.positional = bool(compiled.positional)
        names = list(compiled.positiontup or []) if self.positional else list(compiled.binds)
        self.columns: list[tuple[str, Processor]] = [(name, _processor(table, name, dialect)) for name in names]
        self.parameters = _row_maker(self.columns, self.positional)
        """``rows`` → the driver's parameters, one tuple (or dict) per row."""
        found = _VALUES.findall(self.sql) if dialect.name == "sqlite" and self.positional else []
        self._row_marks = found[0] if len(found) == 1 else None
        """The ``(?, ?, …)`` of one row, when the statement can take many rows in one VALUES clause."""
        self._multi: dict[int, str] = {}

    def run(self, cursor: Any, rows: Sequence[Row]) -> None:
        """Execute for every row: in multi-row statements where the dialect allows, else ``executemany``."""
        parameters = self.parameters(rows)
        if self._row_marks is None or len(parameters) == 1:
            cursor.executemany(self.sql, parameters)
            return
        start = 0
        while start < len(parameters):
            left = len(parameters) - start
            size = left if left <= _EXACT_ROWS else min(_MAX_ROWS, 1 << left.bit_length() - 1)  # else a power of 2
            chunk = parameters[start : start + size]
            cursor.execute(self._sql_for(size), list(chain.from_iterable(chunk)))
            start += size

    def _sql_for(self, rows: int) -> str:
        sql = self._multi.get(rows)
        if sql is None:
            assert self._row_marks is not None
            sql = self.sql.replace(f"VALUES {self._row_marks}", "VALUES " + ", ".join([self._row_marks] * rows))
            self._multi[rows] = sql
        return sql


class BulkStatement:
    """One insert or upsert, ready to run for many rows on a DBAPI cursor."""

    def __init__(self, engine: Engine, table: Table, statement: ClauseElement) -> None:
        self._engine = engine
        self._table = table
        self._statement = statement
        self._compiled: dict[frozenset[str], _Compiled] = {}

    def run(self, cursor: Any, rows: Sequence[Row]) -> None:
        """Execute for every row (the caller owns the transaction)."""
        groups: dict[frozenset[str], list[Row]] = {}
        for row in rows:
            groups.setdefault(frozenset(row), []).append(row)
        for keys, group in groups.items():
            compiled = self._compiled.get(keys)
            if compiled is None:
                compiled = _Compiled(self._engine, self._table, self._statement, sorted(keys))
                self._compiled[keys] = compiled
            compiled.run(cursor, group)


def _processor(table: Table, name: str, dialect: Any) -> Processor:
    """The column's bind processor; Money on SQLite is ``money_text`` itself (what its processor calls, through
    two frames of SQLAlchemy's per value)."""
    column_type = table.c[name].type
    if isinstance(column_type, Money) and dialect.name == "sqlite":
        return money_text
    return column_type.dialect_impl(dialect).bind_processor(dialect)


def _row_maker(columns: list[tuple[str, Processor]], positional: bool) -> Callable[[Sequence[Row]], list[Any]]:
    """Generate ``rows → [parameters of each row]`` for these columns: one tuple (or dict) display per row, a
    processor applied inline where the column has one and the value is not None (as SQLAlchemy does)."""
    namespace: dict[str, Any] = {}
    values = []
    for i, (name, processor) in enumerate(columns):
        item = f"row[{name!r}]"
        if processor is not None:
            namespace[f"p{i}"] = processor
            item = f"(None if (v{i} := {item}) is None else p{i}(v{i}))"
        values.append(item if positional else f"{name!r}: {item}")
    display = f"({', '.join(values)},)" if positional else f"{{{', '.join(values)}}}"
    source = f"def make(rows):\n    return [{display} for row in rows]\n"
    # The source holds only the schema's column names, as repr() literals: nothing from outside is executed.
    exec(compile(source, f"<bulk row maker {len(columns)} columns>", "exec"), namespace)
    return namespace["make"]  # type: ignore[no-any-return]
