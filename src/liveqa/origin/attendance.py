"""Live attendee counts: published when a room's count changed, at most once per interval.

Joins and leaves only mark a room; a background task writes the sockets' comings and goings
(`Board.presence`), counts marked rooms in the store and publishes the counts that changed, so a
thousand people arriving at once cost a few events, not a thousand. Each origin process does this
for the sockets it saw; counts come from the store, so processes agree.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence

from liveqa.origin.board import Board, Publication, room_channel
from liveqa.origin.messages import AttendanceChanged

log = logging.getLogger(__name__)

Publish = Callable[[Sequence[Publication]], Awaitable[None]]


class Attendance:
    """Marks rooms whose attendance changed and publishes their counts in the background."""

    def __init__(
        self, board: Board, publish: Publish, *, interval: float = 2.0, prune_every: float = 300.0
    ) -> None:
        self.board = board
        self.publish = publish
        self.interval = interval
        self.prune_every = prune_every
        self._marked: set[str] = set()
        self._published: dict[str, int] = {}
        self._task: asyncio.Task[None] | None = None

    def changed(self, room_id: str) -> None:
        """Someone joined or left `room_id`."""
        self._marked.add(room_id)

    async def flush(self) -> None:
        """Publish the count of every marked room whose count differs from the last one sent."""
        self._marked |= await self.board.presence.flush()
        marked, self._marked = self._marked, set()
        publications = []
        for room_id in sorted(marked):
            count = await self.board.attendees(room_id)
            if self._published.get(room_id) == count:
                continue
            if count:
                self._published[room_id] = count
            else:
                self._published.pop(room_id, None)
            event = AttendanceChanged(room_id=room_id, attendees=count)
            publications.append(Publication(room_channel(room_id), event))
        await self.publish(publications)

    async def _run(self) -> None:
        next_prune = time.monotonic() + self.prune_every
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.flush()
                if time.monotonic() >= next_prune:
                    next_prune = time.monotonic() + self.prune_every
                    await self.board.prune_connections()
            except Exception:
                log.exception("publishing attendee counts failed")

    def start(self) -> None:
        """Start the background task."""
        if self._task is None:
            self._task = asyncio.create_task(self._run())

    async def close(self) -> None:
        """Stop the background task."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        try:
            await self.board.presence.flush()
        except Exception:
            log.exception("recording the last sockets' comings and goings failed")
