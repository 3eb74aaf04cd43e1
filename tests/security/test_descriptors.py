"""File descriptors: every connection of an address counts against its limit, and idle ones end.

Only WebSockets were counted, and kept-alive HTTP connections idled for over a minute: 600 of them
from one client took every descriptor of a 512-descriptor process.
"""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from .conftest import Stack
from .raw import closed, connected, read_answer, request, trickling

ATTACKER = ("X-Forwarded-For", "203.0.113.7")
BYSTANDER = ("X-Forwarded-For", "198.51.100.4")
LIMIT = 5


@pytest.mark.stack_options(edge=["--max-connections-per-address", str(LIMIT)], behind_proxy=True)
async def test_idle_http_connections_count_against_the_address_limit(stack: Stack) -> None:
    async with contextlib.AsyncExitStack() as held:
        for _ in range(LIMIT):
            reader, writer = await held.enter_async_context(connected(stack))
            writer.write(request(stack, "GET", "/api/openapi.json", ATTACKER))
            assert (await read_answer(reader)).status == 200
        async with connected(stack) as (reader, writer):
            writer.write(request(stack, "GET", "/api/openapi.json", ATTACKER))
            answer = await read_answer(reader)
            assert (answer.status, answer.headers["retry-after"]) == (429, "10")
            assert b"too many connections from your address" in answer.body
        async with connected(stack) as (reader, writer):
            writer.write(request(stack, "GET", "/api/openapi.json", BYSTANDER))
            assert (await read_answer(reader)).status == 200
    # Closed connections free their slots.
    for _ in range(3):
        await asyncio.sleep(0.2)
        async with connected(stack) as (reader, writer):
            writer.write(request(stack, "GET", "/api/openapi.json", ATTACKER))
            if (await read_answer(reader)).status == 200:
                break
    else:
        raise AssertionError("the closed connections' slots were not freed")


@pytest.mark.stack_options(edge=["--idle-timeout", "1"])
async def test_an_idle_kept_alive_connection_is_closed(stack: Stack) -> None:
    async with connected(stack) as (reader, writer):
        writer.write(request(stack, "GET", "/api/openapi.json"))
        assert (await read_answer(reader)).status == 200
        assert await closed(reader, wait=3) == b""


@pytest.mark.stack_options(edge=["--idle-timeout", "1"])
async def test_a_kept_alive_connection_trickling_its_next_head_is_closed(stack: Stack) -> None:
    async with connected(stack) as (reader, writer):
        writer.write(request(stack, "GET", "/api/openapi.json"))
        assert (await read_answer(reader)).status == 200
        async with trickling(writer, b"GET /api/openapi.json HTTP/1.1\r\nX-Slow: " + b"s" * 100):
            assert await closed(reader, wait=3) == b""
