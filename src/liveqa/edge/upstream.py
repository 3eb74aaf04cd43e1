"""Requests from the edge to the origin: target failover, Grip-Sig, bounded response bodies."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import aiohttp
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from liveqa.edge.metrics import EdgeMetrics
from liveqa.grip.sig import mint_sig

MAX_RESPONSE_BODY = 1_000_000


class OriginUnreachable(Exception):
    """No target accepted a connection: the request certainly was not processed."""


class OriginError(Exception):
    """The origin was reached but the exchange failed (it may have processed the request)."""


@dataclass(slots=True)
class OriginResponse:
    """What the origin answered."""

    status: int
    reason: str
    headers: CIMultiDictProxy[str]
    body: bytes


class Upstream:
    """Sends requests to the first origin target that accepts a connection."""

    def __init__(
        self,
        targets: Sequence[URL],
        client: aiohttp.ClientSession,
        signature: tuple[bytes, str] | None,
        metrics: EdgeMetrics,
        timeout: float = 60.0,
    ) -> None:
        self.targets = [str(target).rstrip("/") for target in targets]
        self.client = client
        self.signature = signature
        self.metrics = metrics
        self.timeout = aiohttp.ClientTimeout(total=timeout, connect=10.0)

    def sign(self, headers: list[tuple[str, str]]) -> None:
        """Append a Grip-Sig (key, issuer) when signing is configured; mint_sig reuses tokens."""
        if self.signature is not None:
            headers.append(("Grip-Sig", mint_sig(*self.signature)))

    async def post(
        self, target: str, headers: list[tuple[str, str]], body: bytes
    ) -> OriginResponse:
        """POST `body` to path-and-query `target`; raises OriginUnreachable or OriginError."""
        started = time.monotonic()
        self.metrics.origin_requests_total += 1
        sent = [(name, value if value.isascii() else _utf8(value)) for name, value in headers]
        for base in self.targets:
            url = URL(base + target, encoded=True)
            try:
                async with self.client.post(
                    url, headers=sent, data=body, timeout=self.timeout, allow_redirects=False
                ) as response:
                    data = await _read_bounded(response)
                    self.metrics.observe_origin_latency(time.monotonic() - started)
                    return OriginResponse(
                        response.status, response.reason or "", _as_sent(response), data
                    )
            except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError):
                continue
            except (aiohttp.ClientError, TimeoutError) as exc:
                self.metrics.origin_errors_total += 1
                raise OriginError(f"{type(exc).__name__}: {exc}") from exc
        self.metrics.origin_errors_total += 1
        raise OriginUnreachable("Unable to connect to any targets")


async def _read_bounded(response: aiohttp.ClientResponse) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(65536):
        size += len(chunk)
        if size > MAX_RESPONSE_BODY:
            raise OriginError(f"origin response body over {MAX_RESPONSE_BODY} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


# Header text on the client side holds one character per byte (latin-1), while aiohttp writes
# header values as UTF-8 and reads them as UTF-8: these two convert, so bytes pass unchanged.


def _utf8(value: str) -> str:
    """A latin-1-held value that aiohttp's UTF-8 writer sends as the same bytes, when it can."""
    try:
        return value.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return value


def _as_sent(response: aiohttp.ClientResponse) -> CIMultiDictProxy[str]:
    """The response headers as the origin sent them, one character per byte."""
    return CIMultiDictProxy(
        CIMultiDict(
            (name.decode("latin-1"), value.decode("latin-1"))
            for name, value in response.raw_headers
        )
    )
