"""Attendees who upvote questions through the room's WebSocket, in turns, at a steady rate."""

from __future__ import annotations

import asyncio
import contextlib
import math
import random
import time
from collections import Counter
from collections.abc import Sequence

import aiohttp
import msgspec

from liveqa_bench.sessions import new_session

# The origin lets a participant vote 60 times a minute: each voter stays at half of that.
VOTES_PER_VOTER_PER_S = 0.5


def voters_for(rate: float) -> int:
    """How many voters keep `rate` votes/s within each one's allowance."""
    return max(2, math.ceil(rate / VOTES_PER_VOTER_PER_S))


class Voter:
    """One attendee's socket; counts the answers to its votes."""

    def __init__(self, socket: aiohttp.ClientWebSocketResponse) -> None:
        self.socket = socket
        self.voted: set[str] = set()
        self.acked = 0
        self.refused: Counter[str] = Counter()
        self._reader = asyncio.create_task(self._read())

    async def vote(self, question_id: str) -> None:
        """Upvote `question_id` (the reply arrives later, in `_read`)."""
        self.voted.add(question_id)
        message = {"type": "QUESTION_UPVOTE", "questionId": question_id, "ref": len(self.voted)}
        await self.socket.send_str(msgspec.json.encode(message).decode())

    async def _read(self) -> None:
        async for message in self.socket:
            if message.type != aiohttp.WSMsgType.TEXT:
                continue
            reply = msgspec.json.decode(message.data)
            if not isinstance(reply, dict):
                continue
            if reply.get("type") == "ACK":
                self.acked += 1
            elif reply.get("type") == "ERROR":
                self.refused[str(reply.get("code"))] += 1

    async def close(self) -> None:
        """Close the socket and stop reading."""
        await self.socket.close()
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader


class Voters:
    """Attendees of one room voting in turns, each only for questions it has not voted for."""

    def __init__(self, voters: list[Voter], rng: random.Random) -> None:
        self.voters = voters
        self.rng = rng
        self.sent = 0
        self._task: asyncio.Task[None] | None = None
        self._stopped = asyncio.Event()

    @classmethod
    async def join(
        cls,
        http: aiohttp.ClientSession,
        base_url: str,
        room_id: str,
        count: int,
        rng: random.Random,
    ) -> Voters:
        """`count` new participants, each with a socket in the room."""
        url = base_url.replace("http", "ws", 1) + f"/api/websocket?roomId={room_id}"
        voters: list[Voter] = []
        try:
            for _ in range(count):
                cookie = await new_session(http, base_url)
                socket = await http.ws_connect(url, headers={"Cookie": cookie})
                voters.append(Voter(socket))
        except BaseException:
            for voter in voters:
                await voter.close()
            raise
        return cls(voters, rng)

    @property
    def acked(self) -> int:
        """Votes the origin accepted."""
        return sum(voter.acked for voter in self.voters)

    @property
    def refused(self) -> Counter[str]:
        """Votes the origin refused, by error code."""
        total: Counter[str] = Counter()
        for voter in self.voters:
            total.update(voter.refused)
        return total

    def start(self, rate: float, question_ids: Sequence[str]) -> None:
        """Vote `rate` times a second until `stop()`."""
        self._task = asyncio.create_task(self._vote(rate, question_ids))

    async def _vote(self, rate: float, question_ids: Sequence[str]) -> None:
        start = time.monotonic()
        while not self._stopped.is_set():
            voter = self.voters[self.sent % len(self.voters)]
            left = [question for question in question_ids if question not in voter.voted]
            if not left:
                return
            await voter.vote(self.rng.choice(left))
            self.sent += 1
            # Waiting on the event rather than cancelling: a vote is never cut off half sent.
            with contextlib.suppress(TimeoutError):
                delay = max(0.0, start + self.sent / rate - time.monotonic())
                await asyncio.wait_for(self._stopped.wait(), delay)

    async def stop(self, within: float) -> bool:
        """Stop voting; wait up to `within` s for every vote's answer. False if some had none."""
        self._stopped.set()
        if self._task is not None:
            await self._task
        deadline = time.monotonic() + within
        while self.acked + self.refused.total() < self.sent:
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.05)
        return True

    async def close(self) -> None:
        """Close every socket."""
        for voter in self.voters:
            await voter.close()
