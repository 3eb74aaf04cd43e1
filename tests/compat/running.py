"""The proxies started for the package, each with a keep-alive probe connection."""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp

from .origin import GRIP, OriginRequest, Reply, Script, echo_events
from .proxies import Proxy

KEEP_ALIVE_INTERVAL = 20


@dataclass
class KeepAliveProbe:
    """A connection opened as soon as a proxy is up, whose origin asked for keep-alive requests."""

    script: Script
    ws: aiohttp.ClientWebSocketResponse
    opened_at: float


@dataclass
class Running:
    """A started proxy and its probe, or the reason it did not start."""

    proxy: Proxy | None
    probe: KeepAliveProbe | None
    error: str = ""


async def keep_alive_script(request: OriginRequest) -> Reply:
    """Echo, and ask for keep-alive requests every `KEEP_ALIVE_INTERVAL` seconds on OPEN."""
    is_open = ("OPEN", None) in request.events
    headers = {**GRIP, "Keep-Alive-Interval": str(KEEP_ALIVE_INTERVAL)} if is_open else {}
    return Reply(echo_events(request), headers)
