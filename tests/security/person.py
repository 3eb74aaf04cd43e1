"""Someone reaching a running stack from an address of their choice, as a TLS front reports it.

The stack must run with `behind_front=True`: the front appends the client's address to
X-Forwarded-For, and these requests carry that header as the front would send it.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from typing import Any

import aiohttp

REPLY_TIMEOUT = 10.0


class Person:
    """One browser (its own session cookie) at `address`, reaching the stack at `url`."""

    def __init__(self, http: aiohttp.ClientSession, url: str, address: str) -> None:
        self.http = http
        self.url = url
        self.address = address
        self.cookie = ""
        self.participant_id = ""
        self._refs = itertools.count(1)

    @property
    def headers(self) -> dict[str, str]:
        # X-LiveQA: as the web client sends it with every change.
        headers = {"X-Forwarded-For": self.address, "X-Forwarded-Proto": "https", "X-LiveQA": "1"}
        if self.cookie:
            headers["Cookie"] = self.cookie
        return headers

    async def request(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """Status and decoded body; a new session cookie is kept (it is Secure: sent by hand)."""
        async with self.http.request(
            method, self.url + path, json=body, headers=self.headers
        ) as response:
            text = await response.text()
            if "liveqa_session" in response.cookies:
                self.cookie = f"liveqa_session={response.cookies['liveqa_session'].value}"
            return response.status, json.loads(text) if text else None

    async def start_session(self, name: str | None = None) -> int:
        """POST /api/session; the status."""
        status, body = await self.request(
            "POST", "/api/session", {} if name is None else {"displayName": name}
        )
        if status in (200, 201):
            self.participant_id = body["participantId"]
        return status

    async def socket(self, room_id: str, query: str = "") -> aiohttp.ClientWebSocketResponse:
        """The room's WebSocket through the edge."""
        url = self.url.replace("http://", "ws://", 1)
        return await self.http.ws_connect(
            f"{url}/api/websocket?roomId={room_id}{query}", headers=self.headers, heartbeat=None
        )

    async def send(
        self, socket: aiohttp.ClientWebSocketResponse, message: dict[str, Any]
    ) -> dict[str, Any]:
        """Send a message and return its ACK or ERROR (room events meanwhile are skipped)."""
        ref = f"r{next(self._refs)}"
        await socket.send_str(json.dumps({**message, "ref": ref}))
        async with asyncio.timeout(REPLY_TIMEOUT):
            async for frame in socket:
                if frame.type != aiohttp.WSMsgType.TEXT:
                    break
                reply: dict[str, Any] = json.loads(frame.data)
                if reply.get("ref") == ref and reply.get("type") in ("ACK", "ERROR"):
                    return reply
        raise AssertionError(f"the socket closed before the reply to {message}")
