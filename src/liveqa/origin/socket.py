"""`POST /api/websocket?roomId=`: the room's sockets, as WebSocket-over-HTTP from a GRIP proxy.

Pushpin drops a client whenever the origin answers a request with anything but a 200 carrying
`application/websocket-events`, so once a request is known to come from the proxy, everything a
user typed is answered inside the 200 body: an ERROR message to that socket, never a failure.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field

import msgspec
from aiohttp import web

from liveqa.grip.control import KeepAlive, Subscribe, encode_control
from liveqa.grip.events import (
    BINARY,
    CLOSE,
    CONTENT_TYPE,
    DISCONNECT,
    OPEN,
    PING,
    PONG,
    TEXT,
    EventsError,
    WebSocketEvent,
    close_event,
    decode_events,
    encode_events,
    parse_close_payload,
)
from liveqa.origin.api import error_response
from liveqa.origin.board import (
    Actor,
    host_sockets_channel,
    hosts_channel,
    participant_channel,
    room_channel,
)
from liveqa.origin.context import CONTEXT, OriginContext
from liveqa.origin.errors import Refused
from liveqa.origin.messages import Error, ServerMessage, decode, encode, peek_ref
from liveqa.origin.throttle import ThrottledLog
from liveqa.websocket import is_sendable_close_code

log = logging.getLogger(__name__)
failures = ThrottledLog(log)

META_PARTICIPANT = "Participant"
META_ROOM = "Room"
# Binds Participant and Room to the proxy's Connection-Id: an answer a confused proxy delivered
# to another socket then gives that socket no identity it can use.
META_AUTH = "Auth"
# When the origin last counted this socket as present (epoch seconds).
META_SEEN = "Seen"
# "present" on a projector's socket (`?view=present`): it watches, it is no attendee.
META_VIEW = "View"
PROJECTOR = "present"
MESSAGE_PREFIX = b"m:"
MAX_MESSAGE_BYTES = 16 * 1024
# Close codes a client can act on: 4000 + the HTTP status the same refusal would get.
CLOSE_UNAUTHENTICATED = 4401
CLOSE_NOT_FOUND = 4404


@dataclass
class Reply:
    """The response being built: events for the proxy, headers, and the publishes to wait for."""

    events: list[WebSocketEvent] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    deliveries: list[asyncio.Future[None] | None] = field(default_factory=list)

    def send(self, message: ServerMessage) -> None:
        """A message for this socket's client (prefixed, as GRIP requires)."""
        self.events.append(WebSocketEvent(TEXT, MESSAGE_PREFIX + encode(message)))

    def control(self, message: Subscribe | KeepAlive) -> None:
        """A GRIP control message for the proxy."""
        self.events.append(WebSocketEvent(TEXT, encode_control(message)))


def is_websocket_over_http(request: web.Request) -> bool:
    """POST with the events content type (parameters ignored), as GRIP libraries decide it."""
    return request.method == "POST" and request.content_type == CONTENT_TYPE


async def websocket(request: web.Request) -> web.Response:
    """Handle one batch of a socket's events."""
    context = request.app[CONTEXT]
    if not context.verify_sig(request.headers.get("Grip-Sig")):
        return error_response(401, "invalid_grip_sig", "missing or invalid Grip-Sig")
    if not is_websocket_over_http(request):
        return error_response(400, "not_websocket_over_http", f"expected a POST of {CONTENT_TYPE}")
    if not request.headers.get("Connection-Id"):
        return error_response(400, "missing_connection_id", "missing Connection-Id header")
    try:
        events = decode_events(await request.read())
    except EventsError as exc:
        return error_response(400, "invalid_events", f"malformed events body: {exc}")
    reply = Reply()
    await _process(context, request, events, reply)
    await context.delivered(reply.deliveries)
    headers = {"Content-Type": CONTENT_TYPE, **reply.headers}
    return web.Response(body=encode_events(reply.events), headers=headers)


async def _process(
    context: OriginContext, request: web.Request, events: list[WebSocketEvent], reply: Reply
) -> None:
    actor: Actor | None = None
    participant = request.headers.get(f"Meta-{META_PARTICIPANT}")
    room = request.headers.get(f"Meta-{META_ROOM}")
    connection_id = request.headers["Connection-Id"]
    if participant and room:
        mac = request.headers.get(f"Meta-{META_AUTH}")
        if not context.signer.is_bound(mac, connection_id, participant, room):
            log.warning("connection %s: meta identity not bound to this connection", connection_id)
            _close(reply, CLOSE_UNAUTHENTICATED, "session not bound to this connection")
            return
        actor = Actor(participant, room)
        if request.headers.get(f"Meta-{META_VIEW}") != PROJECTOR:
            await _still_here(context, request, actor, reply)
    for index, event in enumerate(events):
        if event.type == OPEN:
            if index != 0:
                break
            actor = await _open(context, request, reply)
            if actor is None:
                return
        elif event.type in (TEXT, BINARY):
            if actor is None:
                _close(reply, CLOSE_UNAUTHENTICATED, "no session on this socket")
                return
            await _message(context, actor, event, reply, context.client_key(request))
        elif event.type == PING:
            reply.events.append(WebSocketEvent(PONG, event.content))
        elif event.type == CLOSE:
            _echo_close(event, reply)
            await context.board.leave(connection_id)
            return
        elif event.type == DISCONNECT:
            await context.board.leave(connection_id)
            return


