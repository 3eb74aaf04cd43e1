"""Publishing through a proxy's publish API, and waiting until a subscription is live."""

from __future__ import annotations

import base64
import time
from collections.abc import Sequence
from typing import Any

import aiohttp

from .proxies import Proxy

Item = dict[str, Any]


def text_item(channel: str, content: str) -> Item:
    """A ws-message item with text content, nested under `formats`."""
    return {"channel": channel, "formats": {"ws-message": {"content": content}}}


def binary_item(channel: str, content: bytes) -> Item:
    """A ws-message item with binary content and the format at the top level (pubcontrol style)."""
    return {"channel": channel, "ws-message": {"content-bin": base64.b64encode(content).decode()}}


def close_item(channel: str, code: int, reason: str) -> Item:
    """A ws-message item that closes every subscriber with `code` and `reason`."""
    return {
        "channel": channel,
        "formats": {"ws-message": {"action": "close", "code": code, "reason": reason}},
    }


async def publish(http: aiohttp.ClientSession, proxy: Proxy, *items: Item) -> None:
    """POST items to the publish API and require `200 Published`."""
    async with http.post(proxy.publish_url, json={"items": list(items)}) as response:
        body = await response.text()
        assert (response.status, body) == (200, "Published\n")


async def receive_str(ws: aiohttp.ClientWebSocketResponse, wait: float = 5.0) -> str:
    """The next message, which must be text."""
    message = await ws.receive(wait)
    assert message.type == aiohttp.WSMsgType.TEXT, message
    return str(message.data)


async def wait_subscribed(
    http: aiohttp.ClientSession,
    proxy: Proxy,
    clients: aiohttp.ClientWebSocketResponse | Sequence[aiohttp.ClientWebSocketResponse],
    channel: str,
    wait: float = 5.0,
) -> None:
    """Publish probes to `channel` until every client gets one, then drain them up to a marker.

    Pushpin registers subscriptions asynchronously (proxy -> handler over ZeroMQ), so a publish
    sent right after the origin's `subscribe` may precede it; this waits for the real thing.
    """
    pending = [clients] if isinstance(clients, aiohttp.ClientWebSocketResponse) else list(clients)
    everyone = list(pending)
    deadline = time.monotonic() + wait
    attempt = 0
    while pending:
        if time.monotonic() > deadline:
            raise AssertionError(f"publishes to {channel!r} did not reach every client")
        attempt += 1
        await publish(http, proxy, text_item(channel, f"probe-{attempt}"))
        for ws in list(pending):
            try:
                probe = await receive_str(ws, 0.15)
            except TimeoutError:
                continue
            assert probe.startswith("probe-"), probe
            pending.remove(ws)
    await publish(http, proxy, text_item(channel, "probe-end"))
    for ws in everyone:
        while (probe := await receive_str(ws)) != "probe-end":
            assert probe.startswith("probe-"), probe
