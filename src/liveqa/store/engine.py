"""Database URLs and async engines: SQLite (WAL) through aiosqlite, PostgreSQL through asyncpg."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry, PoolResetState

from liveqa.extras import require_postgres

# Execution option set on connections that will write: SQLite then takes the write lock at
# BEGIN, so two writers never deadlock upgrading a read lock (SQLITE_BUSY without waiting).
WRITE_OPTION = "liveqa_write"

SQLITE_BUSY_TIMEOUT_S = 10.0
# As many connections as SQLAlchemy's default pool holds at most (5 kept, 10 more on demand), all
# kept open: an extra one was closed on return, and flapping clients then opened and closed one
# every few requests (a thread and a file for SQLite, a server process for PostgreSQL).
POOL_SIZE = 15

_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
}


def database_url(url: str) -> URL:
    """Map `sqlite:///file` and `postgresql://...` to their async drivers; refuse anything else.

    Raises ValueError for a URL liveqa cannot use, `MissingExtra` for PostgreSQL without asyncpg.
    """
    try:
        parsed = make_url(url)
    except Exception as exc:
        raise ValueError(f"invalid database URL {url!r}: {exc}") from None
    driver = _DRIVERS.get(parsed.drivername)
    if driver is None:
        raise ValueError(
            f"unsupported database URL scheme {parsed.drivername!r}: "
            "use sqlite:///path/to/file.db or postgresql://user@host/dbname"
        )
    parsed = parsed.set(drivername=driver)
    if driver == "postgresql+asyncpg":
        require_postgres()
    if driver.startswith("sqlite") and parsed.database in (None, "", ":memory:"):
        raise ValueError(
            "SQLite needs a file path (sqlite:///liveqa.db), not an in-memory database"
        )
    return parsed


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An async engine for `url`; SQLite connections get WAL, foreign keys and explicit BEGINs."""
    parsed = database_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_async_engine(
            parsed, pool_pre_ping=True, pool_size=POOL_SIZE, max_overflow=0, **kwargs
        )
    # Each driver call is a hand-off to aiosqlite's thread and back, which costs more than the
    # statement: BEGIN takes one call instead of three, and a connection returns to the pool
    # without a ROLLBACK when SQLite says no transaction is open (_sqlite_reset).
    engine = create_async_engine(
        parsed,
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S},
        pool_reset_on_return=None,
        pool_size=POOL_SIZE,
        max_overflow=0,
        **kwargs,
    )
    event.listen(engine.sync_engine, "connect", _sqlite_connect)
    event.listen(engine.sync_engine, "begin", _sqlite_begin)
    event.listen(engine.sync_engine.pool, "reset", _sqlite_reset)
    return engine


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # sqlite3 would otherwise BEGIN lazily before DML only, breaking transactional DDL and
    # repeatable reads; SQLAlchemy emits BEGIN itself in _sqlite_begin.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # FULL: a committed write survives power loss, not only a process crash.
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    immediate = connection.get_execution_options().get(WRITE_OPTION, False)
    begin = "BEGIN IMMEDIATE" if immediate else "BEGIN"
    connection.connection.dbapi_connection.run_async(  # type: ignore[union-attr]
        lambda driver: driver.execute_fetchall(begin)
    )


def _sqlite_reset(
    dbapi_connection: Any, record: ConnectionPoolEntry, state: PoolResetState
) -> None:
    # What pool_reset_on_return="rollback" does, skipped when there is nothing to roll back.
    if state.terminate_only or not state.asyncio_safe:
        return
    if record.driver_connection is not None and record.driver_connection.in_transaction:
        dbapi_connection.rollback()
