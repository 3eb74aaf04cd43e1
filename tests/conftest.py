"""Fixtures for every test directory: a PostgreSQL database per session, a database of each kind."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator

import pytest
from hypothesis import settings

from liveqa import logs
from liveqa.store import Database
from support.database import create_database, drop_database, empty_tables, migrate

# No time limit per example: timings are the benchmark's to check, and on a busy two-core machine
# one example can take a second (Hypothesis's 200 ms deadline failed a parser test under load).
settings.register_profile("liveqa", deadline=None)
settings.load_profile("liveqa")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, migrated, dropped at the end."""
    url = asyncio.run(create_database("liveqa_test_"))
    try:
        asyncio.run(migrate(url))
        yield url
    finally:
        asyncio.run(drop_database(url))


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


@pytest.fixture(autouse=True)
def _logging_as_it_was() -> Iterator[None]:
    """Undo a command's `logs.setup`: its handler writes to this test's captured stderr."""
    root = logging.getLogger()
    level, access = root.level, logs.ACCESS.level
    yield
    for handler in [h for h in root.handlers if h.get_name() == logs.HANDLER_NAME]:
        root.removeHandler(handler)
    root.setLevel(level)
    logs.ACCESS.setLevel(access)
