"""Publish items: the `{"items": [...]}` body of `POST /publish/` (docs/grip.md §2.1, §2.2).

Parsed like Pushpin's `PublishItem`, but stricter wherever Pushpin would send a broken frame."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal, TypeAlias

import msgspec
from msgspec import UNSET, UnsetType

from liveqa.grip.control import MessageKind
from liveqa.websocket import is_sendable_close_code

Action = Literal["send", "close", "hint", "refresh"]
Headers: TypeAlias = list[tuple[str, str]]
NonEmpty = Annotated[str, msgspec.Meta(min_length=1)]

# RFC 6455 §5.5: a control frame carries at most 125 bytes, 2 of which a close code takes.
MAX_CONTROL_PAYLOAD = 125
MAX_CLOSE_REASON = MAX_CONTROL_PAYLOAD - 2


class WsMessage(msgspec.Struct, frozen=True):
    """The `ws-message` format: a message to send, or a close/hint/refresh action."""

    action: Action = "send"
    kind: MessageKind = "text"
    payload: bytes = b""
    code: int | None = None
    reason: str = ""
    content_filters: list[str] = []


class HttpStream(msgspec.Struct, frozen=True):
    """The `http-stream` format: a chunk for streaming HTTP subscribers, or an action."""

    action: Action = "send"
    content: bytes = b""
    content_filters: list[str] = []


class HttpResponse(msgspec.Struct, frozen=True):
    """The `http-response` format: a whole response for long-polling subscribers."""

    action: Action = "send"
    code: int = 200
    reason: str = ""
    headers: Headers = []
    body: bytes = b""
    body_patch: list[Any] | None = None
    content_filters: list[str] = []


class PublishItem(msgspec.Struct, frozen=True):
    """One item of a publish request, validated."""

    channel: str
    id: str | None = None
    prev_id: str | None = None
    meta: dict[str, str] = {}
    ws_message: WsMessage | None = None
    http_stream: HttpStream | None = None
    http_response: HttpResponse | None = None
    no_seq: bool = False
    size: int | None = None


class PublishError(ValueError):
    """A publish body that is not valid; `path` names the offending field."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path


class _Wire(msgspec.Struct, rename="kebab"):
    """Base of the wire shapes: hyphenated names, unknown keys ignored (as Pushpin does)."""


class _WireWsMessage(_Wire):
    action: Action | None = None
    type: MessageKind | None = None
    content: str | UnsetType = UNSET
    content_bin: bytes | UnsetType = UNSET
    content_filters: list[str] = []
    code: int | UnsetType = UNSET
    reason: str | None = None


class _WireHttpStream(_Wire):
    action: Action | None = None
    content: str | UnsetType = UNSET
    content_bin: bytes | UnsetType = UNSET
    content_filters: list[str] = []


class _WireHttpResponse(_Wire):
    action: Action | None = None
    code: Annotated[int, msgspec.Meta(ge=0, le=999)] = 200
    reason: str | None = None
    headers: dict[str, str] | Headers = []
    body: str | UnsetType = UNSET
    body_bin: bytes | UnsetType = UNSET
    body_patch: list[Any] | UnsetType = UNSET
    content_filters: list[str] = []


class _WireFormats(_Wire):
    ws_message: _WireWsMessage | UnsetType = UNSET
    http_stream: _WireHttpStream | UnsetType = UNSET
    http_response: _WireHttpResponse | UnsetType = UNSET


class _WireItem(_WireFormats, kw_only=True):
    channel: NonEmpty
    id: str | None = None
    prev_id: str | None = None
    meta: dict[str, str] = {}
    formats: _WireFormats | UnsetType = UNSET
    no_seq: bool = False
    size: Annotated[int, msgspec.Meta(ge=0)] | None = None


class _WireBody(_Wire):
    items: list[_WireItem]


_decoder = msgspec.json.Decoder(_WireBody)
_encoder = msgspec.json.Encoder()


# Pushpin accepts what follows and then writes an invalid frame, failing the client's socket:
# unsendable close codes, reasons too long for a close frame, non-UTF-8 text, long pings.
def _ws_message(wire: _WireWsMessage, path: str) -> WsMessage:
    action = wire.action or "send"
    if action == "close":
        code = None if wire.code is UNSET else wire.code
        reason = wire.reason or ""
        if code is not None and not is_sendable_close_code(code):
            raise PublishError(f"{path}.code", f"{code} is not a close code an endpoint may send")
        if reason and code is None:
            raise PublishError(f"{path}.reason", "a close reason needs a close code")
        if len(reason.encode("utf-8")) > MAX_CLOSE_REASON:
            raise PublishError(f"{path}.reason", f"longer than {MAX_CLOSE_REASON} bytes of UTF-8")
        return WsMessage(action, code=code, reason=reason)
    if action != "send":
        return WsMessage(action)
    if wire.content_bin is not UNSET:
        kind = wire.type or "binary"
        payload = wire.content_bin
        if kind == "text":
            try:
                payload.decode("utf-8")
            except UnicodeDecodeError:
                raise PublishError(
                    f"{path}.content-bin", "a text message must be valid UTF-8"
                ) from None
    elif wire.content is not UNSET:
        kind = wire.type or "text"
        payload = wire.content.encode("utf-8")
    elif wire.type in ("ping", "pong"):
        kind, payload = wire.type, b""
    else:
        raise PublishError(path, "has neither 'content' nor 'content-bin'")
    if kind in ("ping", "pong") and len(payload) > MAX_CONTROL_PAYLOAD:
        raise PublishError(path, f"a {kind} payload is at most {MAX_CONTROL_PAYLOAD} bytes")
    return WsMessage(action, kind, payload, content_filters=wire.content_filters)


