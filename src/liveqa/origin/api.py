"""REST routes: sessions, rooms, host keys, exports; each one is also an OpenAPI operation."""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import msgspec
from aiohttp import web

from liveqa.origin.context import CONTEXT, OriginContext
from liveqa.origin.errors import Refused, invalid, unauthenticated
from liveqa.origin.qrcode import join_url, qr_svg
from liveqa.origin.schemas import (
    CreateRoomRequest,
    DeleteRoomRequest,
    ErrorBody,
    ErrorDetail,
    HostKeyRequest,
    RenameRequest,
    RotateHostKeyRequest,
    SessionRequest,
)
from liveqa.origin.session import COOKIE_MAX_AGE, COOKIE_NAME
from liveqa.origin.views import (
    HostKeyRotated,
    HostKeyView,
    HostsView,
    MeView,
    MyRoomsView,
    ParticipantView,
    QuestionView,
    RoomCreated,
    RoomSnapshot,
    RoomView,
    participant_view,
    question_view,
    room_view,
)

log = logging.getLogger(__name__)

T = TypeVar("T")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
JSON = "application/json"
# What the web client sends with every state-changing request (see app.own_pages_only).
CLIENT_HEADER = "X-LiveQA"
SOCKET_PATH = "/api/websocket"
# Methods that change something; a page on another origin (another port of the same host
# included) can send them with `fetch(..., {mode: "no-cors"})` or a form, cookies and all.
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def guarded(method: str, path: str) -> bool:
    """Whether a request needs a JSON body or the client header: it changes state through the
    REST API (the socket endpoint has its Grip-Sig instead)."""
    return method in STATE_CHANGING and path.startswith("/api/") and path != SOCKET_PATH


SVG = "image/svg+xml"

_encoder = msgspec.json.Encoder()


class ExportDocument(msgspec.Struct, frozen=True, kw_only=True):
    """A room and all its questions, pending ones included (anonymous authors stay hidden)."""

    room: RoomView
    join_url: str | None = msgspec.field(name="joinUrl", default=None)
    questions: list[QuestionView]


@dataclass(frozen=True)
class Response:
    """A documented response: status, body type (None: no JSON body), description."""

    status: int
    body: Any
    description: str
    media_type: str = JSON


@dataclass(frozen=True)
class Operation:
    """A route with everything the OpenAPI document says about it."""

    method: str
    path: str
    handler: Handler
    summary: str
    request: type | None = None
    request_optional: bool = False
    responses: tuple[Response, ...] = ()
    errors: tuple[int, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)


def json_response(value: Any, status: int = 200) -> web.Response:
    """A JSON response from a msgspec Struct (or plain data)."""
    return web.Response(body=_encoder.encode(value), status=status, content_type=JSON)


def error_response(status: int, code: str, message: str) -> web.Response:
    """The one error shape: `{"error": {"code", "message"}}`."""
    body = ErrorBody(error=ErrorDetail(code=code, message=message))
    return json_response(body, status)


async def decode_body(request: web.Request, kind: type[T], *, optional: bool = False) -> T:
    """Decode and validate a JSON body as `kind`; 400 or 415 with a clear message otherwise."""
    data = await request.read()
    # Only a missing body is "no body": whitespace alone is not JSON and gets a 400 like any.
    if optional and not data:
        return msgspec.convert({}, kind)
    if request.content_type != JSON:
        raise Refused("unsupported_media_type", "send the request body as application/json", 415)
    try:
        return msgspec.json.decode(data, type=kind)
    except msgspec.ValidationError as exc:
        raise invalid(f"invalid request body: {exc}") from None
    except msgspec.DecodeError as exc:
        raise invalid(f"request body is not valid JSON: {exc}", "invalid_json") from None


def participant_id(request: web.Request) -> str | None:
    """The participant id of a genuine session cookie, else None."""
    return request.app[CONTEXT].signer.verify(request.cookies.get(COOKIE_NAME))


