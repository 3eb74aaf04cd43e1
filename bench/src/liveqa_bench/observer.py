"""The application benchmark's observer: the host's own socket in the room."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from typing import Any

import aiohttp
import msgspec

from liveqa_bench.writes import POST, VOTE, Key


class Observer:
    """The host's socket: posts priming questions and maps each write's key to its `seq`."""

    def __init__(self, socket: aiohttp.ClientWebSocketResponse) -> None:
        self.socket = socket
        self.seqs: dict[Key, int] = {}
        self.last_seq = 0
        self.posted: list[str] = []
        self.refused: Counter[str] = Counter()
        self._ref = 0
        self._waiting: tuple[int, asyncio.Event] | None = None
        self._task = asyncio.create_task(self._read())

    async def reach(self, seq: int, within: float) -> bool:
        """Wait until event `seq` was seen, at most `within` seconds."""
        if self.last_seq >= seq:
            return True
        reached = asyncio.Event()
        self._waiting = (seq, reached)
        try:
            async with asyncio.timeout(within):
                await reached.wait()
        except TimeoutError:
            return False
        finally:
            self._waiting = None
        return True

    async def post(self, text: str) -> None:
        """Post a question as the host (its id joins `posted` once acknowledged)."""
        self._ref += 1
        message = {"type": "QUESTION_POST_TO_ROOM", "questionText": text, "ref": self._ref}
        message["nonce"] = f"host-{self._ref}"
        await self.socket.send_str(msgspec.json.encode(message).decode())

    async def _read(self) -> None:
        async for message in self.socket:
            if message.type not in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
                continue
            try:
                event = msgspec.json.decode(message.data)
            except msgspec.DecodeError:
                continue
            if isinstance(event, dict):
                self._note(event)

    def _note(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        if kind == "ACK" and isinstance(event.get("questionId"), str):
            self.posted.append(event["questionId"])
        elif kind == "ERROR":
            self.refused[str(event.get("code"))] += 1
        seq = event.get("seq")
        if not isinstance(seq, int):
            return
        self.last_seq = max(self.last_seq, seq)
        if self._waiting is not None and self.last_seq >= self._waiting[0]:
            self._waiting[1].set()
        if kind == "QUESTION_UPDATE_INFO_PASSIVE":
            question = event.get("question") or {}
            self.seqs[(POST, str(question.get("questionId")), 0)] = seq
        elif kind == "QUESTION_UPVOTE_PASSIVE":
            self.seqs[(VOTE, str(event.get("questionId")), int(event.get("upvotes") or 0))] = seq

    async def close(self) -> None:
        """Close the socket and stop reading."""
        await self.socket.close()
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
