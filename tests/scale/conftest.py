"""Scale-out fixtures: a PostgreSQL database for the session, and clusters of liveqa processes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from support.database import create_database, drop_database

from .cluster import Cluster, build_cluster, running


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A new PostgreSQL database for this test session (not migrated: the origins do that)."""
    url = asyncio.run(create_database("liveqa_scale_"))
    try:
        yield url
    finally:
        asyncio.run(drop_database(url))


@pytest.fixture
def topology() -> str:
    """How published items reach the edges; tests parametrize it to try the others.

    "bus": the origins publish to the first edge, which shares items with the second over Redis.
    "publish-to-all": no bus; the origins publish every item to both edges.
    "bus-and-publish-to-all": both at once.
    """
    return "bus"


@pytest.fixture
async def cluster(tmp_path: Path, postgres_url: str, topology: str) -> AsyncIterator[Cluster]:
    """Two origins on the session's database and two edges in front of them."""
    built = build_cluster(
        tmp_path,
        postgres_url,
        bus=topology != "publish-to-all",
        publish_to_all=topology != "bus",
    )
    async with running(built) as started:
        yield started
