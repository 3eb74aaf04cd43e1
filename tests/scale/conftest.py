"""Scale-out fixtures: a PostgreSQL database for the session, and clusters of liveqa processes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from .cluster import Cluster, build_cluster, create_database, drop_database, running


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A new PostgreSQL database for this test session, dropped at the end."""
    url = asyncio.run(create_database())
    try:
        yield url
    finally:
        asyncio.run(drop_database(url))


@pytest.fixture
async def cluster(tmp_path: Path, postgres_url: str) -> AsyncIterator[Cluster]:
    """Two origins on the session's database and two edges sharing items over Redis."""
    async with running(build_cluster(tmp_path, postgres_url)) as started:
        yield started
