"""Origin fixtures: a board on each kind of database, participants and a room."""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import jwt
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from liveqa.grip import sig
from liveqa.grip.events import (
    CLOSE,
    CONTENT_TYPE,
    OPEN,
    TEXT,
    WebSocketEvent,
    decode_events,
    encode_events,
    parse_close_payload,
)
from liveqa.origin.api import CLIENT_HEADER
from liveqa.origin.app import OriginConfig, create_app
from liveqa.origin.board import Board
from liveqa.origin.publisher import PublishTarget
from liveqa.store import Database


class Clock:
    """A wall clock that moves 1 ms per reading, so stored times are predictable."""

    def __init__(self, start: int = 1_700_000_000_000) -> None:
        self.now = start

    def __call__(self) -> int:
        self.now += 1
        return self.now


@pytest.fixture
def board(database: Database) -> Board:
    """A board with the default limits and rates, and a predictable clock."""
    return Board(database, clock=Clock())


SIG_KEY = "test-grip-sig-key-0123456789abcdef0123"


def verify_sig(token: str | None) -> bool:
    """Grip-Sig check used by the test apps: a JWT signed with SIG_KEY."""
    return bool(token) and sig.verify_sig(token or "", SIG_KEY.encode())


def mint_sig(key: str = SIG_KEY, iss: str = "pushpin", expires_in: int = 3600) -> str:
    """A Grip-Sig as Pushpin makes it (PyJWT directly, so expired tokens can be made too)."""
    return jwt.encode({"iss": iss, "exp": int(time.time()) + expires_in}, key, algorithm="HS256")


class PublishRecorder:
    """A fake GRIP publish endpoint that records what the origin publishes."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.failures = 0
        self.authorization: list[str | None] = []
        self.server: TestServer | None = None
        self._arrived = asyncio.Condition()

    async def handle(self, request: web.Request) -> web.Response:
        self.authorization.append(request.headers.get("Authorization"))
        if self.failures:
            self.failures -= 1
            return web.Response(status=503, text="try later")
        self.bodies.append(await request.json())
        async with self._arrived:
            self._arrived.notify_all()
        return web.Response(text="Published\n")

    async def until_items(self, count: int, within: float = 5.0) -> None:
        """Wait until `count` items have arrived."""
        async with asyncio.timeout(within), self._arrived:
            await self._arrived.wait_for(lambda: len(self.items()) >= count)

    @property
    def url(self) -> str:
        assert self.server is not None
        return str(self.server.make_url("/publish/"))

    def items(self) -> list[dict[str, Any]]:
        return [item for body in self.bodies for item in body["items"]]

    def messages(self, channel: str) -> list[dict[str, Any]]:
        """Decoded ws-message contents published to `channel`, in order."""
        return [
            json.loads(item["formats"]["ws-message"]["content"])
            for item in self.items()
            if item["channel"] == channel
        ]


@contextlib.asynccontextmanager
async def recorder_running() -> AsyncIterator[PublishRecorder]:
    """A fake publish endpoint on a test server, closed on exit."""
    recorder = PublishRecorder()
    app = web.Application()
    app.router.add_post("/publish/", recorder.handle)
    recorder.server = TestServer(app)
    await recorder.server.start_server()
    try:
        yield recorder
    finally:
        await recorder.server.close()


@pytest.fixture
async def recorder() -> AsyncIterator[PublishRecorder]:
    """A running fake publish endpoint."""
    async with recorder_running() as recorder:
        yield recorder


class Browser:
    """One person's browser: its own cookie jar, talking to the origin's REST API."""

    def __init__(self, server: TestServer) -> None:
        self.server = server
        self.session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))

    def url(self, path: str) -> str:
        return str(self.server.make_url(path))

    async def request(
        self, method: str, path: str, body: Any = None, **kwargs: Any
    ) -> tuple[int, Any]:
        """Status and decoded JSON (or text) of one request; changes carry the client header
        as the web client's do."""
        if body is not None:
            kwargs["json"] = body
        if method != "GET":
            kwargs["headers"] = {CLIENT_HEADER: "1", **kwargs.get("headers", {})}
        async with self.session.request(method, self.url(path), **kwargs) as response:
            if response.content_type == "application/json":
                return response.status, await response.json()
            return response.status, await response.text()

    async def join(self, name: str) -> str:
        """Start a session; returns the participant id."""
        status, body = await self.request("POST", "/api/session", {"displayName": name})
        assert status == 201, body
        return str(body["participantId"])

    def cookie_header(self) -> str:
        cookies = self.session.cookie_jar.filter_cookies(self.server.make_url("/"))
        return "; ".join(f"{name}={morsel.value}" for name, morsel in cookies.items())

    async def close(self) -> None:
        await self.session.close()


