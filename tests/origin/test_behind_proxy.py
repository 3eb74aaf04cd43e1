"""End to end behind real GRIP proxies: Debian's Pushpin and `liveqa edge`, same flow for both."""

from __future__ import annotations

import asyncio
import contextlib
import json
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from liveqa.origin.app import OriginConfig, create_app
from liveqa.origin.publisher import PublishTarget
from support.edge import edge_command
from support.ports import free_port
from support.processes import log_tail, start_logged, stop, wait_answering
from support.pushpin import Pushpin

from .conftest import SIG_KEY, verify_sig

pytestmark = pytest.mark.pushpin


@dataclass(frozen=True)
class Stack:
    """Where clients connect: the proxy's client port."""

    http_url: str
    ws_url: str


@contextlib.asynccontextmanager
async def _pushpin(origin_port: int, pushpin: Pushpin) -> AsyncIterator[int]:
    pushpin.origin = f"127.0.0.1:{origin_port}"
    await asyncio.to_thread(pushpin.start, origin_up=True)
    try:
        yield pushpin.http_port
    finally:
        await asyncio.to_thread(pushpin.stop)


@contextlib.asynccontextmanager
async def _edge(origin_port: int, http_port: int, publish_port: int) -> AsyncIterator[int]:
    with tempfile.TemporaryDirectory(prefix="liveqa-e2e-") as directory:
        log_path = Path(directory) / "edge.log"
        command = edge_command(origin_port, http_port, publish_port, SIG_KEY)
        process = await start_logged(command, log_path)

        def alive() -> None:
            if process.returncode is not None:
                tail = log_tail(log_path)
                raise RuntimeError(f"liveqa edge exited ({process.returncode}):\n{tail}")

        try:
            deadline = time.monotonic() + 30
            await wait_answering(http_port, deadline, path="/api/openapi.json", alive=alive)
            yield http_port
        finally:
            await stop(process)


@pytest.fixture(params=["pushpin", "liveqa-edge"])
async def stack(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Stack]:
    """The origin on SQLite behind a proxy that signs with SIG_KEY and takes its publishes."""
    pushpin = Pushpin(origin="", sig_key=SIG_KEY)
    if request.param == "pushpin":
        http_port, publish_port = pushpin.http_port, pushpin.publish_port
    else:
        http_port, publish_port = free_port(), free_port()
    config = OriginConfig(
        database_url=f"sqlite:///{tmp_path}/e2e.db",
        publish_targets=[PublishTarget(f"http://127.0.0.1:{publish_port}/publish/")],
        verify_sig=verify_sig,
        secret_key="end-to-end-session-secret-0123",
    )
    server = TestServer(create_app(config), host="127.0.0.1", port=free_port())
    await server.start_server()
    try:
        if request.param == "pushpin":
            proxy = _pushpin(server.port or 0, pushpin)
        else:
            proxy = _edge(server.port or 0, http_port, publish_port)
        async with proxy as port:
            yield Stack(f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}")
    finally:
        await server.close()


