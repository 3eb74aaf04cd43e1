"""A connection's events waiting for the origin, packed into request bodies as they arrive."""

from __future__ import annotations

# Like Pushpin's buffer size: the most event bytes one request carries (a bigger event goes alone).
MAX_REQUEST_CONTENT = 200_000
# Pushpin sets no such limit; the origin handles a request's events in one go, so a flood of tiny
# messages would otherwise hold it for a long time while other clients wait.
MAX_REQUEST_EVENTS = 20


class Backlog:
    """Encoded events in order; `take` hands out the next request body of whole events."""

    __slots__ = ("_bodies", "_last_events", "size")

    def __init__(self) -> None:
        # Bodies are filled as events come, so a backlog of tiny events holds few objects; a
        # body of one event stays the event itself, uncopied. A list, not a deque: an empty
        # deque costs 760 bytes on each of thousands of idle connections.
        self._bodies: list[bytes | bytearray] = []
        self._last_events = 0
        self.size = 0

    def __bool__(self) -> bool:
        return bool(self._bodies)

    def append(self, event: bytes) -> None:
        """Queue one encoded event."""
        bodies = self._bodies
        if (
            bodies
            and self._last_events < MAX_REQUEST_EVENTS
            and len(bodies[-1]) + len(event) <= MAX_REQUEST_CONTENT
        ):
            last = bodies[-1]
            if isinstance(last, bytes):
                bodies[-1] = last = bytearray(last)
            last += event
            self._last_events += 1
        else:
            bodies.append(event)
            self._last_events = 1
        self.size += len(event)

    def take(self) -> bytes:
        """The oldest events that fit in one request, removed from the backlog."""
        body = self._bodies.pop(0)
        self.size -= len(body)
        if not self._bodies:
            self._last_events = 0
        return body if isinstance(body, bytes) else bytes(body)

    def clear(self) -> None:
        """Drop every queued event."""
        self._bodies.clear()
        self._last_events = 0
        self.size = 0
