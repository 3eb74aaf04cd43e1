"""Request targets that are not a path (`OPTIONS *`, absolute or authority form) get a clean 400."""

from __future__ import annotations

import asyncio

import pytest

from .conftest import Stack

FORMS = [
    b"OPTIONS * HTTP/1.1",
    b"GET http://169.254.169.254/latest HTTP/1.1",
    b"CONNECT 127.0.0.1:22 HTTP/1.1",
]


async def exchange(stack: Stack, *heads: bytes) -> list[bytes]:
    """Send each request head on one connection; the status line and body of each answer."""
    reader, writer = await asyncio.open_connection("127.0.0.1", stack.port)
    answers = []
    try:
        async with asyncio.timeout(10):
            for head in heads:
                writer.write(head + b"\r\nHost: " + stack.host.encode() + b"\r\n\r\n")
                status, _, rest = (await reader.readuntil(b"\r\n\r\n")).partition(b"\r\n")
                length = next(
                    int(line.split(b":")[1])
                    for line in rest.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                )
                answers.append(status + b"\n" + await reader.readexactly(length))
    finally:
        writer.close()
    return answers


@pytest.mark.parametrize("form", FORMS)
async def test_a_target_that_is_not_a_path_gets_400_without_a_traceback(
    stack: Stack, form: bytes
) -> None:
    first, again = await exchange(stack, form, b"GET /api/openapi.json HTTP/1.1\r\nX: 1")
    assert first.startswith(b"HTTP/1.1 400 ")
    assert b"request target must be a path" in first
    assert again.startswith(b"HTTP/1.1 200 ")  # the connection was not hurt


@pytest.mark.parametrize("form", FORMS)
async def test_on_a_kept_alive_connection_too(stack: Stack, form: bytes) -> None:
    _, answer = await exchange(stack, b"GET /api/openapi.json HTTP/1.1", form)
    assert answer.startswith(b"HTTP/1.1 400 ")
    assert b"request target must be a path" in answer
    await asyncio.sleep(0.2)
    assert "Traceback" not in stack.edge_log()
