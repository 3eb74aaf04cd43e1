"""Which sockets are open in which room, as the store counts attendees: written in batches.

Each socket's open, keep-alive refresh and close used to be a write transaction of its own, so
clients connecting and disconnecting in a loop queued everyone's writes behind theirs. They are
noted here and written together at each flush (every attendance interval); a socket that opens
and closes between two flushes costs no write at all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from liveqa.store import Database


@dataclass(frozen=True, slots=True)
class _Present:
    """The socket is open (`opened`) or was just seen alive, in this room, at `at` (epoch ms)."""

    room_id: str
    participant_id: str
    at: int
    opened: bool


# Per connection id: what to write at the next flush; None means "closed".
_Change = _Present | None


class Presence:
    """Socket opens, refreshes and closes, kept until `flush` writes them in one transaction."""

    def __init__(self, database: Database, clock: Callable[[], int]) -> None:
        self.database = database
        self.clock = clock
        self._pending: dict[str, _Change] = {}
        # Sockets opened here and not flushed yet: their close needs no write.
        self._unwritten: set[str] = set()

    def opened(self, connection_id: str, room_id: str, participant_id: str) -> None:
        """A socket joined `room_id`."""
        self._pending[connection_id] = _Present(room_id, participant_id, self.clock(), True)
        self._unwritten.add(connection_id)

    def seen(self, connection_id: str, room_id: str, participant_id: str) -> None:
        """The proxy mentioned the socket: it still counts."""
        change = self._pending.get(connection_id)
        opened = change is not None and change.opened
        self._pending[connection_id] = _Present(room_id, participant_id, self.clock(), opened)

    def closed(self, connection_id: str) -> None:
        """The socket is gone."""
        if connection_id in self._unwritten:
            self._unwritten.discard(connection_id)
            self._pending.pop(connection_id, None)
        else:
            self._pending[connection_id] = None

    async def flush(self) -> set[str]:
        """Write what changed; the rooms whose sockets changed (so their counts may have)."""
        if not self._pending:
            return set()
        pending, self._pending = self._pending, {}
        unwritten, self._unwritten = self._unwritten, set()
        rooms: set[str] = set()
        try:
            async with self.database.write() as queries:
                for connection_id, change in pending.items():
                    if change is None:
                        room_id = await queries.close_connection(connection_id)
                        if room_id is not None:
                            rooms.add(room_id)
                        continue
                    rooms.add(change.room_id)
                    if change.opened or not await queries.touch_connection(
                        connection_id, change.at
                    ):
                        await queries.open_connection(
                            connection_id, change.room_id, change.participant_id, change.at
                        )
        except BaseException:
            # Kept for the next flush, behind whatever happened since.
            self._pending = {**pending, **self._pending}
            self._unwritten |= unwritten & self._pending.keys()
            raise
        return rooms
