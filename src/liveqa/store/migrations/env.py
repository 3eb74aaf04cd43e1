"""Alembic environment: runs on the connection liveqa.store.migrate hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from liveqa.store.tables import metadata


def run_migrations(connection: Connection) -> None:
    """Run the migrations inside the caller's transaction."""
    context.configure(connection=connection, target_metadata=metadata, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


_connection = context.config.attributes.get("connection")
if not isinstance(_connection, Connection):
    raise RuntimeError("run migrations with `liveqa db upgrade`, which supplies the connection")
run_migrations(_connection)
