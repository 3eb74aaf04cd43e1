"""Packaged migrations produce exactly the schema of liveqa.store.tables, on both databases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect

from liveqa.store import Database
from liveqa.store.engine import WRITE_OPTION
from liveqa.store.migrate import alembic_config, current_revision, head_revision, upgrade
from liveqa.store.tables import metadata
from support.database import create_database, drop_database


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


@pytest.fixture(params=["sqlite", "postgresql"])
async def unmigrated_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """The URL of an empty database of each kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/fresh.db"
        return
    url = await create_database("liveqa_migrate_")
    try:
        yield url
    finally:
        await drop_database(url)


async def test_0003_makes_creators_owners_and_other_hosts_cohosts_of_key_1(
    unmigrated_url: str,
) -> None:
    database = Database.connect(unmigrated_url)
    try:
        await upgrade(database.engine, "0002")
        async with database.write() as queries:
            run = queries.connection.exec_driver_sql
            await run("INSERT INTO participants VALUES ('p1', 'Ada', 1), ('p2', 'Bea', 1)")
            await run(
                "INSERT INTO rooms (id, display_name, theme_color, state, moderation, "
                "allow_anonymous, host_key, seq, created_by, created_at) "
                "VALUES ('r', 'R', '#038cfc', 'open', false, false, 'k', 0, 'p1', 1)"
            )
            await run("INSERT INTO room_hosts VALUES ('r', 'p1', 2), ('r', 'p2', 3)")
        await database.upgrade()
        async with database.read() as queries:
            hosts = await queries.hosts("r")
            room = await queries.room("r")
        await upgrade_to(database, "0002")
        async with database.read() as queries:
            kept = await queries.connection.exec_driver_sql("SELECT * FROM room_hosts")
            rows = sorted(tuple(row) for row in kept)
    finally:
        await database.close()
    assert [(h.participant_id, h.role, h.key_generation) for h in hosts] == [
        ("p1", "owner", None),
        ("p2", "cohost", 1),
    ]
    assert room is not None
    assert room.host_key_generation == 1
    assert rows == [("r", "p1", 2), ("r", "p2", 3)]
