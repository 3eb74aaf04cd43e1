"""The store: an engine plus transactions that hand out the query set."""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncEngine

from liveqa.store.engine import WRITE_OPTION, create_engine
from liveqa.store.migrate import upgrade
from liveqa.store.queries import Queries

# Upper bounds in seconds of the transaction-time histogram: a SQLite write takes about 1 ms.
DURATION_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class Durations:
    """How long the transactions of one kind took, and how many failed, as plain numbers."""

    __slots__ = ("counts", "failed", "total")

    def __init__(self) -> None:
        self.counts = [0] * (len(DURATION_BUCKETS) + 1)
        self.total = 0.0
        self.failed = 0

    def observe(self, seconds: float) -> None:
        """Count one transaction that took `seconds`."""
        self.counts[bisect.bisect_left(DURATION_BUCKETS, seconds)] += 1
        self.total += seconds


class Database:
    """Transactions on one database; every write commits before the caller publishes it."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._writer = engine.execution_options(**{WRITE_OPTION: True})
        # SQLite has one writer at a time: a second BEGIN IMMEDIATE of this process would wait
        # in SQLite's busy handler, which sleeps 1, 2, 5, 10... ms between tries; queueing here
        # hands the lock over as soon as the previous write commits.
        self._write_turn = asyncio.Lock() if self.dialect == "sqlite" else None
        self.reads = Durations()
        self.writes = Durations()

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
        async with (
            _timed(self.writes),
            turn,
            self._writer.connect() as connection,
            connection.begin(),
        ):
            yield Queries(connection)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Queries]:
        """A read transaction on one consistent snapshot (a room's questions match its seq)."""
        async with _timed(self.reads), self.engine.connect() as connection:
            if self.dialect == "postgresql":
                # READ COMMITTED would give each statement its own snapshot.
                await connection.execution_options(isolation_level="REPEATABLE READ")
            async with connection.begin():
                yield Queries(connection)

    async def close(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()


@asynccontextmanager
async def _timed(durations: Durations) -> AsyncIterator[None]:
    """Time the block into `durations` (a wait for SQLite's write turn included)."""
    start = time.perf_counter()
    try:
        yield
    except BaseException:
        durations.failed += 1
        raise
    finally:
        durations.observe(time.perf_counter() - start)