def _http_stream(wire: _WireHttpStream, path: str) -> HttpStream:
    action = wire.action or "send"
    if action != "send":
        return HttpStream(action)
    if wire.content_bin is not UNSET:
        content = wire.content_bin
    elif wire.content is not UNSET:
        content = wire.content.encode("utf-8")
    else:
        raise PublishError(path, "has neither 'content' nor 'content-bin'")
    return HttpStream(action, content, wire.content_filters)


def _http_response(wire: _WireHttpResponse, path: str) -> HttpResponse:
    action = wire.action or "send"
    if action != "send":
        return HttpResponse(action)
    headers = list(wire.headers.items()) if isinstance(wire.headers, dict) else wire.headers
    body = b""
    body_patch = None
    if wire.body_bin is not UNSET:
        body = wire.body_bin
    elif wire.body is not UNSET:
        body = wire.body.encode("utf-8")
    elif wire.body_patch is not UNSET:
        body_patch = wire.body_patch
    else:
        raise PublishError(path, "has none of 'body', 'body-bin' or 'body-patch'")
    return HttpResponse(
        action,
        wire.code,
        wire.reason or "",
        headers,
        body,
        body_patch,
        wire.content_filters,
    )


def _item(wire: _WireItem, path: str) -> PublishItem:
    formats: _WireFormats = wire
    if wire.formats is not UNSET:
        formats = wire.formats
        path += ".formats"
    if formats.ws_message is formats.http_stream is formats.http_response is UNSET:
        raise PublishError(path, "no ws-message, http-stream or http-response format")
    ws, stream, response = formats.ws_message, formats.http_stream, formats.http_response
    return PublishItem(
        wire.channel,
        wire.id,
        wire.prev_id,
        wire.meta,
        None if ws is UNSET else _ws_message(ws, f"{path}.ws-message"),
        None if stream is UNSET else _http_stream(stream, f"{path}.http-stream"),
        None if response is UNSET else _http_response(response, f"{path}.http-response"),
        wire.no_seq,
        wire.size,
    )


def parse_publish(body: bytes) -> list[PublishItem]:
    """Parse and validate a publish body; PublishError names the offending field."""
    try:
        wire = _decoder.decode(body)
    except msgspec.ValidationError as exc:
        message, _, where = str(exc).rpartition(" - at `")
        if not message:
            raise PublishError("body", str(exc)) from None
        path = where.rstrip("`").removeprefix("$").removeprefix(".") or "body"
        raise PublishError(path, message) from None
    except msgspec.DecodeError as exc:
        raise PublishError("body", f"not valid JSON: {exc}") from None
    return [_item(item, f"items[{index}]") for index, item in enumerate(wire.items)]


def _content(field: str, data: bytes) -> dict[str, Any]:
    """`content` when the bytes are UTF-8 text, else `<field>-bin` (base64)."""
    try:
        return {field: data.decode("utf-8")}
    except UnicodeDecodeError:
        return {f"{field}-bin": data}


def _export_ws(message: WsMessage) -> dict[str, Any]:
    if message.action == "close":
        out: dict[str, Any] = {"action": "close"}
        if message.code is not None:
            out["code"] = message.code
        if message.reason:
            out["reason"] = message.reason
        return out
    if message.action != "send":
        return {"action": message.action}
    out = _content("content", message.payload)
    if message.kind != ("text" if "content" in out else "binary"):
        out["type"] = message.kind
    if message.content_filters:
        out["content-filters"] = message.content_filters
    return out


def _export_stream(stream: HttpStream) -> dict[str, Any]:
    if stream.action != "send":
        return {"action": stream.action}
    out = _content("content", stream.content)
    if stream.content_filters:
        out["content-filters"] = stream.content_filters
    return out


def _export_response(response: HttpResponse) -> dict[str, Any]:
    if response.action != "send":
        return {"action": response.action}
    out: dict[str, Any] = {"code": response.code}
    if response.reason:
        out["reason"] = response.reason
    if response.headers:
        out["headers"] = response.headers
    if response.body_patch is not None:
        out["body-patch"] = response.body_patch
    else:
        out.update(_content("body", response.body))
    if response.content_filters:
        out["content-filters"] = response.content_filters
    return out


def _export(item: PublishItem) -> dict[str, Any]:
    out: dict[str, Any] = {"channel": item.channel}
    if item.id is not None:
        out["id"] = item.id
    if item.prev_id is not None:
        out["prev-id"] = item.prev_id
    if item.meta:
        out["meta"] = item.meta
    if item.no_seq:
        out["no-seq"] = True
    if item.size is not None:
        out["size"] = item.size
    formats: dict[str, Any] = {}
    if item.ws_message is not None:
        formats["ws-message"] = _export_ws(item.ws_message)
    if item.http_stream is not None:
        formats["http-stream"] = _export_stream(item.http_stream)
    if item.http_response is not None:
        formats["http-response"] = _export_response(item.http_response)
    out["formats"] = formats
    return out


def publish_body(items: Sequence[PublishItem]) -> bytes:
    """Encode items as a publish body (what an origin POSTs to `/publish/`)."""
    return _encoder.encode({"items": [_export(item) for item in items]})


def ws_item(
    channel: str, content: str | bytes, *, id: str | None = None, prev_id: str | None = None
) -> PublishItem:
    """An item sending a text (str) or binary (bytes) WebSocket message to a channel."""
    if isinstance(content, str):
        message = WsMessage("send", "text", content.encode("utf-8"))
    else:
        message = WsMessage("send", "binary", content)
    return PublishItem(channel, id, prev_id, ws_message=message)


def ws_close_item(channel: str, code: int | None = None, reason: str = "") -> PublishItem:
    """An item closing every WebSocket subscribed to a channel."""
    return PublishItem(channel, ws_message=WsMessage("close", code=code, reason=reason))
