"""Tests for the host's socket that maps acknowledged writes to room events."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any, cast

import aiohttp
import msgspec

from liveqa.origin.messages import (
    Ack,
    AttendanceChanged,
    Error,
    QuestionUpvoted,
    VoteChanged,
    encode,
)
from liveqa_bench.observer import Observer
from liveqa_bench.writes import POST, VOTE


class FakeSocket:
    """Yields queued messages as aiohttp's WebSocket does, and keeps what is sent."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[aiohttp.WSMessage | None] = asyncio.Queue()
        self.sent: list[dict[str, Any]] = []

    def feed(self, data: bytes | str, kind: aiohttp.WSMsgType = aiohttp.WSMsgType.TEXT) -> None:
        self.queue.put_nowait(aiohttp.WSMessage(kind, data, None))

    async def send_str(self, text: str) -> None:
        self.sent.append(msgspec.json.decode(text))

    async def close(self) -> None:
        self.queue.put_nowait(None)

    def __aiter__(self) -> AsyncIterator[aiohttp.WSMessage]:
        return self._messages()

    async def _messages(self) -> AsyncIterator[aiohttp.WSMessage]:
        while (message := await self.queue.get()) is not None:
            yield message


async def test_maps_each_write_to_its_seq_and_waits_for_the_last() -> None:
    socket = FakeSocket()
    observer = Observer(cast(aiohttp.ClientWebSocketResponse, socket))
    await observer.post("Target question 0")
    assert socket.sent == [
        {"type": "QUESTION_POST_TO_ROOM", "questionText": "Target question 0", "ref": 1,
         "nonce": "host-1"}
    ]  # fmt: skip
    question = {"questionId": "q1", "questionText": "x"}
    posted = {"type": "QUESTION_UPDATE_INFO_PASSIVE", "roomId": "r", "seq": 4, "question": question}
    socket.feed(msgspec.json.encode(posted))
    socket.feed(encode(Ack(ref=1, question_id="q1", pending=False)))
    socket.feed(encode(QuestionUpvoted(room_id="r", seq=5, question_id="q1", upvotes=2)))
    socket.feed(encode(VoteChanged(room_id="r", question_id="q1", upvoted=True, upvotes=2)))
    socket.feed(encode(AttendanceChanged(room_id="r", attendees=3)))
    socket.feed(encode(Error(ref=2, code="rate_limited", message="slow down")))
    socket.feed(b"\x00", aiohttp.WSMsgType.BINARY)
    socket.feed("not json")
    assert await observer.reach(5, 5.0)
    assert not await observer.reach(6, 0.05)
    assert observer.seqs == {(POST, "q1", 0): 4, (VOTE, "q1", 2): 5}
    assert (observer.last_seq, observer.posted) == (5, ["q1"])
    assert observer.refused == {"rate_limited": 1}
    await observer.close()
