"""Origin fixtures: a migrated database of each kind, a board on it, participants and a room."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator, Iterator

import pytest
from sqlalchemy import delete
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from liveqa.origin.board import Board
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


async def _migrate(url: str) -> None:
    database = Database.connect(url)
    try:
        await database.upgrade()
    finally:
        await database.close()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, migrated, dropped at the end."""
    name = f"liveqa_test_{secrets.token_hex(6)}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        asyncio.run(_migrate(url))
        yield url
    finally:
        asyncio.run(_admin(f'DROP DATABASE "{name}" WITH (FORCE)'))


async def empty_tables(database: Database) -> None:
    """Delete every row, children first."""
    async with database.write() as queries:
        for table in reversed(metadata.sorted_tables):
            await queries.connection.execute(delete(table))


@pytest.fixture(params=["sqlite", "postgresql"])
async def database(
    request: pytest.FixtureRequest, tmp_path: object, postgres_url: str
) -> AsyncIterator[Database]:
    """A migrated, empty database of each kind."""
    if request.param == "sqlite":
        store = Database.connect(f"sqlite:///{tmp_path}/liveqa.db")
        await store.upgrade()
    else:
        store = Database.connect(postgres_url)
        await empty_tables(store)
    try:
        yield store
    finally:
        await store.close()


class Clock:
    """A wall clock that moves 1 ms per reading, so stored times are predictable."""

    def __init__(self, start: int = 1_700_000_000_000) -> None:
        self.now = start

    def __call__(self) -> int:
        self.now += 1
        return self.now


@pytest.fixture
def board(database: Database) -> Board:
    """A board with the default limits and rates, and a predictable clock."""
    return Board(database, clock=Clock())
