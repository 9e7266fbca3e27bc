"""Open the book's database (SQLite WAL by default, PostgreSQL by URL) and manage its schema with Alembic."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import quote

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DatabaseError, OperationalError

from domain.errors import ConfigError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
BUSY_TIMEOUT_MS = 5000
"""How long a SQLite write waits for a lock another connection holds before it fails (the journal retries)."""
BookDb = Engine
"""The book of record's database, as the rest of the code holds it: an opaque handle to pass back to ``oms.store``
(only ``oms.store`` imports SQLAlchemy)."""


def connect(url: str, *, read_only: bool = False) -> Engine:
    """Create the engine for ``url``; refuse with one line when the database cannot be reached or read.

    ``read_only``: never write to it, not even the journal mode, and fail any statement that would (for
    checking a book of record, ``fixgw replay --verify``). A SQLite file must then exist already.
    """
    parsed = _parse(url)
    is_sqlite = parsed.get_backend_name() == "sqlite"
    is_file = is_sqlite and parsed.database not in (None, "", ":memory:")
    if is_file and not read_only:
        Path(str(parsed.database)).parent.mkdir(parents=True, exist_ok=True)
    engine = _create_engine(parsed, is_file=is_file, read_only=read_only)
    if is_sqlite:
        event.listen(engine, "connect", partial(_sqlite_pragmas, read_only=read_only))
    try:
        with engine.connect() as connection:
            if is_sqlite:
                connection.exec_driver_sql("PRAGMA schema_version")  # reads the header: is it a database at all?
    except DatabaseError as exc:  # OperationalError (unreachable) or a file that is no database
        engine.dispose()
        verb = "reach" if isinstance(exc, OperationalError) else "read"
        first_line = str(exc.orig).strip().splitlines()[0]
        raise ConfigError(f"cannot {verb} the database {redacted(url)}: {first_line}") from None
    return engine


def _parse(url: str) -> URL:
    try:
        parsed = make_url(url)
        parsed.get_dialect()  # an unknown backend (foo://) is refused here, not deep in create_engine
    except ArgumentError as exc:  # the URL is not shown: a malformed one may hold a password in the clear
        raise ConfigError(f"not a database URL fixgw can use ({exc}); e.g. sqlite:///var/fixgw.db") from None
    return parsed


def redacted(url: str) -> str:
    """``url`` as it may be shown: its password hidden."""
    return make_url(url).render_as_string(hide_password=True)


def _create_engine(parsed: URL, *, is_file: bool, read_only: bool) -> Engine:
    if not read_only:
        return create_engine(parsed)
    if is_file:  # SQLite opens a file read-only only in its URI form (mode=ro): a write fails instead of happening
        uri = parsed.set(database="file:" + quote(str(parsed.database)))
        return create_engine(uri.update_query_dict({"mode": "ro", "uri": "true"}))
    if parsed.get_backend_name() == "postgresql":  # added to the URL's own options (a search_path, say), not instead
        own = str(parsed.query.get("options") or "")
        options = " ".join(filter(None, (own, "-c default_transaction_read_only=on")))
        return create_engine(parsed.difference_update_query(["options"]), connect_args={"options": options})
    return create_engine(parsed)  # an in-memory SQLite database: nothing to protect


def open_database(url: str) -> Engine:
    """Connect and bring the schema to the latest migration."""
    engine = connect(url)
    upgrade(engine)
    return engine


def _alembic_config(engine: Engine, connection: Any) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply every migration up to ``revision``."""
    with engine.begin() as connection:
        command.upgrade(_alembic_config(engine, connection), revision)


def current_revision(engine: Engine) -> str | None:
    """The migration the database is at (None for an empty database)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str:
    """The newest migration in the code."""
    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    assert head is not None
    return head


def _sqlite_pragmas(dbapi_connection: Any, _record: Any, *, read_only: bool) -> None:
    # WAL: readers (the CLI) never block the journal writer. synchronous=NORMAL: a commit survives a crash
    # of the process (kill -9), which is the failure the gateway must survive; FULL also survives power loss.
    # A read-only connection sets neither: the journal mode is stored in the file, and it syncs nothing.
    cursor = dbapi_connection.cursor()
    if not read_only:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.close()
