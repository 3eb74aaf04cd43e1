"""Packaged migrations produce exactly the schema of liveqa.store.tables, on both databases."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect

from liveqa.store import Database
from liveqa.store.engine import WRITE_OPTION
from liveqa.store.migrate import alembic_config, current_revision, head_revision, upgrade
from liveqa.store.tables import metadata


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


async def test_migrated_schema_matches_tables(database: Database) -> None:
    async with database.read() as queries:
        diff = await queries.connection.run_sync(_diff)
    assert diff == []


async def test_upgrade_is_idempotent_and_records_head(database: Database) -> None:
    await database.upgrade()
    await database.upgrade()
    assert await current_revision(database.engine) == head_revision()


async def test_fresh_database_has_no_revision_until_upgraded(tmp_path: Path) -> None:
    database = Database.connect(f"sqlite:///{tmp_path}/fresh.db")
    try:
        assert await current_revision(database.engine) is None
        await upgrade(database.engine)
        assert await current_revision(database.engine) == head_revision()
        async with database.read() as queries:
            names = await queries.connection.run_sync(
                lambda sync: set(inspect(sync).get_table_names())
            )
    finally:
        await database.close()
    assert names == {*metadata.tables, "alembic_version"}


async def test_downgrade_to_base_drops_everything(tmp_path: Path) -> None:
    database = Database.connect(f"sqlite:///{tmp_path}/down.db")
    try:
        await database.upgrade()
        await upgrade_to(database, "base")
        async with database.read() as queries:
            names = await queries.connection.run_sync(
                lambda sync: set(inspect(sync).get_table_names())
            )
    finally:
        await database.close()
    assert names == {"alembic_version"}


async def upgrade_to(database: Database, revision: str) -> None:
    """Downgrade through Alembic's command API on the store's engine."""
    async with database.engine.connect() as connection:
        await connection.execution_options(**{WRITE_OPTION: True})
        async with connection.begin():
            await connection.run_sync(
                lambda sync: command.downgrade(alembic_config(sync), revision)
            )
