"""Compressed request bodies: the edge passes them on untouched, the origin refuses them (415).

The edge used to inflate them but forward the original Content-Encoding and Content-Length:
every one ended in a 500 with a traceback, and a 1 MB gzip bomb cost seconds of CPU.
"""

from __future__ import annotations

import gzip
import json
import time
import zlib

from .conftest import Stack
from .raw import connected, read_answer, request

JSON = ("Content-Type", "application/json")
GZIP = ("Content-Encoding", "gzip")


def bomb(inflated: int) -> bytes:
    """A gzip body of zeros that inflates to `inflated` bytes (about 1,000 times its size)."""
    squeezer = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = bytes(1 << 20)
    parts = [squeezer.compress(block) for _ in range(inflated >> 20)]
    return b"".join([*parts, squeezer.flush()])


async def test_a_gzip_body_gets_415_not_a_500_traceback(stack: Stack) -> None:
    body = gzip.compress(json.dumps({"displayName": "Ann"}).encode())
    async with connected(stack) as (reader, writer):
        writer.write(request(stack, "POST", "/api/session", JSON, GZIP, body=body))
        answer = await read_answer(reader)
        assert answer.status == 415
        assert b"Content-Encoding" in answer.body
        # The same connection still serves an uncompressed body.
        plain = json.dumps({"displayName": "Ann"}).encode()
        writer.write(request(stack, "POST", "/api/session", JSON, body=plain))
        assert (await read_answer(reader)).status == 201
    assert "Traceback" not in stack.edge_log()


async def test_a_gzip_bomb_is_refused_without_inflating_it(stack: Stack) -> None:
    body = bomb(512 << 20)
    async with connected(stack) as (reader, writer), connected(stack) as (other, other_writer):
        started = time.monotonic()
        writer.write(request(stack, "POST", "/api/session", JSON, GZIP, body=body))
        other_writer.write(request(stack, "GET", "/api/openapi.json"))
        assert (await read_answer(other)).status == 200
        answer = await read_answer(reader)
        elapsed = time.monotonic() - started
    assert answer.status == 415
    # Inflating 512 MiB takes a core about two seconds; refusing it a few milliseconds.
    assert elapsed < 1.5, elapsed
    assert "Traceback" not in stack.edge_log()
