"""Requests from the edge to the origin: target failover, Grip-Sig, bounded response bodies."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from multidict import CIMultiDict
from yarl import URL

from liveqa.edge.http1 import Response, ResponseError, encode_request
from liveqa.edge.metrics import EdgeMetrics
from liveqa.edge.pool import ConnectError, ConnectionPool
from liveqa.grip.events import CONTENT_TYPE
from liveqa.grip.sig import mint_sig

MAX_RESPONSE_BODY = 1_000_000


class OriginUnreachable(Exception):
    """No target accepted a connection: the request certainly was not processed."""


class OriginError(Exception):
    """The origin was reached but the exchange failed (it may have processed the request)."""


@dataclass(slots=True)
class OriginResponse:
    """What the origin answered; header text holds one character per byte, as sent."""

    status: int
    reason: str
    headers: CIMultiDict[str]
    body: bytes


@dataclass(frozen=True, slots=True)
class Target:
    """An origin base URL, split once."""

    host: str
    port: int
    tls: bool
    authority: str
    path: str

    @classmethod
    def from_url(cls, url: URL) -> Target:
        """`http://host:port/prefix` -> a target; raises ValueError for anything else."""
        if url.scheme not in ("http", "https") or not url.host:
            raise ValueError(f"origin must be an http:// or https:// URL, not {str(url)!r}")
        port = url.port or (443 if url.scheme == "https" else 80)
        return cls(
            url.host, port, url.scheme == "https", url.raw_authority, url.raw_path.rstrip("/")
        )


def is_events_response(response: Response) -> bool:
    """A 200 of WebSocket events: any other answer may come from a confused origin connection."""
    return response.status == 200 and response.headers.get("Content-Type") == CONTENT_TYPE


class Upstream:
    """Sends requests to the first origin target that accepts a connection."""

    def __init__(
        self,
        targets: Sequence[URL],
        pool: ConnectionPool,
        signature: tuple[bytes, str] | None,
        metrics: EdgeMetrics,
    ) -> None:
        self.targets = [Target.from_url(target) for target in targets]
        self.pool = pool
        self.signature = signature
        self.metrics = metrics

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
        for origin in self.targets:
            request = encode_request("POST", origin.path + target, origin.authority, headers, body)
            try:
                response = await self.pool.request(
                    origin.host,
                    origin.port,
                    origin.tls,
                    request,
                    max_body=MAX_RESPONSE_BODY,
                    expected=is_events_response,
                )
            except ConnectError:
                continue
            except (ResponseError, OSError, TimeoutError) as exc:
                self.metrics.origin_errors_total += 1
                raise OriginError(f"{type(exc).__name__}: {exc}") from exc
            self.metrics.observe_origin_latency(time.monotonic() - started)
            return OriginResponse(response.status, response.reason, response.headers, response.body)
        self.metrics.origin_errors_total += 1
        raise OriginUnreachable("Unable to connect to any targets")
