"""Transactions: SQLite writers of one process take turns before reaching the database."""

from __future__ import annotations

import asyncio
from pathlib import Path

from liveqa.store import Database


async def test_sqlite_writers_of_one_process_take_turns_before_the_database(
    tmp_path: Path,
) -> None:
    database = Database.connect(f"sqlite:///{tmp_path}/turns.db")
    await database.upgrade()
    held: list[int] = []

    async def write(index: int) -> None:
        async with database.write() as queries:
            # Writers waiting for SQLite's lock would each hold a pooled connection meanwhile.
            held.append(database.engine.pool.checkedout())  # type: ignore[attr-defined]
            await queries.create_participant(f"p{index}", f"P{index}", index)
            await asyncio.sleep(0.001)

    try:
        await asyncio.gather(*(write(index) for index in range(8)))
        async with database.read() as queries:
            stored = [await queries.participant(f"p{index}") for index in range(8)]
    finally:
        await database.close()
    assert held == [1] * 8
    assert all(participant is not None for participant in stored)
