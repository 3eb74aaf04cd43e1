"""The per-address connection limit: what counts as one address, and the edge refusing with 429."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from test_server import (
    WAIT,
    Origin,
    edge_running,
    origin_running,
    plain_or_echo,
    raw_client,
    read_answer,
    upgrade_request,
    wait_for,
    ws_url,
)

from liveqa.addresses import address_key, is_loopback
from liveqa.edge.addresses import AddressLimit, forwarded_client
from liveqa.edge.connection import ClientConnection
from liveqa.edge.server import Edge, EdgeConfig
from liveqa.grip import events as ev


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:bbbb::9%eth0", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
        ("not-an-ip", "not-an-ip"),
    ],
)
def test_an_address_key_is_the_ipv4_address_or_the_ipv6_slash_64(address: str, key: str) -> None:
    assert address_key(address) == key


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.0.2.10", False),
        ("203.0.113.7", False),
        ("2001:db8::1", False),
        ("edge.example", False),
        ("garbage", False),
    ],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    # Loopback clients are not counted against the per-address limit.
    assert is_loopback(host) is loopback


def test_a_trusted_proxy_names_the_client_in_the_last_forwarded_entry() -> None:
    # A client may send its own X-Forwarded-For; only the entry the proxy appended is trusted.
    assert forwarded_client("127.0.0.1", "198.51.100.1, 203.0.113.7") == "203.0.113.7"
    assert forwarded_client("127.0.0.1", "203.0.113.7") == "203.0.113.7"
    assert forwarded_client("127.0.0.1", None) == "127.0.0.1"
    assert forwarded_client("127.0.0.1", " , ") == "127.0.0.1"


def test_the_limit_counts_per_key_and_frees_a_slot_on_release() -> None:
    limit = AddressLimit(2)
    first, second = limit.acquire("2001:db8::1"), limit.acquire("2001:db8::2")
    assert first == second == "2001:db8::/64"
    assert limit.acquire("2001:db8::3") is None
    assert limit.acquire("203.0.113.7") == "203.0.113.7"
    limit.release("2001:db8::/64")
    assert limit.acquire("2001:db8::4") == "2001:db8::/64"
    for key in ("2001:db8::/64", "2001:db8::/64", "203.0.113.7"):
        limit.release(key)
    assert limit.open == {}


def test_no_limit_when_it_is_zero() -> None:
    limit = AddressLimit(0)
    assert all(limit.acquire("203.0.113.7") for _ in range(5000))
    assert limit.open == {"203.0.113.7": 5000}


def behind(address: str) -> dict[str, str]:
    """Headers of a client the trusted proxy says is at `address`."""
    return {"X-Forwarded-For": f"10.9.9.9, {address}"}


@contextlib.asynccontextmanager
async def proxied(limit: int) -> AsyncIterator[tuple[Origin, Edge, aiohttp.ClientSession]]:
    """An origin, an edge trusting X-Forwarded-For with `limit` per address, and a client."""
    async with (
        origin_running(plain_or_echo) as origin,
        edge_running(
            origin.url, trust_forwarded_for=True, max_connections_per_address=limit
        ) as edge,
        aiohttp.ClientSession() as client,
    ):
        yield origin, edge, client


def opens(origin: Origin) -> int:
    return sum(ev.OPEN in seen.types for seen in origin.seen)


async def test_one_address_past_the_limit_gets_429_and_others_are_not_hurt() -> None:
    async with (
        proxied(2) as (origin, edge, client),
        raw_client(edge) as (reader, writer),
    ):
        url = ws_url(edge, "/live")
        first = await client.ws_connect(url, headers=behind("203.0.113.7"))
        second = await client.ws_connect(url, headers=behind("203.0.113.7"))
        writer.write(upgrade_request("/live", ("X-Forwarded-For", "203.0.113.7")))
        answer = await read_answer(reader)
        assert (answer.status, answer.headers["Retry-After"]) == (429, "10")
        assert answer.body == b"too many connections from your address: at most 2 at once\n"
        other = await client.ws_connect(url, headers=behind("198.51.100.4"))
        await first.send_str("still here")
        assert await first.receive_str(timeout=WAIT) == "still here"
        assert (edge.metrics.address_limited_total, opens(origin)) == (1, 3)

        await second.close()
        await wait_for(lambda: edge.addresses.open["203.0.113.7"] == 1, "the slot to be freed")
        again = await client.ws_connect(url, headers=behind("203.0.113.7"))
        for ws in (first, other, again):
            await ws.close()
        await wait_for(lambda: not edge.addresses.open, "every slot to be freed")


async def test_a_refused_handshake_neither_reaches_the_origin_nor_keeps_a_slot() -> None:
    async with proxied(1) as (origin, edge, client):
        url = ws_url(edge, "/live")
        held = await client.ws_connect(url, headers=behind("203.0.113.7"))
        for _ in range(3):
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await client.ws_connect(url, headers=behind("203.0.113.7"))
            assert refused.value.status == 429
        assert (opens(origin), edge.addresses.open) == (1, {"203.0.113.7": 1})
        assert edge.metrics.handshakes_rejected_total == 3
        await held.close()
        await wait_for(lambda: not edge.addresses.open, "the slot to be freed")


async def test_an_upgrade_after_a_plain_request_counts_and_frees_its_slot() -> None:
    async with proxied(1) as (origin, edge, client):
        async with raw_client(edge) as (reader, writer):
            writer.write(b"GET /first HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            assert (await read_answer(reader)).status == 200
            writer.write(upgrade_request("/live", ("X-Forwarded-For", "203.0.113.7")))
            assert (await read_answer(reader, body=False)).status == 101
            with pytest.raises(aiohttp.WSServerHandshakeError):
                await client.ws_connect(ws_url(edge, "/live"), headers=behind("203.0.113.7"))
        await wait_for(lambda: not edge.addresses.open, "the adopted socket's slot to be freed")
        ws = await client.ws_connect(ws_url(edge, "/live"), headers=behind("203.0.113.7"))
        await ws.close()
        assert opens(origin) == 2


async def test_an_untrusted_forwarded_for_is_not_believed() -> None:
    # Without the trust switch the peer counts: loopback here, which is never limited.
    async with (
        origin_running(plain_or_echo) as origin,
        edge_running(origin.url, max_connections_per_address=1) as edge,
        aiohttp.ClientSession() as client,
    ):
        url = ws_url(edge, "/live")
        sockets = [await client.ws_connect(url, headers=behind("203.0.113.7")) for _ in range(3)]
        assert (edge.metrics.address_limited_total, edge.addresses.open) == (0, {})
        for ws in sockets:
            await ws.close()


class Peer(asyncio.Transport):
    """A socket from `address` that records what the edge writes and whether it closed it."""

    def __init__(self, address: str) -> None:
        super().__init__()
        self.address = address
        self.written = b""
        self.closed = False

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return (self.address, 40000) if name == "peername" else default

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written += bytes(data)

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed


async def test_every_socket_counts_from_accept_without_a_trusted_proxy() -> None:
    # Sockets that never send a head hold descriptors too: they count before any request.
    edge = Edge(EdgeConfig(["http://127.0.0.1:1"], max_connections_per_address=2))
    peers = [Peer("203.0.113.7") for _ in range(3)] + [Peer("127.0.0.1")]
    connections = [ClientConnection(edge) for _ in peers]
    for connection, peer in zip(connections, peers, strict=True):
        connection.connection_made(peer)
    assert [peer.closed for peer in peers] == [False, False, True, False]
    assert peers[2].written.startswith(b"HTTP/1.1 429 Too Many Requests\r\n")
    assert peers[2].written.endswith(b"too many connections from your address: at most 2 at once\n")
    assert edge.addresses.open == {"203.0.113.7": 2}
    assert edge.metrics.address_limited_total == 1
    for connection in connections:
        connection.connection_lost(None)
    assert edge.addresses.open == {}


async def test_kept_alive_http_connections_count_under_their_first_request() -> None:
    async with proxied(2) as (origin, edge, _):
        async with raw_client(edge) as (reader, writer), raw_client(edge) as (second, writer2):
            for stream, out in ((reader, writer), (second, writer2)):
                out.write(b"GET /a HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 203.0.113.7\r\n\r\n")
                assert (await read_answer(stream)).status == 200
            assert edge.addresses.open == {"203.0.113.7": 2}
            async with raw_client(edge) as (third, writer3):
                writer3.write(b"GET /a HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 203.0.113.7\r\n\r\n")
                answer = await read_answer(third)
                assert (answer.status, answer.headers["Retry-After"]) == (429, "10")
        await wait_for(lambda: not edge.addresses.open, "the closed connections' slots to be freed")
        assert [seen.path_qs for seen in origin.seen] == ["/a", "/a"]
