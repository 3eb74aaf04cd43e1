"""A test attendee that keeps a room in step as the web client does (src/liveqa/web/sync.js).

It opens the socket first and fetches the snapshot after, applies numbered room events in `seq`
order, fetches a fresh snapshot when it sees a gap, and reconnects (to any edge) when told to.
Everything each socket received is kept in arrival order, to check what the edges delivered.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp

WAIT = 15.0
RETRY_SNAPSHOT = 0.2

# (questionText, upvotes, answerText) by question id.
Questions = dict[str, tuple[str, int, str | None]]


class Disconnected(Exception):
    """The socket closed before the server answered a message."""


@dataclass
class RoomState:
    """What the attendee shows: the room's name and questions, as of event number `seq`."""

    seq: int = 0
    name: str = ""
    questions: Questions = field(default_factory=dict)


def _question(view: dict[str, Any]) -> tuple[str, int, str | None]:
    return (view["questionText"], view["upvotes"], view["answerText"])


def snapshot_state(snapshot: dict[str, Any]) -> RoomState:
    """The state a snapshot (`GET /api/rooms/{roomId}`) shows."""
    questions = {q["questionId"]: _question(q) for q in snapshot["questions"]}
    return RoomState(snapshot["seq"], snapshot["room"]["displayName"], questions)


def apply_event(state: RoomState, event: dict[str, Any]) -> bool:
    """Apply a numbered room event in place; False when events before it are missing (a gap)."""
    seq = event["seq"]
    if seq <= state.seq:
        return True
    if seq > state.seq + 1:
        return False
    kind = event["type"]
    if kind == "QUESTION_UPDATE_INFO_PASSIVE":
        state.questions[event["question"]["questionId"]] = _question(event["question"])
    elif kind == "QUESTION_UPVOTE_PASSIVE":
        text, _, answer = state.questions[event["questionId"]]
        state.questions[event["questionId"]] = (text, event["upvotes"], answer)
    elif kind == "QUESTION_DELETE_PASSIVE":
        state.questions.pop(event["questionId"], None)
    elif kind == "ROOMINFO_UPDATE_PASSIVE":
        state.name = event["room"]["displayName"]
    state.seq = seq
    return True


