"""Requests from the edge to the origin: target failover, Grip-Sig, bounded response bodies."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

from multidict import CIMultiDict
from yarl import URL

from liveqa.edge.http1 import Response, ResponseError, encode_request
from liveqa.edge.metrics import EdgeMetrics
from liveqa.edge.pool import ConnectError, ConnectionPool, NoAnswer
from liveqa.grip.events import CONTENT_TYPE
from liveqa.grip.sig import mint_sig

MAX_RESPONSE_BODY = 1_000_000
# Seconds a target that refused a connection or left a request unanswered is tried last.
DOWN_FOR = 10.0
# While another target remains, one whose answer has not begun by then is taken for hung (SIGSTOP,
# a stuck event loop). A request that may be sent twice (OPEN, an empty poll) then goes to the
# next; a message fails, and its client reconnects elsewhere and resends. The last target is
# waited for: failing over to nothing would only turn a slow origin into a refused one.
FIRST_BYTE_TIMEOUT = 5.0
MESSAGE_FIRST_BYTE_TIMEOUT = 10.0

log = logging.getLogger("liveqa.edge")


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
        self.down_for = DOWN_FOR
        self.first_byte_timeouts = (FIRST_BYTE_TIMEOUT, MESSAGE_FIRST_BYTE_TIMEOUT)
        self._down_until: dict[Target, float] = {}

    def sign(self, headers: list[tuple[str, str]]) -> None:
        """Append a Grip-Sig (key, issuer) when signing is configured; mint_sig reuses tokens."""
        if self.signature is not None:
            headers.append(("Grip-Sig", mint_sig(*self.signature)))

    async def post(
        self, target: str, headers: list[tuple[str, str]], body: bytes, *, idempotent: bool = False
    ) -> OriginResponse:
        """POST `body` to path-and-query `target`; raises OriginUnreachable or OriginError.

        A target that takes no connection is skipped; one that leaves the request unanswered is
        skipped too when the request is `idempotent` (sending it again elsewhere is harmless).
        """
        started = time.monotonic()
        self.metrics.origin_requests_total += 1
        ordered = self._in_order(started)
        deadline = self.first_byte_timeouts[0 if idempotent else 1]
        for index, origin in enumerate(ordered):
            request = encode_request("POST", origin.path + target, origin.authority, headers, body)
            try:
                response = await self.pool.request(
                    origin.host,
                    origin.port,
                    origin.tls,
                    request,
                    max_body=MAX_RESPONSE_BODY,
                    expected=is_events_response,
                    first_byte_timeout=deadline if index + 1 < len(ordered) else None,
                )
            except ConnectError as exc:
                self._went_down(origin, exc)
                continue
            except NoAnswer as exc:
                self._went_down(origin, exc)
                if idempotent:
                    continue
                self.metrics.origin_errors_total += 1
                raise OriginError(f"{origin.authority}: {exc}") from exc
            except (ResponseError, OSError, TimeoutError) as exc:
                self.metrics.origin_errors_total += 1
                raise OriginError(f"{type(exc).__name__}: {exc}") from exc
            if self._down_until.pop(origin, None) is not None:
                log.warning("origin %s answers again", origin.authority)
            self.metrics.observe_origin_latency(time.monotonic() - started)
            return OriginResponse(response.status, response.reason, response.headers, response.body)
        self.metrics.origin_errors_total += 1
        raise OriginUnreachable("Unable to connect to any targets")

    def _in_order(self, now: float) -> list[Target]:
        """The targets in configured order, those marked down last (still tried: all may be)."""
        down = self._down_until
        return sorted(self.targets, key=lambda target: down.get(target, 0.0) > now)

    def _went_down(self, origin: Target, error: Exception) -> None:
        now = time.monotonic()
        if self._down_until.get(origin, 0.0) <= now:
            what = (origin.authority, error, self.down_for)
            log.warning("origin %s is down (%s): tried last for %.0f s", *what)
        self._down_until[origin] = now + self.down_for
