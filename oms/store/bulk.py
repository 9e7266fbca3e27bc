"""The journal's write path: statements compiled once by SQLAlchemy, executed in bulk on the driver's cursor.

Why below Core's ``execute``: per row, Core's ``executemany`` builds a parameter dict through every column's
bind processing (``construct_params``) and per statement it checks its compiled cache; at a few thousand rows a
second that was a sixth of the gateway's CPU. The statements here are still SQLAlchemy's — compiled from the
tables in ``oms.store.schema`` for the engine's own dialect, with each column's bind processor (``Money`` →
text on SQLite) — so one schema stays the only source of truth, and only the per-row work is done by hand: one
tuple per row, in the compiled statement's parameter order. As in Core, a column a row leaves out is left out
of the INSERT, so that its server default applies; rows are grouped by the columns they carry.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Engine, Table
from sqlalchemy.sql import ClauseElement

Row = dict[str, Any]
Processor = Callable[[Any], Any] | None


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
            cursor.executemany(compiled.sql, compiled.parameters(group))


def _value(value: Any, processor: Processor) -> Any:
    return value if processor is None or value is None else processor(value)
