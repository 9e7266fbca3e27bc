"""Alembic environment: run migrations on the connection fixgw hands over (see oms.store.database)."""

from alembic import context

from oms.store.schema import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
