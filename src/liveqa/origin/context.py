"""What every request handler of the origin shares: the board, the cookie signer, the publisher."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import msgspec
from aiohttp import web
from msgspec import UNSET

from liveqa.addresses import TrustedProxies, address_key, forwarded_client, is_loopback
from liveqa.grip.publish import PublishItem, ws_close_item, ws_item
from liveqa.origin.attendance import Attendance
from liveqa.origin.board import Board, CloseSockets, Publication
from liveqa.origin.messages import encode
from liveqa.origin.publisher import Publisher
from liveqa.origin.session import SessionSigner

log = logging.getLogger(__name__)

# Decides whether a request's Grip-Sig header value proves it came from our proxy.
SigVerifier = Callable[[str | None], bool]


@dataclass(frozen=True)
class SocketSettings:
    """How sockets are kept alive: the proxy pings idle clients, and polls the origin."""

    keep_alive: int = 25
    keep_alive_interval: int = 60
    attendance_interval: float = 2.0

    @property
    def connection_ttl(self) -> float:
        """Seconds after which a socket the proxy stopped mentioning no longer counts."""
        return 3.0 * self.keep_alive_interval


@dataclass
class OriginContext:
    """Shared state of one origin process (all of it soft: the store holds the truth)."""

    board: Board
    publisher: Publisher | None
    verify_sig: SigVerifier
    sockets: SocketSettings
    cookie_secure: bool = False
    public_url: str | None = None
    publish_wait: float = 2.0
    session_signer: SessionSigner | None = None
    attendance: Attendance | None = None
    trusted_proxies: TrustedProxies = field(default_factory=TrustedProxies)

    def client_key(self, request: web.Request) -> str | None:
        """The key the per-address limits count `request`'s client by; None for loopback.

        The address is the last X-Forwarded-For entry a trusted proxy did not write for itself:
        entries before it are whatever the client sent.
        """
        chain = ", ".join(request.headers.getall("X-Forwarded-For", ()))
        client = forwarded_client(request.remote or "", chain, self.trusted_proxies)
        if not client or is_loopback(client):
            return None
        return address_key(client)

    @property
    def signer(self) -> SessionSigner:
        """The cookie signer, keyed at startup from the configuration or the store."""
        if self.session_signer is None:
            raise RuntimeError("the origin has not started yet")
        return self.session_signer

    async def publish(self, publications: Sequence[Publication]) -> None:
        """Hand committed events to the publisher; wait for them at most `publish_wait` s."""
        await self.delivered([self.publish_soon(publications)])

    def publish_soon(self, publications: Sequence[Publication]) -> asyncio.Future[None] | None:
        """Queue committed events for every endpoint now, so they leave in commit order."""
        if not publications or self.publisher is None:
            return None
        return self.publisher.publish([_item(p) for p in publications])

    async def delivered(self, deliveries: Sequence[asyncio.Future[None] | None]) -> None:
        """Wait at most `publish_wait` s for what `publish_soon` queued."""
        pending = [delivery for delivery in deliveries if delivery is not None]
        if not pending:
            return
        try:
            await asyncio.wait_for(asyncio.shield(asyncio.gather(*pending)), self.publish_wait)
        except TimeoutError:
            log.warning("publishing takes longer than %.1f s", self.publish_wait)


def _item(publication: Publication) -> PublishItem:
    """Every item has an id, so an edge drops a copy that reaches it twice (published to several
    edges sharing a bus). A room event's id is its seq and it names its predecessor, so a GRIP
    proxy delivers room events in seq order even when several origins publish out of order;
    other items are `no-seq`, outside that order."""
    if isinstance(publication.message, CloseSockets):
        close = ws_close_item(
            publication.channel, publication.message.code, publication.message.reason
        )
        return msgspec.structs.replace(close, id=uuid.uuid4().hex, no_seq=True)
    seq = getattr(publication.message, "seq", UNSET)
    content = encode(publication.message).decode()
    if seq is UNSET:
        item = ws_item(publication.channel, content, id=uuid.uuid4().hex)
        return msgspec.structs.replace(item, no_seq=True)
    return ws_item(publication.channel, content, id=str(seq), prev_id=str(seq - 1))


CONTEXT = web.AppKey("liveqa_origin", OriginContext)
