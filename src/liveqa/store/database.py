"""The store: an engine plus transactions that hand out the query set."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncEngine

from liveqa.store.engine import WRITE_OPTION, create_engine
from liveqa.store.migrate import upgrade
from liveqa.store.queries import Queries


class Database:
    """Transactions on one database; every write commits before the caller publishes it."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._writer = engine.execution_options(**{WRITE_OPTION: True})
        # SQLite has one writer at a time: a second BEGIN IMMEDIATE of this process would wait
        # in SQLite's busy handler, which sleeps 1, 2, 5, 10... ms between tries; queueing here
        # hands the lock over as soon as the previous write commits.
        self._write_turn = asyncio.Lock() if self.dialect == "sqlite" else None

    @classmethod
    def connect(cls, url: str) -> Database:
        """A store for a `sqlite:///...` or `postgresql://...` URL (no I/O until first use)."""
        return cls(create_engine(url))

    @property
    def dialect(self) -> str:
        """`sqlite` or `postgresql`."""
        return self.engine.dialect.name

    async def upgrade(self) -> None:
        """Apply pending migrations."""
        await upgrade(self.engine)

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Queries]:
        """A write transaction, committed when the block ends without an exception."""
        turn = self._write_turn or contextlib.nullcontext()
        async with turn, self._writer.connect() as connection, connection.begin():
            yield Queries(connection)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Queries]:
        """A read transaction on one consistent snapshot (a room's questions match its seq)."""
        async with self.engine.connect() as connection:
            if self.dialect == "postgresql":
                # READ COMMITTED would give each statement its own snapshot.
                await connection.execution_options(isolation_level="REPEATABLE READ")
            async with connection.begin():
                yield Queries(connection)

    async def close(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()
