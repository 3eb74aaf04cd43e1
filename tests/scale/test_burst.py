"""A burst of writes reaches every screen in order and at once (docs/benchmarks.md, faults).

100 writers each send 4 questions back to back, as a reconnecting web client resends its outbox,
while 20 listeners watch the room through `liveqa serve`. Before, a batch's events were published
only once the whole batch was processed although each took its seq at commit, so the edge held
later events for them and released some out of order; the last arrived seconds after its ACK.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from security.conftest import Stack, started

ROOM = "burst"
WRITERS = 100
LISTENERS = 20
QUESTIONS = 4
# Every event on every screen within this many seconds of its ACK reaching the writer: the target
# is 1 s (measured: 0.35 s at most); 2 s still catches an event held for the 5 s sequencer wait.
WITHIN = 2.0


@pytest.fixture
async def serve(tmp_path: Path) -> AsyncIterator[Stack]:
    async with started("serve", tmp_path) as stack:
        yield stack


async def person(stack: Stack, name: str) -> aiohttp.ClientSession:
    http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    async with http.post(f"{stack.url}/api/session", json={"displayName": name}) as response:
        assert response.status == 201, await response.text()
    return http


class Listener:
    """A screen in the room: when each room event (by seq) and each question arrived."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.seqs: list[int] = []
        self.questions: dict[str, float] = {}

    async def listen(self, until: asyncio.Event) -> None:
        while not until.is_set():
            try:
                async with asyncio.timeout(0.2):
                    frame = await self.ws.receive()
            except TimeoutError:
                continue
            if frame.type != aiohttp.WSMsgType.TEXT:
                return
            message: dict[str, Any] = json.loads(frame.data)
            if "seq" in message:
                self.seqs.append(message["seq"])
            if message["type"] == "QUESTION_UPDATE_INFO_PASSIVE":
                self.questions.setdefault(message["question"]["questionId"], time.monotonic())
                if len(self.questions) == WRITERS * QUESTIONS:
                    return

    @property
    def out_of_order(self) -> int:
        return sum(1 for before, after in itertools.pairwise(self.seqs) if after <= before)


async def write(ws: aiohttp.ClientWebSocketResponse, name: str) -> dict[str, float]:
    """Send every question at once; the ACK time of each question id."""
    for index in range(QUESTIONS):
        post = {
            "type": "QUESTION_POST_TO_ROOM",
            "ref": str(index),
            "nonce": f"{name}-{index}",
            "questionText": f"Question {index} from {name}",
        }
        await ws.send_str(json.dumps(post))
    acked: dict[str, float] = {}
    async with asyncio.timeout(30):
        while len(acked) < QUESTIONS:
            message = json.loads(await ws.receive_str())
            if message["type"] in ("ACK", "ERROR") and "ref" in message:
                assert message["type"] == "ACK", message
                acked[message["questionId"]] = time.monotonic()
    return acked


async def test_a_burst_reaches_every_listener_in_order_within_a_second(serve: Stack) -> None:
    host = await person(serve, "Host")
    people = [await person(serve, f"P{index}") for index in range(WRITERS + LISTENERS)]
    url = f"{serve.url}/api/websocket?roomId={ROOM}"
    try:
        async with host.post(f"{serve.url}/api/rooms", json={"roomId": ROOM}) as response:
            assert response.status == 201
        sockets = [await http.ws_connect(url) for http in people]
        listeners = [Listener(ws) for ws in sockets[WRITERS:]]
        done = asyncio.Event()
        listening = [asyncio.create_task(listener.listen(done)) for listener in listeners]
        acks = await asyncio.gather(
            *(write(ws, f"P{index}") for index, ws in enumerate(sockets[:WRITERS]))
        )
        acked = {question: at for writer in acks for question, at in writer.items()}
        last_ack = max(acked.values())
        # Every listener stops by itself once it has every question, or 10 s after the last ACK.
        await asyncio.wait(listening, timeout=max(0.0, last_ack + 10 - time.monotonic()))
        done.set()
        await asyncio.gather(*listening)
        for ws in sockets:
            await ws.close()
        assert [len(listener.questions) for listener in listeners] == [len(acked)] * LISTENERS
        assert [listener.out_of_order for listener in listeners] == [0] * LISTENERS
        late = [
            arrival - acked[question]
            for listener in listeners
            for question, arrival in listener.questions.items()
            if arrival - acked[question] > WITHIN
        ]
        assert late == [], f"{len(late)} arrivals over {WITHIN} s after the ACK, max {max(late)}"
    finally:
        for http in (host, *people):
            await http.close()
