"""gzip: negotiated per request, for big text responses only, never for WebSocket-over-HTTP."""

from __future__ import annotations

import gzip
import json
from collections.abc import AsyncIterator

import aiohttp
import pytest

from liveqa.grip.events import CONTENT_TYPE, TEXT, WebSocketEvent, encode_events
from liveqa.origin.compression import MIN_BYTES, accepts_gzip

from .conftest import Origin, Socket


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("gzip", True),
        ("gzip, deflate, br, zstd", True),
        ("deflate, GZIP;q=0.5", True),
        ("x-gzip", True),
        ("*", True),
        ("", False),
        ("identity", False),
        ("br, deflate", False),
        ("gzip;q=0", False),
        ("gzip; q=0.000, *", False),
        ("*;q=0", False),
        ("br, *;q=0.1", True),
        ("gzip;q=nonsense", False),
    ],
)
def test_accepts_gzip_reads_q_values(header: str, expected: bool) -> None:
    assert accepts_gzip(header) is expected


@pytest.fixture
async def raw(origin: Origin) -> AsyncIterator[aiohttp.ClientSession]:
    """A client that shows responses as sent: no automatic decompression, no default headers."""
    async with aiohttp.ClientSession(
        auto_decompress=False, skip_auto_headers=("Accept-Encoding",)
    ) as session:
        yield session


async def test_big_json_is_gzipped_only_when_accepted(
    origin: Origin, raw: aiohttp.ClientSession
) -> None:
    url = origin.browser().url("/api/openapi.json")
    async with raw.get(url, headers={"Accept-Encoding": "gzip, deflate"}) as response:
        assert response.headers["Content-Encoding"] == "gzip"
        assert "Accept-Encoding" in response.headers["Vary"]
        packed = await response.read()
    assert int(response.headers["Content-Length"]) == len(packed)
    document = json.loads(gzip.decompress(packed))
    assert document["openapi"] == "3.1.0"
    async with raw.get(url, headers={"Accept-Encoding": "gzip;q=0, br"}) as response:
        assert "Content-Encoding" not in response.headers
        assert "Accept-Encoding" in response.headers["Vary"]
        plain = await response.read()
    assert json.loads(plain) == document
    assert len(packed) < len(plain) / 3


async def test_small_json_is_sent_as_is(origin: Origin, raw: aiohttp.ClientSession) -> None:
    url = origin.browser().url("/api/session")
    headers = {"Accept-Encoding": "gzip", "X-LiveQA": "1"}
    async with raw.post(url, headers=headers) as response:
        body = await response.read()
        assert response.status == 201
        assert len(body) < MIN_BYTES
        assert "Content-Encoding" not in response.headers
        assert "Vary" not in response.headers


async def test_websocket_over_http_is_never_compressed(
    origin: Origin, raw: aiohttp.ClientSession
) -> None:
    host = origin.browser()
    await host.join("Hana")
    await host.request("POST", "/api/rooms", {"roomId": "town-hall"})
    socket = Socket(host, "town-hall")
    await socket.open()
    # Forty refused messages: a reply far bigger than what the other responses compress.
    events = [WebSocketEvent(TEXT, b'{"type":"NOPE","ref":%d}' % i) for i in range(40)]
    headers = {
        "Content-Type": CONTENT_TYPE,
        "Connection-Id": socket.connection_id,
        "Grip-Sig": socket.sig,
        "Cookie": host.cookie_header(),
        "Accept-Encoding": "gzip",
        **{f"Meta-{name}": value for name, value in socket.meta.items()},
    }
    url = host.url("/api/websocket?roomId=town-hall")
    async with raw.post(url, data=encode_events(events), headers=headers) as response:
        body = await response.read()
        assert response.status == 200
        assert response.headers["Content-Type"] == CONTENT_TYPE
        assert "Content-Encoding" not in response.headers
        assert "Vary" not in response.headers
    assert len(body) > 2 * MIN_BYTES
    assert body.count(b"invalid_message") == 40