class Socket:
    """One client WebSocket as a GRIP proxy carries it: WebSocket-over-HTTP, with meta kept."""

    def __init__(
        self, browser: Browser, room_id: str, sig: str | None = None, view: str | None = None
    ) -> None:
        self.browser = browser
        self.room_id = room_id
        self.view = view
        self.sig = sig if sig is not None else mint_sig()
        self.connection_id = secrets.token_hex(8)
        self.meta: dict[str, str] = {}
        self.received: list[dict[str, Any]] = []
        self.controls: list[dict[str, Any]] = []
        self.closed: tuple[int | None, str] | None = None
        self.headers: dict[str, str] = {}
        # Extra request headers, such as the X-Forwarded-For of a proxy.
        self.headers_out: dict[str, str] = {}

    async def post(self, events: list[WebSocketEvent]) -> tuple[int, list[WebSocketEvent]]:
        """Send events; apply Set-Meta-*; collect messages, controls and a close."""
        headers = {
            "Content-Type": CONTENT_TYPE,
            "Accept": CONTENT_TYPE,
            "Connection-Id": self.connection_id,
            "Grip-Sig": self.sig,
            "Sec-WebSocket-Extensions": "grip",
            "Cookie": self.browser.cookie_header(),
            **{f"Meta-{name}": value for name, value in self.meta.items()},
            **self.headers_out,
        }
        view = "" if self.view is None else f"&view={self.view}"
        url = self.browser.url(f"/api/websocket?roomId={self.room_id}{view}")
        async with self.browser.session.post(
            url, data=encode_events(events), headers=headers
        ) as response:
            body = await response.read()
            self.headers = dict(response.headers)
            if response.status != 200:
                return response.status, []
        assert response.headers["Content-Type"] == CONTENT_TYPE
        for name, value in response.headers.items():
            if name.lower().startswith("set-meta-"):
                self.meta[name[len("Set-Meta-") :]] = value
        out = decode_events(body)
        for event in out:
            if event.type == TEXT and event.content is not None:
                if event.content.startswith(b"c:"):
                    self.controls.append(json.loads(event.content[2:]))
                elif event.content.startswith(b"m:"):
                    self.received.append(json.loads(event.content[2:]))
                else:
                    self.received.append(json.loads(event.content))
            elif event.type == CLOSE:
                self.closed = parse_close_payload(event.content)
        return 200, out

    async def open(self) -> list[WebSocketEvent]:
        status, events = await self.post([WebSocketEvent(OPEN)])
        assert status == 200
        return events

    async def send(self, *messages: dict[str, Any]) -> list[dict[str, Any]]:
        """Send JSON messages in one batch; return the messages this socket got back."""
        before = len(self.received)
        status, _ = await self.post(
            [WebSocketEvent(TEXT, json.dumps(m).encode()) for m in messages]
        )
        assert status == 200
        return self.received[before:]


class Origin:
    """An origin app on a test server, with helpers to make browsers and sockets."""

    def __init__(self, server: TestServer, recorder: PublishRecorder) -> None:
        self.server = server
        self.recorder = recorder
        self.browsers: list[Browser] = []

    def browser(self) -> Browser:
        browser = Browser(self.server)
        self.browsers.append(browser)
        return browser

    async def host_and_guest(self) -> tuple[Browser, Browser]:
        """Hana, who created room "town-hall" (so hosts it), and Gus, who has only joined."""
        host = self.browser()
        await host.join("Hana")
        status, _ = await host.request("POST", "/api/rooms", {"roomId": "town-hall"})
        assert status == 201
        guest = self.browser()
        await guest.join("Gus")
        return host, guest

    async def close(self) -> None:
        for browser in self.browsers:
            await browser.close()
        await self.server.close()


def origin_config(url: str, recorder: PublishRecorder, **kwargs: Any) -> OriginConfig:
    """A test configuration: publishes to `recorder`, verifies Grip-Sig with SIG_KEY."""
    return OriginConfig(
        database_url=url,
        publish_targets=[PublishTarget(recorder.url)],
        verify_sig=verify_sig,
        secret_key="test-session-secret-0123456789",
        **kwargs,
    )


@pytest.fixture
async def origin(tmp_path: Path, recorder: PublishRecorder) -> AsyncIterator[Origin]:
    """An origin on SQLite publishing to the recorder."""
    app = create_app(origin_config(f"sqlite:///{tmp_path}/origin.db", recorder))
    server = TestServer(app)
    await server.start_server()
    running = Origin(server, recorder)
    try:
        yield running
    finally:
        await running.close()