async def _still_here(
    context: OriginContext, request: web.Request, actor: Actor, reply: Reply
) -> None:
    """Refresh the socket's presence when the last refresh is half a keep-alive old."""
    now = int(time.time())
    try:
        seen = int(request.headers.get(f"Meta-{META_SEEN}", "0"))
    except ValueError:
        seen = 0
    if now - seen < context.sockets.keep_alive_interval // 2:
        return
    try:
        await context.board.seen(request.headers["Connection-Id"], actor)
    except Exception as exc:
        failures.failure("seen", "could not refresh a connection's presence", exc)
        return
    reply.headers[f"Set-Meta-{META_SEEN}"] = str(now)


async def _open(context: OriginContext, request: web.Request, reply: Reply) -> Actor | None:
    """Accept the socket into its room, or accept-and-close it with a reason the client sees."""
    room_id = request.query.get("roomId", "")
    participant_id = context.signer.from_cookie_header(request.headers.get("Cookie"))
    # Only attendees' sockets are recorded: the attendee count is of them.
    projector = request.query.get("view") == PROJECTOR
    connection_id = None if projector else request.headers["Connection-Id"]
    try:
        joined = await context.board.join(room_id, participant_id, connection_id)
    except Refused as refused:
        reply.events.append(WebSocketEvent(OPEN))
        reply.events.append(
            WebSocketEvent(TEXT, encode(Error(code=refused.code, message=refused.message)))
        )
        code = CLOSE_UNAUTHENTICATED if refused.status == 401 else CLOSE_NOT_FOUND
        _close(reply, code, refused.code)
        return None
    actor = Actor(joined.participant.id, joined.room.id)
    reply.events.append(WebSocketEvent(OPEN))
    reply.headers.update(
        {
            "Sec-WebSocket-Extensions": "grip",
            "Keep-Alive-Interval": str(context.sockets.keep_alive_interval),
            f"Set-Meta-{META_PARTICIPANT}": actor.participant_id,
            f"Set-Meta-{META_ROOM}": actor.room_id,
            f"Set-Meta-{META_AUTH}": context.signer.bind_socket(
                request.headers["Connection-Id"], actor.participant_id, actor.room_id
            ),
            f"Set-Meta-{META_SEEN}": str(int(time.time())),
        }
    )
    if projector:
        reply.headers[f"Set-Meta-{META_VIEW}"] = PROJECTOR
    elif context.attendance is not None:
        context.attendance.changed(actor.room_id)
    reply.control(Subscribe(channel=room_channel(actor.room_id)))
    reply.control(Subscribe(channel=participant_channel(actor.participant_id)))
    if joined.is_host:
        reply.control(Subscribe(channel=hosts_channel(actor.room_id)))
        reply.control(Subscribe(channel=host_sockets_channel(actor.room_id, actor.participant_id)))
    reply.control(KeepAlive(content="{}", timeout=context.sockets.keep_alive))
    return actor


async def _message(
    context: OriginContext,
    actor: Actor,
    event: WebSocketEvent,
    reply: Reply,
    address: str | None,
) -> None:
    data = event.content or b""
    if event.type == BINARY:
        reply.send(Error(code="unsupported", message="send messages as JSON text"))
        return
    if len(data) > MAX_MESSAGE_BYTES:
        reply.send(
            Error(
                code="message_too_large",
                message=f"messages are at most {MAX_MESSAGE_BYTES} bytes",
            )
        )
        return
    try:
        message = decode(data)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        reply.send(Error(ref=peek_ref(data), code="invalid_message", message=str(exc)))
        return
    try:
        outcome = await context.board.handle(actor, message, address)
    except Refused as refused:
        reply.send(Error(ref=message.ref, code=refused.code, message=refused.message))
        return
    except Exception as exc:
        failures.failure(type(message).__name__, f"message {type(message).__name__} failed", exc)
        reply.send(
            Error(ref=message.ref, code="internal_error", message="the server failed; retry")
        )
        return
    reply.send(outcome.reply)
    # Published now, not after the batch: each event took its seq at commit, and the edge holds
    # every later event of the room until this one arrives.
    reply.deliveries.append(context.publish_soon(outcome.publications))


def _close(reply: Reply, code: int, reason: str) -> None:
    reply.events.append(close_event(code, reason))


def _echo_close(event: WebSocketEvent, reply: Reply) -> None:
    """Finish the client's close handshake, echoing its code when it is one we may send."""
    try:
        code, _ = parse_close_payload(event.content)
    except EventsError:
        code = 1002
    if code is None or not is_sendable_close_code(code):
        code = 1000
    _close(reply, code, "")
