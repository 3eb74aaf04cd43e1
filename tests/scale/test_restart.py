"""`liveqa serve` killed with SIGKILL under load and started again (docs/benchmarks.md, faults).

Attendees behave as the web client does: they reconnect with its backoff, resync from a
snapshot, and writers keep unanswered messages and send them again (same nonce) on the next
connection. Within 10 s of the kill every attendee must be back in step and the writes' ACKs
fast again; at the end every screen shows what the store holds. (Before: about 50 s, ACK p50
5-25 s, thousands of events out of order, with 300 attendees.)
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from security.conftest import serve_service

from .attendee import Attendee, Disconnected, snapshot

pytestmark = pytest.mark.timeout(120)

ROOM = "restart"
ATTENDEES = 150
WRITERS = 30
WRITES_PER_SECOND = 10.0
BEFORE = 4.0
AFTER = 16.0
# Every attendee resynced within this long of the kill, and the writes sent after it answered at
# p99 within RECOVERED_P99. The target is 0.25 s, measured by a quiet run (docs/benchmarks.md);
# the bound here leaves room for a busy test machine and still catches ACKs of seconds.
RECOVERY = 10.0
RECOVERED_P99 = 1.0


def backoff(attempt: int) -> float:
    """The web client's reconnect delay (src/liveqa/web/backoff.js): equal jitter from 0.5 s."""
    ceiling = min(30.0, 0.5 * 2.0**attempt)
    return ceiling / 2 + random.random() * ceiling / 2


class Person(Attendee):
    """An attendee that stays: after a drop it reconnects with the web client's backoff."""

    def __init__(self, name: str, url: str) -> None:
        super().__init__(name, url, ROOM)
        self.synced_at: list[float] = []
        self._staying: asyncio.Task[None] | None = None

    async def resync(self) -> None:
        await super().resync()
        self.synced_at.append(time.monotonic())

    def stay(self) -> None:
        self._staying = asyncio.create_task(self._stay())

    async def _stay(self) -> None:
        attempt = 0
        while True:
            reader = self._reader
            if reader is not None:
                await reader
                attempt = 0
            await asyncio.sleep(backoff(attempt))
            attempt += 1
            with contextlib.suppress(Exception):
                await self.connect()

    async def close(self) -> None:
        if self._staying is not None:
            self._staying.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._staying
        await super().close()


async def write(person: Person, message: dict[str, object]) -> float:
    """Send until answered, as the web client's outbox does; seconds from first send to ACK."""
    started = time.monotonic()
    while True:
        try:
            reply = await person.send(**message)
        except (Disconnected, TimeoutError):
            await asyncio.sleep(0.2)
            continue
        if reply["type"] == "ERROR" and reply["code"] == "internal_error":
            await asyncio.sleep(1.0)
            continue
        assert reply["type"] == "ACK", reply
        return time.monotonic() - started


@pytest.fixture
async def people() -> AsyncIterator[list[Person]]:
    made: list[Person] = []
    yield made
    await asyncio.gather(*(person.close() for person in made))


async def test_a_killed_serve_is_back_in_step_within_seconds(
    tmp_path: Path, people: list[Person]
) -> None:
    serve = serve_service(tmp_path)
    await serve.start()
    await serve.wait_ready("/api/openapi.json")
    try:
        url = f"http://127.0.0.1:{serve.port}"
        host = Person("Host", url)
        people.append(host)
        await host.join()
        await host.call("POST", "/api/rooms", {"roomId": ROOM})
        question = (await write_first(host))["questionId"]
        for index in range(ATTENDEES):
            person = Person(f"P{index}", url)
            people.append(person)
            await person.join()
        await asyncio.gather(*(person.connect() for person in people))
        for person in people:
            person.stay()

        latencies: list[tuple[float, float]] = []

        async def writer(person: Person) -> None:
            interval = WRITERS / WRITES_PER_SECOND
            await asyncio.sleep(random.random() * interval)
            count = 0
            while time.monotonic() < stop_at:
                count += 1
                if count % 3 == 0:
                    message: dict[str, object] = {
                        "type": "QUESTION_POST_TO_ROOM",
                        "questionText": f"From {person.name}, number {count}",
                        "nonce": f"{person.name}-{count}",
                    }
                else:
                    message = {
                        "type": "QUESTION_UPVOTE",
                        "questionId": question,
                        "removeUpvote": count % 3 == 2,
                    }
                sent = time.monotonic()
                latencies.append((sent, await write(person, message)))
                await asyncio.sleep(max(0.0, interval - (time.monotonic() - sent)))

        stop_at = time.monotonic() + BEFORE + AFTER
        writing = [asyncio.create_task(writer(person)) for person in people[1 : WRITERS + 1]]
        await asyncio.sleep(BEFORE)
        assert serve.process is not None
        # Counted from the kill: the restart itself is part of the recovery.
        killed = time.monotonic()
        serve.process.send_signal(signal.SIGKILL)
        await serve.process.wait()
        await serve.start()
        await serve.wait_ready("/api/openapi.json")
        await asyncio.gather(*writing)

        late = [
            person.name
            for person in people
            if not any(killed <= at <= killed + RECOVERY for at in person.synced_at)
        ]
        assert late == [], f"{len(late)} attendees not resynced within {RECOVERY} s"
        after = sorted(seconds for sent, seconds in latencies if sent >= killed + RECOVERY)
        assert after, "no writes after the recovery window"
        p99 = after[min(len(after) - 1, int(len(after) * 0.99))]
        assert p99 <= RECOVERED_P99, f"ACK p99 {p99:.3f} s over {len(after)} writes after recovery"
        stored = await snapshot(host)
        for person in people:
            state = await person.settled(stored.seq, within=10)
            assert state.questions == stored.questions, person.name
    finally:
        await serve.stop()


async def write_first(host: Person) -> dict[str, object]:
    """The question everyone votes on."""
    await host.connect()
    return await host.send(type="QUESTION_POST_TO_ROOM", questionText="Vote here", nonce="target")
