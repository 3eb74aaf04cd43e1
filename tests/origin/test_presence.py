"""Sockets' comings and goings are written in batches; reconnecting costs no write."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import pytest

from liveqa.origin.board import Board
from liveqa.store import Queries


@pytest.fixture
def writes(board: Board, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the board's write transactions."""
    counted: list[int] = []
    write = board.database.write

    @contextlib.asynccontextmanager
    async def counting() -> AsyncIterator[Queries]:
        counted.append(1)
        async with write() as queries:
            yield queries

    monkeypatch.setattr(board.database, "write", counting)
    return counted


async def test_reconnecting_and_flapping_sockets_cost_no_write(
    board: Board, writes: list[int]
) -> None:
    host = await board.create_participant("Hana")
    await board.create_room(host.id, "town-hall")
    guest = await board.create_participant("Gus")
    writes.clear()
    await board.join("town-hall", guest.id, "first")
    assert len(writes) == 1, "a first join records the membership"
    await board.leave("first")
    for index in range(50):
        await board.join("town-hall", guest.id, f"flap-{index}")
        await board.leave(f"flap-{index}")
    assert len(writes) == 1
    assert await board.presence.flush() == set()
    assert await board.attendees("town-hall") == 0
    assert len(writes) == 1


async def test_one_flush_writes_every_change_and_names_the_rooms(
    board: Board, writes: list[int]
) -> None:
    host = await board.create_participant("Hana")
    await board.create_room(host.id, "town-hall")
    await board.create_room(host.id, "side-room")
    writes.clear()
    for index in range(20):
        await board.join("town-hall", host.id, f"t{index}")
    await board.join("side-room", host.id, "s1")
    assert await board.presence.flush() == {"town-hall", "side-room"}
    # Her first join of each room, and the flush.
    assert len(writes) == 3
    assert await board.attendees("town-hall") == 1
    for index in range(20):
        await board.leave(f"t{index}")
    assert await board.presence.flush() == {"town-hall"}
    assert await board.attendees("town-hall") == 0
    assert await board.attendees("side-room") == 1
    assert len(writes) == 4


async def test_changes_survive_a_failed_flush(
    board: Board, monkeypatch: pytest.MonkeyPatch
) -> None:
    host = await board.create_participant("Hana")
    await board.create_room(host.id, "town-hall")
    await board.join("town-hall", host.id, "c1")

    @contextlib.asynccontextmanager
    async def failing() -> AsyncIterator[Queries]:
        raise OSError("disk full")
        yield

    with monkeypatch.context() as patch:
        patch.setattr(board.database, "write", failing)
        with pytest.raises(OSError, match="disk full"):
            await board.presence.flush()
    await board.leave("c1")
    assert await board.presence.flush() == set()
    assert await board.attendees("town-hall") == 0
