"""GRIP control messages (`c:` + JSON) and the message prefix (docs/grip.md §1.5).

Parsed like Pushpin's `WsControlMessage`: unknown keys are ignored, wrong types are errors."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

CONTROL_PREFIX = b"c:"
DEFAULT_MESSAGE_PREFIX = b"m:"

MessageKind = Literal["text", "binary", "ping", "pong"]
KeepAliveMode = Literal["idle", "interval"]
NonEmpty = Annotated[str, msgspec.Meta(min_length=1)]


class _Control(msgspec.Struct, frozen=True, tag_field="type", rename="kebab", omit_defaults=True):
    """Base of the control messages: tagged on `type`, hyphenated JSON names."""


class Subscribe(_Control, tag="subscribe", frozen=True):
    """Subscribe the connection to a channel (the route prefix is added by the proxy)."""

    channel: NonEmpty
    filters: list[str] = []


class Unsubscribe(_Control, tag="unsubscribe", frozen=True):
    """Remove a subscription."""

    channel: NonEmpty


class Detach(_Control, tag="detach", frozen=True):
    """Stop forwarding client traffic to the origin; the client keeps receiving publishes."""


class Session(_Control, tag="session", frozen=True):
    """Tie the connection to a session id; None or empty clears it."""

    id: str | None = None


class SetMeta(_Control, tag="set-meta", frozen=True):
    """Set subscription meta used by publish filters; a None value deletes it."""

    name: NonEmpty
    value: str | None = None


class _TimedMessage(_Control, frozen=True):
    """Fields shared by keep-alive and send-delayed."""

    content: str | None = None
    content_bin: bytes | None = None
    message_type: MessageKind | None = None

    def frame(self) -> tuple[MessageKind, bytes] | None:
        """What the proxy sends: (kind, payload), or None when there is no content (turn off)."""
        # Pushpin defaults content-bin to a text frame, which a browser rejects unless the bytes
        # happen to be UTF-8; binary is what a publisher of content-bin means.
        if self.content_bin is not None:
            return self.message_type or "binary", self.content_bin
        if self.content is not None:
            return self.message_type or "text", self.content.encode("utf-8")
        return None


class KeepAlive(_TimedMessage, tag="keep-alive", frozen=True):
    """Send a message when idle for `timeout` seconds (`idle`) or every `timeout` (`interval`)."""

    timeout: Annotated[int, msgspec.Meta(gt=0)] = 55
    mode: KeepAliveMode = "idle"


class SendDelayed(_TimedMessage, tag="send-delayed", frozen=True):
    """Send a message after `timeout` seconds unless flushed or replaced first."""

    timeout: Annotated[int, msgspec.Meta(ge=0)] = 1
    mode: KeepAliveMode = "idle"


class FlushDelayed(_Control, tag="flush-delayed", frozen=True):
    """Send the pending delayed message now."""


ControlMessage = (
    Subscribe | Unsubscribe | Detach | Session | SetMeta | KeepAlive | SendDelayed | FlushDelayed
)

CONTROL_TYPES = (
    "subscribe",
    "unsubscribe",
    "detach",
    "session",
    "set-meta",
    "keep-alive",
    "send-delayed",
    "flush-delayed",
)


class ControlError(ValueError):
    """A control message that is not valid JSON, has an unknown type or a bad field."""


_decoder: msgspec.json.Decoder[ControlMessage] = msgspec.json.Decoder(ControlMessage)
_encoder = msgspec.json.Encoder()


def parse_control(data: bytes) -> ControlMessage:
    """Parse the JSON after the `c:` prefix."""
    try:
        return _decoder.decode(data)
    except msgspec.ValidationError as exc:
        text = str(exc)
        if text.endswith(" - at `$.type`"):
            text = f"{text[:-14]} for `type` (known: {', '.join(CONTROL_TYPES)})"
        raise ControlError(f"invalid GRIP control message: {text}") from None
    except msgspec.DecodeError as exc:
        raise ControlError(f"GRIP control message is not valid JSON: {exc}") from None


def encode_control(message: ControlMessage) -> bytes:
    """The TEXT content an origin sends: `c:` + JSON."""
    return CONTROL_PREFIX + _encoder.encode(message)


def _split_quoted(text: str, separator: str) -> list[str]:
    """Split on `separator` outside double-quoted strings."""
    parts: list[str] = []
    start = 0
    quoted = False
    escaped = False
    for i, char in enumerate(text):
        if escaped:
            escaped = False
        elif char == "\\" and quoted:
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == separator and not quoted:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def _unquote(value: str) -> str:
    """An HTTP token or quoted-string parameter value."""
    if len(value) >= 2 and value[0] == value[-1] == '"':
        inner = value[1:-1]
        out: list[str] = []
        i = 0
        while i < len(inner):
            if inner[i] == "\\" and i + 1 < len(inner):
                i += 1
            out.append(inner[i])
            i += 1
        return "".join(out)
    return value


def parse_grip_extension(header: str | None) -> bytes | None:
    """The message prefix from the origin's `Sec-WebSocket-Extensions`, or None if GRIP is off.

    `grip` gives `b"m:"`; `grip; message-prefix="x"` gives `b"x"` (and `""` gives `b""`)."""
    if not header:
        return None
    for extension in _split_quoted(header, ","):
        name, *params = (part.strip() for part in _split_quoted(extension, ";"))
        if name.lower() != "grip":
            continue
        for param in params:
            key, sep, value = param.partition("=")
            if sep and key.strip().lower() == "message-prefix":
                return _unquote(value.strip()).encode("utf-8")
        return DEFAULT_MESSAGE_PREFIX
    return None