class Person:
    """A browser behind the proxy: REST with its cookie, and one WebSocket to a room."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.messages: list[dict[str, Any]] = []
        self.socket: aiohttp.ClientWebSocketResponse | None = None
        self.reader: asyncio.Task[None] | None = None

    async def call(self, method: str, path: str, body: Any = None) -> Any:
        async with self.session.request(method, self.stack.http_url + path, json=body) as response:
            assert response.status < 300, await response.text()
            return await response.json()

    async def connect(self, room_id: str) -> None:
        self.socket = await self.session.ws_connect(
            f"{self.stack.ws_url}/api/websocket?roomId={room_id}"
        )
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.socket is not None
        async for message in self.socket:
            if message.type == aiohttp.WSMsgType.TEXT:
                decoded = json.loads(message.data)
                if isinstance(decoded, dict) and "type" in decoded:
                    self.messages.append(decoded)

    async def send(self, **message: Any) -> dict[str, Any]:
        """Send a message and wait for its ACK (or ERROR)."""
        assert self.socket is not None
        ref = f"r{len(self.messages)}-{time.monotonic_ns()}"
        await self.socket.send_str(json.dumps({**message, "ref": ref}))
        return await self.wait(lambda m: m.get("ref") == ref)

    async def wait(
        self, match: Callable[[dict[str, Any]], bool], within: float = 10.0
    ) -> dict[str, Any]:
        async with asyncio.timeout(within):
            while True:
                for message in self.messages:
                    if match(message):
                        return message
                await asyncio.sleep(0.02)

    def room_events(self, after: int = 0) -> list[dict[str, Any]]:
        return [m for m in self.messages if m.get("seq", 0) > after]

    async def close(self) -> None:
        if self.socket is not None:
            await self.socket.close()
        if self.reader is not None:
            await self.reader
        await self.session.close()


async def _until_subscribed(host: Person, people: list[Person]) -> int:
    """Change the room until every socket sees it; returns the seq of that change.

    A proxy applies a socket's subscriptions a moment after accepting it (Pushpin does so in
    another process), so events published meanwhile never reach it: real clients notice the
    gap in `seq` and resync, and this test waits instead.
    """
    for attempt in range(40):
        name = f"Warming up {attempt}"
        await host.send(type="ROOMINFO_UPDATE", displayName=name)

        def changed(message: dict[str, Any], name: str = name) -> bool:
            room = message.get("room") or {}
            return bool(room.get("displayName") == name)

        try:
            seqs = [int((await person.wait(changed, 0.5))["seq"]) for person in people]
        except TimeoutError:
            continue
        return max(seqs)
    raise TimeoutError("the sockets never received a room event")


async def test_two_clients_follow_every_change_in_order(stack: Stack) -> None:
    host, guest = Person(stack), Person(stack)
    try:
        await host.call("POST", "/api/session", {"displayName": "Hana"})
        await guest.call("POST", "/api/session", {"displayName": "Gus"})
        created = await host.call("POST", "/api/rooms", {"roomId": "town-hall"})
        await host.connect("town-hall")
        await guest.connect("town-hall")
        base = await _until_subscribed(host, [host, guest])
        ack = await guest.send(type="QUESTION_POST_TO_ROOM", questionText="Why GRIP?", nonce="q1")
        assert ack["type"] == "ACK", ack
        question_id = ack["questionId"]
        await guest.send(type="QUESTION_UPVOTE", questionId=question_id, removeUpvote=True)
        await guest.send(type="QUESTION_UPVOTE", questionId=question_id)
        await guest.send(type="USERINFO_UPDATE", displayName="Gustav")
        await host.send(type="QUESTION_POST_ANSWER", questionId=question_id, answerText="Fan-out")
        await host.send(type="QUESTION_DELETE", questionId=question_id)
        expected = [
            ("QUESTION_UPDATE_INFO_PASSIVE", base + 1),
            ("QUESTION_UPVOTE_PASSIVE", base + 2),
            ("QUESTION_UPVOTE_PASSIVE", base + 3),
            ("USERINFO_UPDATE_PASSIVE", base + 4),
            ("QUESTION_UPDATE_INFO_PASSIVE", base + 5),
            ("QUESTION_DELETE_PASSIVE", base + 6),
        ]
        for person in (host, guest):
            await person.wait(lambda m: m.get("seq") == base + 6)
            assert [(m["type"], m["seq"]) for m in person.room_events(base)] == expected
        events = host.room_events(base)
        assert [events[1]["upvotes"], events[2]["upvotes"]] == [0, 1]
        assert events[3]["participant"]["displayName"] == "Gustav"
        assert events[4]["question"]["answerText"] == "Fan-out"
        refused = await guest.send(type="QUESTION_DELETE", questionId=question_id)
        assert (refused["type"], refused["code"]) == ("ERROR", "not_host")
        snapshot = await guest.call("GET", "/api/rooms/town-hall")
        assert (snapshot["seq"], snapshot["questions"]) == (base + 6, [])
        # Becoming host tells the open socket to reconnect (a new socket joins the hosts' channel).
        await guest.call("POST", "/api/rooms/town-hall/hosts", {"hostKey": created["hostKey"]})
        granted = await guest.wait(lambda m: m["type"] == "HOST_GRANTED_SELF")
        assert granted == {"type": "HOST_GRANTED_SELF", "roomId": "town-hall"}
        assert not [m for m in host.messages if m["type"] == "HOST_GRANTED_SELF"]
    finally:
        await host.close()
        await guest.close()