class Attendee:
    """One person: a cookie session, one socket at a time to some edge, and the room's state."""

    def __init__(self, name: str, edge_url: str, room_id: str) -> None:
        self.name = name
        self.edge_url = edge_url
        self.room_id = room_id
        self.session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.state = RoomState()
        # Every message each socket received, in order: one list per connection.
        self.received: list[list[dict[str, Any]]] = []
        self.close_codes: list[int | None] = []
        self.resyncs = 0
        self.socket: aiohttp.ClientWebSocketResponse | None = None
        self._reader: asyncio.Task[None] | None = None
        self._waiting: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._syncing: asyncio.Task[None] | None = None
        self._again = False
        self._buffer: list[dict[str, Any]] = []
        self._refs = 0

    async def call(self, method: str, path: str, body: Any = None) -> Any:
        """A REST call through the current edge; raises on an error status."""
        url = self.edge_url + path
        async with self.session.request(method, url, json=body) as response:
            text = await response.text()
            if response.status >= 300:
                raise AssertionError(f"{self.name}: {method} {path} -> {response.status} {text}")
            return json.loads(text)

    async def join(self) -> None:
        await self.call("POST", "/api/session", {"displayName": self.name})

    async def connect(self, edge_url: str | None = None) -> None:
        """Open a socket (to `edge_url` from now on, if given), then fetch a snapshot."""
        await self.disconnect()
        if edge_url is not None:
            self.edge_url = edge_url
        ws_url = self.edge_url.replace("http://", "ws://", 1)
        self.socket = await self.session.ws_connect(
            f"{ws_url}/api/websocket?roomId={self.room_id}", heartbeat=None
        )
        self.received.append([])
        self._reader = asyncio.create_task(self._read(self.socket, self.received[-1]))
        await self.resync()

    @property
    def connected(self) -> bool:
        return self.socket is not None and not self.socket.closed

    async def disconnect(self) -> None:
        if self.socket is not None:
            await self.socket.close()
        if self._reader is not None:
            await self._reader
        self.socket = self._reader = None

    async def _read(
        self, socket: aiohttp.ClientWebSocketResponse, log: list[dict[str, Any]]
    ) -> None:
        try:
            async for message in socket:
                if message.type != aiohttp.WSMsgType.TEXT:
                    continue
                decoded = json.loads(message.data)
                if not isinstance(decoded, dict) or "type" not in decoded:
                    continue  # the keep-alive `{}`
                log.append(decoded)
                waiting = self._waiting.pop(str(decoded.get("ref")), None)
                if waiting is not None and not waiting.done():
                    waiting.set_result(decoded)
                elif "seq" in decoded:
                    self._received(decoded)
        finally:
            self.close_codes.append(socket.close_code)
            for future in self._waiting.values():
                if not future.done():
                    future.set_exception(Disconnected(f"{self.name}: socket closed"))
            self._waiting.clear()

    def _received(self, event: dict[str, Any]) -> None:
        if self._syncing is not None:
            self._buffer.append(event)
        elif not apply_event(self.state, event):
            self._buffer.append(event)
            self._syncing = asyncio.create_task(self._resync())

    async def resync(self) -> None:
        """Fetch a snapshot and replay what arrived meanwhile (again while events are missing)."""
        if self._syncing is None:
            self._syncing = asyncio.create_task(self._resync())
        else:
            self._again = True
        await asyncio.shield(self._syncing)

    async def _resync(self) -> None:
        try:
            while True:
                self._again = False
                self.resyncs += 1
                try:
                    snapshot = await self.call("GET", f"/api/rooms/{self.room_id}")
                except (aiohttp.ClientError, AssertionError):
                    # As the web client does: the edge or origin may be coming back; try again.
                    await asyncio.sleep(RETRY_SNAPSHOT)
                    self._again = True
                    continue
                state = snapshot_state(snapshot)
                buffered, self._buffer = self._buffer, []
                for event in sorted(buffered, key=lambda e: int(e["seq"])):
                    if not apply_event(state, event):
                        self._again = True
                        break
                self.state = state
                if not self._again:
                    return
        finally:
            self._syncing = None

    async def send(self, **message: Any) -> dict[str, Any]:
        """Send a message, wait for its ACK (or ERROR); raises Disconnected if the socket ends."""
        if self.socket is None or self.socket.closed:
            raise Disconnected(f"{self.name}: not connected")
        self._refs += 1
        ref = f"{self.name}-{self._refs}"
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[ref] = future
        try:
            await self.socket.send_str(json.dumps({**message, "ref": ref}))
        except (ConnectionError, aiohttp.ClientError) as exc:
            self._waiting.pop(ref, None)
            raise Disconnected(f"{self.name}: {exc}") from exc
        async with asyncio.timeout(WAIT):
            return await future

    async def settled(self, seq: int, within: float = WAIT) -> RoomState:
        """Wait until the attendee's state is at least event number `seq` and not resyncing."""
        deadline = time.monotonic() + within
        while self.state.seq < seq or self._syncing is not None:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.name} is at seq {self.state.seq}, not {seq}")
            await asyncio.sleep(0.02)
        return self.state

    async def heard(self, seq: int, within: float = WAIT) -> None:
        """Wait until the current socket has received event number `seq`."""
        deadline = time.monotonic() + within
        while seq not in self.live_seqs():
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.name} never received seq {seq} on its socket")
            await asyncio.sleep(0.02)

    def live_seqs(self, connection: int = -1) -> list[int]:
        """The numbered events one socket received, in arrival order."""
        return [int(m["seq"]) for m in self.received[connection] if "seq" in m]

    async def close(self) -> None:
        with contextlib.suppress(aiohttp.ClientError, ConnectionError):
            await self.disconnect()
        if self._syncing is not None:
            self._syncing.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._syncing
        await self.session.close()


async def snapshot(attendee: Attendee) -> RoomState:
    """The room's state as the server has it now."""
    return snapshot_state(await attendee.call("GET", f"/api/rooms/{attendee.room_id}"))


async def open_room(host: Attendee, everyone: list[Attendee]) -> int:
    """Create the host's room, connect everyone, return the seq all sockets receive live from.

    A proxy applies a socket's subscriptions a moment after accepting it (Pushpin in another
    process; an edge with a bus once Redis confirms the SUBSCRIBE), so events published meanwhile
    reach that socket only through a resync: the host renames the room until every socket has
    received a rename live.
    """
    for attendee in everyone:
        await attendee.join()
    await host.call("POST", "/api/rooms", {"roomId": host.room_id})
    for attendee in everyone:
        await attendee.connect()
    return await all_live(host, everyone)


async def all_live(host: Attendee, everyone: list[Attendee]) -> int:
    """Wait until every connected socket receives room events live (see `open_room`)."""
    for attempt in range(50):
        ack = await host.send(type="ROOMINFO_UPDATE", displayName=f"Warming up {attempt}")
        assert ack["type"] == "ACK", ack
        await asyncio.sleep(0.1)
        seqs = [attendee.live_seqs() for attendee in everyone]
        if all(seqs):
            return max(max(received) for received in seqs)
    raise TimeoutError("some sockets never received a room event")
