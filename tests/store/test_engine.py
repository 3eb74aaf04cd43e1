"""Database URLs map to async drivers; SQLite connections run in WAL mode with foreign keys."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import event

from liveqa.store.engine import POOL_SIZE, create_engine, database_url
from support.database import POSTGRES_ADMIN_URL


@pytest.mark.parametrize(
    ("url", "driver"),
    [
        ("sqlite:///liveqa.db", "sqlite+aiosqlite"),
        ("sqlite+aiosqlite:///x.db", "sqlite+aiosqlite"),
        ("postgresql://postgres@127.0.0.1:5432/test", "postgresql+asyncpg"),
        ("postgres://u:p@db/qa", "postgresql+asyncpg"),
        ("postgresql+asyncpg://u@db/qa", "postgresql+asyncpg"),
    ],
)
def test_database_url_maps_to_async_driver(url: str, driver: str) -> None:
    parsed = database_url(url)
    assert parsed.drivername == driver
    assert parsed.database == url.rsplit("/", 1)[1]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://u@db/qa", "unsupported database URL scheme 'mysql'"),
        ("sqlite://", "needs a file path"),
        ("sqlite:///:memory:", "needs a file path"),
        ("not a url", "invalid database URL"),
    ],
)
def test_database_url_refuses_unsupported(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        database_url(url)


async def test_sqlite_connections_use_wal_and_foreign_keys(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path}/wal.db")
    try:
        async with engine.connect() as connection:
            mode = (await connection.exec_driver_sql("PRAGMA journal_mode")).scalar()
            keys = (await connection.exec_driver_sql("PRAGMA foreign_keys")).scalar()
            sync = (await connection.exec_driver_sql("PRAGMA synchronous")).scalar()
    finally:
        await engine.dispose()
    assert (mode, keys, sync) == ("wal", 1, 2)


async def test_sqlite_connection_returns_to_the_pool_without_a_transaction(
    tmp_path: Path,
) -> None:
    engine = create_engine(f"sqlite:///{tmp_path}/reset.db")
    try:
        async with engine.begin() as connection:
            await connection.exec_driver_sql("CREATE TABLE t (x INTEGER)")
        async with engine.connect() as connection:
            driver = (await connection.get_raw_connection()).driver_connection
            assert driver is not None
            # A transaction SQLAlchemy does not know about, left open.
            await driver.execute("BEGIN")
            await driver.execute("INSERT INTO t VALUES (1)")
            assert driver.in_transaction
        async with engine.connect() as connection:
            driver = (await connection.get_raw_connection()).driver_connection
            assert driver is not None
            open_after = driver.in_transaction
            rows = (await connection.exec_driver_sql("SELECT count(*) FROM t")).scalar()
        async with engine.begin() as connection:
            await connection.exec_driver_sql("INSERT INTO t VALUES (2)")
        async with engine.connect() as connection:
            committed = (await connection.exec_driver_sql("SELECT x FROM t")).scalars().all()
    finally:
        await engine.dispose()
    assert (open_after, rows, committed) == (False, 0, [2])


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
async def test_busy_moments_reuse_the_pools_connections(dialect: str, tmp_path: Path) -> None:
    url = POSTGRES_ADMIN_URL if dialect == "postgresql" else f"sqlite:///{tmp_path}/p.db"
    engine = create_engine(url)
    opened = 0

    def count(*_: object) -> None:
        nonlocal opened
        opened += 1

    event.listen(engine.sync_engine, "connect", count)
    everyone_in = asyncio.Barrier(POOL_SIZE)

    async def hold() -> None:
        async with engine.connect() as connection:
            await connection.exec_driver_sql("SELECT 1")
            await everyone_in.wait()

    try:
        for _ in range(3):
            await asyncio.gather(*(hold() for _ in range(POOL_SIZE)))
    finally:
        await engine.dispose()
    assert opened == POOL_SIZE