def require_participant(request: web.Request) -> str:
    """The participant id, or a 401 refusal."""
    found = participant_id(request)
    if found is None:
        raise unauthenticated()
    return found


def _set_cookie(response: web.Response, context: OriginContext, participant: str) -> None:
    response.set_cookie(
        COOKIE_NAME,
        context.signer.sign(participant),
        max_age=COOKIE_MAX_AGE,
        path="/",
        httponly=True,
        samesite="Lax",
        secure=context.cookie_secure,
    )


def room_link(request: web.Request, room_id: str) -> str | None:
    """The room's absolute join URL (see `join_url`); None when the Host header is no host."""
    try:
        return join_url(request, room_id, request.app[CONTEXT].public_url)
    except Refused:
        return None


async def create_session(request: web.Request) -> web.Response:
    """Return the caller's participant, creating one (and its cookie) when needed."""
    context = request.app[CONTEXT]
    body = await decode_body(request, SessionRequest, optional=True)
    name = body.display_name if isinstance(body.display_name, str) else None
    if name is not None:
        context.board.display_name(name)
    existing = participant_id(request)
    if existing is not None:
        participant = await context.board.participant(existing)
        if participant is not None:
            return json_response(participant_view(participant))
    participant = await context.board.create_participant(name, context.client_key(request))
    response = json_response(participant_view(participant), 201)
    _set_cookie(response, context, participant.id)
    return response


async def rename(request: web.Request) -> web.Response:
    """Change the caller's display name and tell every room they are in."""
    context = request.app[CONTEXT]
    caller = require_participant(request)
    body = await decode_body(request, RenameRequest)
    participant, publications = await context.board.rename(caller, body.display_name)
    await context.publish(publications)
    return json_response(participant_view(participant))


async def my_rooms(request: web.Request) -> web.Response:
    """The rooms the caller hosts, most recently active first."""
    context = request.app[CONTEXT]
    caller = require_participant(request)
    response = json_response(await context.board.my_rooms(caller))
    response.headers["Cache-Control"] = "no-store"
    return response


async def create_room(request: web.Request) -> web.Response:
    """Create a room with the caller as host."""
    context = request.app[CONTEXT]
    caller = require_participant(request)
    body = await decode_body(request, CreateRoomRequest)
    created = await context.board.create_room(
        caller,
        body.room_id,
        body.display_name if isinstance(body.display_name, str) else None,
        body.theme_color if isinstance(body.theme_color, str) else None,
        context.client_key(request),
    )
    linked = msgspec.structs.replace(created, join_url=room_link(request, created.room.room_id))
    return json_response(linked, 201)


async def room_snapshot(request: web.Request) -> web.Response:
    """The room as the caller may see it."""
    context = request.app[CONTEXT]
    snapshot = await context.board.snapshot(request.match_info["roomId"], participant_id(request))
    linked = msgspec.structs.replace(snapshot, join_url=room_link(request, snapshot.room.room_id))
    response = json_response(linked)
    response.headers["Cache-Control"] = "no-store"
    return response


async def delete_room(request: web.Request) -> web.Response:
    """Delete the room and everything in it (the owner only); its open pages are told."""
    context = request.app[CONTEXT]
    caller = require_participant(request)
    body = await decode_body(request, DeleteRoomRequest)
    publications = await context.board.delete_room(
        request.match_info["roomId"], caller, body.confirm_room_id
    )
    await context.publish(publications)
    return web.Response(status=204)


async def join_as_host(request: web.Request) -> web.Response:
    """Become a host of the room with its host key."""
    context = request.app[CONTEXT]
    caller = require_participant(request)
    body = await decode_body(request, HostKeyRequest)
    me, publications = await context.board.join_as_host(
        request.match_info["roomId"], caller, body.host_key
    )
    await context.publish(publications)
    return json_response(me)


