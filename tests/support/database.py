"""Throwaway PostgreSQL databases for tests, made and dropped through the admin database."""

from __future__ import annotations

import os
import secrets

from sqlalchemy import delete
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from liveqa.store import Database, database_url
from liveqa.store.tables import metadata

POSTGRES_ADMIN_URL = os.environ.get(
    "LIVEQA_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


async def _admin(statement: str) -> None:
    engine = create_async_engine(database_url(POSTGRES_ADMIN_URL), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.exec_driver_sql(statement)
    finally:
        await engine.dispose()


async def create_database(prefix: str) -> str:
    """The URL of a new, empty PostgreSQL database named `prefix` and a random suffix."""
    name = f"{prefix}{secrets.token_hex(6)}"
    await _admin(f'CREATE DATABASE "{name}"')
    return make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


async def drop_database(url: str) -> None:
    """Drop a database `create_database` made, whoever is still connected."""
    await _admin(f'DROP DATABASE "{make_url(url).database}" WITH (FORCE)')


async def migrate(url: str) -> None:
    """Bring the database at `url` to the newest schema."""
    database = Database.connect(url)
    try:
        await database.upgrade()
    finally:
        await database.close()


async def empty_tables(database: Database) -> None:
    """Delete every row, children first."""
    async with database.write() as queries:
        for table in reversed(metadata.sorted_tables):
            await queries.connection.execute(delete(table))
