"""Slow requests: trickled heads and bodies are cut off, and one address cannot hold the origin.

300 connections trickling a POST body held the edge's 256 origin connections for a minute each;
page loads then took 55 to 59 s.
"""

from __future__ import annotations

import asyncio
import contextlib
import time

import pytest

from .conftest import Stack
from .raw import closed, connected, read_answer, request, trickling

ATTACKER = ("X-Forwarded-For", "203.0.113.7")
BYSTANDER = ("X-Forwarded-For", "198.51.100.4")
REQUESTS = 3
JSON = ("Content-Type", "application/json")


@pytest.mark.stack_options(
    edge=["--max-requests-per-address", str(REQUESTS), "--body-timeout", "1"],
    behind_proxy=True,
)
async def test_trickled_bodies_are_cut_off_and_do_not_slow_other_clients(stack: Stack) -> None:
    async with contextlib.AsyncExitStack() as held:
        trickling = []
        for _ in range(REQUESTS):
            reader, writer = await held.enter_async_context(connected(stack))
            head = request(stack, "POST", "/api/session", ATTACKER, JSON, ("Content-Length", "100"))
            writer.write(head + b"{")
            trickling.append(reader)
        started = time.monotonic()
        await asyncio.sleep(0.2)
        # The attacker's next request is refused at once; another client is served at once.
        async with connected(stack) as (reader, writer):
            writer.write(request(stack, "GET", "/api/openapi.json", ATTACKER))
            answer = await read_answer(reader)
            assert (answer.status, answer.headers["retry-after"]) == (429, "1")
            assert b"Too many requests from your address at once: at most 3" in answer.body
        async with connected(stack) as (reader, writer):
            writer.write(request(stack, "GET", "/", BYSTANDER))
            assert (await read_answer(reader, wait=2)).status == 200
        for reader in trickling:
            answer = await read_answer(reader, wait=3)
            assert answer.status == 408
            assert answer.body == b"The request body took over 1 s.\n"
            assert await closed(reader, wait=1) == b""
        assert time.monotonic() - started < 3
    assert "Traceback" not in stack.edge_log()


@pytest.mark.stack_options(edge=["--head-timeout", "1"])
async def test_a_trickled_first_head_is_dropped(stack: Stack) -> None:
    head = b"GET / HTTP/1.1\r\nX-Slow: " + b"s" * 100
    async with connected(stack) as (reader, writer), trickling(writer, head):
        assert await closed(reader, wait=3) == b""
