"""Write a replayed book (``replay.rows``) into the book of record, through the OMS's own journal writer.

A row gets a value for every column: the replay's; else the column's default (left to the database), NULL, or a
neutral value of its type — so a column added to the book later (a migration) does not break replay.
"""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

from sqlalchemy import Column, Engine, Table

from domain.clock import LiveClock
from domain.commands import Unrecorded
from domain.errors import GatewayError
from oms.store.journal import Journal
from oms.store.schema import executions, orders

Row = dict[str, Any]
_ZERO = Decimal(0)


class StoreError(GatewayError):
    """The replayed book could not be written."""


def write_rows(engine: Engine, order_rows: list[Row], execution_rows: list[Row], *, timeout: float = 60.0) -> None:
    """Write every order and execution; raise ``StoreError`` at the first the database refuses, or on timeout."""
    refused: list[Unrecorded] = []  # what the book of record refuses is quarantined there; we stop at the first
    journal = Journal(engine, deliver=lambda _: None, clock=LiveClock(), on_quarantine=refused.append)
    journal.start()
    try:
        for row in order_rows:
            journal.append(order=_complete(orders, row))
        for row in execution_rows:
            journal.append(execution=_complete(executions, row))
        limit = timeout + len(order_rows) / 1000
        deadline = time.monotonic() + limit
        while not journal.flush(0.1) or refused:
            if refused:
                raise StoreError(f"the database refused the replayed book: {refused[0].reason}")
            if time.monotonic() > deadline:
                why = f" ({journal.last_error})" if journal.last_error else ""
                raise StoreError(f"the database took more than {limit:.0f} s to take the replayed book{why}")
    finally:
        journal.stop(timeout=1.0)


def _complete(table: Table, values: Row) -> Row:
    """One value per column of ``table``: ours; else its default (left to the database), NULL, or a neutral value."""
    row = {}
    for column in table.columns:
        if column.name in values:
            row[column.name] = values[column.name]
        elif column.server_default is not None or column.default is not None or column.autoincrement is True:
            continue
        else:
            row[column.name] = None if column.nullable else _neutral(column)
    return row


def _neutral(column: Column[Any]) -> object:
    try:
        kind = getattr(column.type, "impl", column.type).python_type  # a TypeDecorator (Money) says its impl's
    except NotImplementedError:
        return ""
    if issubclass(kind, int):
        return 0
    return _ZERO if issubclass(kind, Decimal) else ""
