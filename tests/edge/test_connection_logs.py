"""The edge's log lines about a client connection carry its Connection-Id, from the handshake
on (`liveqa.logs.CONNECTION_ID`, set by the session's tasks)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from test_server import WAIT, Seen, echo, edge_running, origin_running, refusing_url, ws_url

from liveqa import logs
from liveqa.grip import events as ev


@pytest.fixture
async def client() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def test_handshake_lines_carry_the_connection_id(
    client: aiohttp.ClientSession, capsys: pytest.CaptureFixture[str]
) -> None:
    logs.setup("warning", "json")
    with refusing_url() as refusing:
        async with edge_running(refusing) as edge:
            with pytest.raises(aiohttp.WSServerHandshakeError):
                await client.ws_connect(ws_url(edge, "/api/websocket"))
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    handshake = [line for line in lines if line["message"].startswith("handshake:")]
    assert handshake, lines
    assert all(len(line["connection_id"]) == 36 for line in handshake)


async def test_lines_about_an_open_connection_carry_its_connection_id(
    client: aiohttp.ClientSession, capsys: pytest.CaptureFixture[str]
) -> None:
    async def open_then_fail(seen: Seen) -> web.StreamResponse:
        if ev.OPEN in seen.types:
            return await echo(seen)
        return web.Response(status=500)

    logs.setup("warning", "json")
    async with (
        origin_running(open_then_fail) as origin,
        edge_running(origin.url) as edge,
        client.ws_connect(ws_url(edge, "/api/websocket")) as socket,
    ):
        opened = await origin.next_with(ev.OPEN)
        await socket.send_str("hello")
        await origin.next_with(ev.TEXT)
        await socket.receive(timeout=WAIT)
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    answered = [line for line in lines if "origin answered 500" in line["message"]]
    assert answered, lines
    assert {line.get("connection_id") for line in answered} == {opened.cid}
