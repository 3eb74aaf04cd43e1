"""Several origin processes: room events keep one gap-free sequence on one PostgreSQL, and
limits hold across them with one Redis."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer
from redis.asyncio import Redis

from liveqa.origin.app import create_app
from liveqa.origin.board import AddressRates
from liveqa.origin.ratelimit import Rate
from liveqa.store import Database
from support.database import empty_tables

from .conftest import Browser, Origin, PublishRecorder, Socket, origin_config
from .test_redisbuckets import REDIS_URL


@pytest.fixture
async def replicas(postgres_url: str, recorder: PublishRecorder) -> AsyncIterator[list[Origin]]:
    database = Database.connect(postgres_url)
    try:
        await empty_tables(database)
    finally:
        await database.close()
    running = []
    try:
        for _ in range(2):
            server = TestServer(create_app(origin_config(postgres_url, recorder)))
            await server.start_server()
            running.append(Origin(server, recorder))
        yield running
    finally:
        for origin in running:
            await origin.close()


async def test_concurrent_writes_through_two_origins(replicas: list[Origin]) -> None:
    first, second = replicas
    host = first.browser()
    await host.join("Hana")
    status, _ = await host.request("POST", "/api/rooms", {"roomId": "town-hall"})
    assert status == 201
    cookie = host.cookie_header()
    people: list[Socket] = []
    for index in range(6):
        origin = replicas[index % 2]
        browser = origin.browser()
        await browser.join(f"Person {index}")
        socket = Socket(browser, "town-hall")
        await socket.open()
        people.append(socket)
    host_elsewhere = Browser(second.server)
    second.browsers.append(host_elsewhere)
    host_elsewhere.session.cookie_jar.update_cookies(
        dict(pair.split("=", 1) for pair in cookie.split("; "))
    )

    async def ask(socket: Socket, index: int) -> str:
        [ack] = await socket.send(
            {"type": "QUESTION_POST_TO_ROOM", "questionText": f"Q{index}", "nonce": f"n{index}"}
        )
        return str(ack["questionId"])

    question_ids = await asyncio.gather(*(ask(s, i) for i, s in enumerate(people)))
    await asyncio.gather(
        *(
            socket.send(*({"type": "QUESTION_UPVOTE", "questionId": q} for q in question_ids))
            for socket in people
        )
    )
    events = first.recorder.messages("room-town-hall")
    seqs = [event["seq"] for event in events if "seq" in event]
    assert sorted(seqs) == list(range(1, len(seqs) + 1))
    assert len(seqs) == 6 + 6 * 5
    _, snapshot = await host_elsewhere.request("GET", "/api/rooms/town-hall")
    assert snapshot["me"]["isHost"] is True
    assert snapshot["seq"] == len(seqs)
    assert sorted(q["upvotes"] for q in snapshot["questions"]) == [6] * 6


async def test_origins_sharing_redis_share_the_per_address_limits(
    tmp_path: Path, recorder: PublishRecorder
) -> None:
    prefix = f"liveqa-test-{secrets.token_hex(6)}:"
    config = origin_config(
        f"sqlite:///{tmp_path}/shared.db",
        recorder,
        address_rates=AddressRates(votes=Rate(3, 3600)),
        redis_url=REDIS_URL,
        redis_prefix=prefix,
    )
    origins = []
    try:
        for _ in range(2):
            server = TestServer(create_app(config))
            await server.start_server()
            origins.append(Origin(server, recorder))
        host = origins[0].browser()
        await host.join("Hana")
        assert (await host.request("POST", "/api/rooms", {"roomId": "town-hall"}))[0] == 201
        author = Socket(host, "town-hall")
        await author.open()
        [ack] = await author.send(
            {"type": "QUESTION_POST_TO_ROOM", "questionText": "Q", "nonce": "n1"}
        )
        replies = []
        for index in range(6):
            voter = origins[index % 2].browser()
            await voter.join(f"V{index}")
            socket = Socket(voter, "town-hall")
            socket.headers_out = {"X-Forwarded-For": "203.0.113.9"}
            await socket.open()
            [reply] = await socket.send(
                {"type": "QUESTION_UPVOTE", "questionId": ack["questionId"]}
            )
            replies.append(reply.get("code", reply["type"]))
        assert replies == ["ACK"] * 3 + ["rate_limited"] * 3
    finally:
        for origin in origins:
            await origin.close()
        redis = Redis.from_url(REDIS_URL)
        keys = [key async for key in redis.scan_iter(match=f"{prefix}*")]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()
