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
one step. The chunk sizes are powers of two, so each table needs only a few distinct statements (the driver
caches them by their text).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from itertools import chain
from typing import Any

from sqlalchemy import Engine, Table
from sqlalchemy.sql import ClauseElement

Row = dict[str, Any]
Processor = Callable[[Any], Any] | None
_MAX_ROWS = 256
"""Rows in one multi-row statement: 256 x the widest table's 27 columns stays far below SQLite's 32,766
parameters."""
_VALUES = re.compile(r"VALUES (\([?, ]+\))")


class _Compiled:
    """The statement for one set of columns: its SQL and how to turn a row into the driver's parameters."""

    def __init__(self, engine: Engine, table: Table, statement: ClauseElement, keys: list[str]) -> None:
        dialect = engine.dialect
        compiled: Any = statement.compile(dialect=dialect, column_keys=keys)
        self.sql = str(compiled)
        self.positional = bool(compiled.positional)
        names = list(compiled.positiontup or []) if self.positional else list(compiled.binds)
        self.columns: list[tuple[str, Processor]] = [
            (name, table.c[name].type.dialect_impl(dialect).bind_processor(dialect)) for name in names
        ]
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
            size = min(_MAX_ROWS, 1 << (len(parameters) - start).bit_length() - 1)  # the largest power of 2 left
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

    def parameters(self, rows: Sequence[Row]) -> list[Any]:
        columns = self.columns
        if self.positional:
            return [tuple(_value(row[name], p) for name, p in columns) for row in rows]
        return [{name: _value(row[name], p) for name, p in columns} for row in rows]


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


def _value(value: Any, processor: Processor) -> Any:
    return value if processor is None or value is None else processor(value)