async def host_key(request: web.Request) -> web.Response:
    """The room's host key and host link (the owner only)."""
    context = request.app[CONTEXT]
    caller = require_participant(request)
    response = json_response(await context.board.host_key(request.match_info["roomId"], caller))
    response.headers["Cache-Control"] = "no-store"
    return response


async def rotate_host_key(request: web.Request) -> web.Response:
    """Replace the room's host key (the owner only), revoking co-hosts unless kept."""
    context = request.app[CONTEXT]
    caller = require_participant(request)
    body = await decode_body(request, RotateHostKeyRequest, optional=True)
    rotated, publications = await context.board.rotate_host_key(
        request.match_info["roomId"], caller, keep_cohosts=body.keep_cohosts
    )
    await context.publish(publications)
    response = json_response(rotated)
    response.headers["Cache-Control"] = "no-store"
    return response


async def list_hosts(request: web.Request) -> web.Response:
    """Who hosts the room (hosts only)."""
    context = request.app[CONTEXT]
    caller = require_participant(request)
    hosts = await context.board.hosts(request.match_info["roomId"], caller)
    response = json_response(hosts)
    response.headers["Cache-Control"] = "no-store"
    return response


async def remove_host(request: web.Request) -> web.Response:
    """Take a co-host's rights away (the owner only); their open pages turn into attendees'."""
    context = request.app[CONTEXT]
    caller = require_participant(request)
    hosts, publications = await context.board.remove_host(
        request.match_info["roomId"], caller, request.match_info["participantId"]
    )
    await context.publish(publications)
    return json_response(hosts)


async def room_qr(request: web.Request) -> web.Response:
    """The room's join URL as an SVG QR code (for the projector view)."""
    context = request.app[CONTEXT]
    room = await context.board.room(request.match_info["roomId"])
    url = join_url(request, room.id, context.public_url)
    response = web.Response(body=qr_svg(url), content_type=SVG)
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["Vary"] = "X-Forwarded-Proto"
    return response


async def _export(request: web.Request) -> ExportDocument:
    context = request.app[CONTEXT]
    caller = require_participant(request)
    room, questions = await context.board.export(request.match_info["roomId"], caller)
    return ExportDocument(
        room=room_view(room),
        join_url=room_link(request, room.id),
        questions=[question_view(q) for q in questions],
    )


def _attachment(response: web.Response, room_id: str, extension: str) -> web.Response:
    response.headers["Content-Disposition"] = f'attachment; filename="{room_id}.{extension}"'
    response.headers["Cache-Control"] = "no-store"
    return response


async def export_json(request: web.Request) -> web.Response:
    """The room and all its questions as JSON (hosts only)."""
    document = await _export(request)
    return _attachment(json_response(document), document.room.room_id, "json")


CSV_COLUMNS = (
    "questionId",
    "questionText",
    "author",
    "anonymous",
    "pending",
    "upvotes",
    "questionTimestamp",
    "answerText",
    "answerAuthor",
    "answerTimestamp",
    "editedBy",
)


def csv_cell(value: object) -> str:
    """A CSV cell a spreadsheet shows as text: formulas are defused with a leading quote."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


async def export_csv(request: web.Request) -> web.Response:
    """The room's questions as CSV, one row per question (hosts only)."""
    document = await _export(request)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for q in document.questions:
        writer.writerow(
            csv_cell(value)
            for value in (
                q.question_id,
                q.question_text,
                None if q.author is None else q.author.display_name,
                json.dumps(q.anonymous),
                json.dumps(q.pending),
                q.upvotes,
                q.question_timestamp,
                q.answer_text,
                None if q.answer_author is None else q.answer_author.display_name,
                q.answer_timestamp,
                q.edited_by,
            )
        )
    response = web.Response(text=out.getvalue(), content_type="text/csv", charset="utf-8")
    return _attachment(response, document.room.room_id, "csv")


ROOM_PARAM = "roomId"

OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "POST",
        "/api/session",
        create_session,
        "Start or resume a session (sets the participant cookie)",
        request=SessionRequest,
        request_optional=True,
        responses=(
            Response(200, ParticipantView, "the participant of the existing session"),
            Response(201, ParticipantView, "a new participant; the cookie is set"),
        ),
        errors=(400, 415, 429),
    ),
    Operation(
        "PATCH",
        "/api/me",
        rename,
        "Change your display name; every room you are in is told",
        request=RenameRequest,
        responses=(Response(200, ParticipantView, "the renamed participant"),),
        errors=(400, 401, 415, 429),
    ),
    Operation(
        "GET",
        "/api/me/rooms",
        my_rooms,
        "The rooms you host, most recently active first",
        responses=(Response(200, MyRoomsView, "your rooms"),),
        errors=(401,),
    ),
    Operation(
        "POST",
        "/api/rooms",
        create_room,
        "Create a room; you become its host",
        request=CreateRoomRequest,
        responses=(Response(201, RoomCreated, "the room, its host key and host link"),),
        errors=(400, 401, 409, 415, 429),
    ),
    Operation(
        "GET",
        "/api/rooms/{roomId}",
        room_snapshot,
        "The room, its questions as you may see them, and its event number",
        responses=(Response(200, RoomSnapshot, "the room snapshot"),),
        errors=(404,),
    ),
    Operation(
        "DELETE",
        "/api/rooms/{roomId}",
        delete_room,
        "Delete the room with its questions and votes (the owner only, confirming its id); "
        "the id is free again",
        request=DeleteRoomRequest,
        responses=(Response(204, None, "the room is gone; its open sockets are closed"),),
        errors=(400, 401, 403, 404, 415),
    ),
    Operation(
        "POST",
        "/api/rooms/{roomId}/hosts",
        join_as_host,
        "Become a co-host of the room with its host key",
        request=HostKeyRequest,
        responses=(Response(200, MeView, "you, now a host"),),
        errors=(400, 401, 403, 404, 415, 429),
    ),
    Operation(
        "GET",
        "/api/rooms/{roomId}/hosts",
        list_hosts,
        "Who hosts the room, the owner first (hosts only)",
        responses=(Response(200, HostsView, "the room's hosts"),),
        errors=(401, 403, 404),
    ),
    Operation(
        "DELETE",
        "/api/rooms/{roomId}/hosts/{participantId}",
        remove_host,
        "Take a co-host's rights away (the owner only); their open sockets are closed",
        responses=(Response(200, HostsView, "the room's hosts now"),),
        errors=(401, 403, 404, 409),
    ),
    Operation(
        "GET",
        "/api/rooms/{roomId}/host-key",
        host_key,
        "The room's host key and host link (the owner only)",
        responses=(Response(200, HostKeyView, "the host key"),),
        errors=(401, 403, 404),
    ),
    Operation(
        "POST",
        "/api/rooms/{roomId}/host-key",
        rotate_host_key,
        "Replace the room's host key (the owner only); co-hosts who joined with the old key "
        "lose their rights unless keepCohosts is true",
        request=RotateHostKeyRequest,
        request_optional=True,
        responses=(Response(200, HostKeyRotated, "the new host key and who lost their rights"),),
        errors=(400, 401, 403, 404, 415),
    ),
    Operation(
        "GET",
        "/api/rooms/{roomId}/qr.svg",
        room_qr,
        "A QR code (SVG) of the room's join URL, built from the Host and X-Forwarded-Proto",
        responses=(Response(200, str, "the QR code", SVG),),
        errors=(400, 404),
    ),
    Operation(
        "GET",
        "/api/rooms/{roomId}/export.json",
        export_json,
        "Export the room as JSON (hosts only)",
        responses=(Response(200, ExportDocument, "the room and all its questions"),),
        errors=(401, 403, 404),
    ),
    Operation(
        "GET",
        "/api/rooms/{roomId}/export.csv",
        export_csv,
        "Export the room's questions as CSV (hosts only)",
        responses=(Response(200, str, "one row per question", "text/csv"),),
        errors=(401, 403, 404),
    ),
)
