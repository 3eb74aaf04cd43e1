"""The client's WebSocket opening handshake, sans I/O: parse a request head, build the answers."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass
from http import HTTPStatus
from urllib.parse import unquote

MAX_HEAD_SIZE = 16_384
# Where the liveqa origin serves its socket; `/` (every path) is what Pushpin's routes do.
DEFAULT_WEBSOCKET_PATHS = ("/api/websocket",)
ANY_ORIGIN = "*"
_DEFAULT_PORTS = {"http": ":80", "https": ":443"}
WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_FORBIDDEN_IN_VALUE = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")


class HandshakeError(ValueError):
    """A request head that cannot start a WebSocket; `status` is the HTTP answer to give."""

    def __init__(self, message: str, status: int = 400, headers: tuple[tuple[str, str], ...] = ()):
        super().__init__(message)
        self.status = status
        self.headers = headers


class CrossSiteError(HandshakeError):
    """A browser's handshake from a site that may not open sockets here (403)."""


@dataclass(slots=True)
class RequestHead:
    """An HTTP/1.1 request line and its headers, in order, names as sent."""

    method: str
    target: str
    version: str
    headers: list[tuple[str, str]]

    def get(self, name: str) -> str | None:
        """The first value of header `name` (case-insensitive), or None."""
        lower = name.lower()
        for key, value in self.headers:
            if key.lower() == lower:
                return value
        return None

    def values(self, name: str) -> list[str]:
        """Every value of header `name` (case-insensitive), in order."""
        lower = name.lower()
        return [value for key, value in self.headers if key.lower() == lower]

    def tokens(self, name: str) -> set[str]:
        """The lower-cased comma-separated tokens of every `name` header."""
        lower = name.lower()
        found: set[str] = set()
        for key, value in self.headers:
            if key.lower() == lower:
                found.update(part.strip().lower() for part in value.split(","))
        return found

    @property
    def is_websocket(self) -> bool:
        """Whether the request asks to upgrade to WebSocket."""
        return "websocket" in self.tokens("upgrade")


def parse_request_head(head: bytes) -> RequestHead:
    """Parse a request head (everything before the blank line); raises HandshakeError."""
    lines = head.split(b"\r\n")
    try:
        method, target, version = lines[0].split(b" ")
    except ValueError:
        raise HandshakeError("malformed request line") from None
    if not _TOKEN.fullmatch(method) or not version.startswith(b"HTTP/1.") or not target:
        raise HandshakeError("malformed request line")
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        name, sep, value = line.partition(b":")
        if not sep or not _TOKEN.fullmatch(name):
            raise HandshakeError(f"malformed header line {line[:40]!r}")
        value = value.strip(b" \t")
        if _FORBIDDEN_IN_VALUE.search(value):
            raise HandshakeError(f"control character in header {name.decode()}")
        headers.append((name.decode("ascii"), value.decode("latin-1")))
    return RequestHead(method.decode("ascii"), target.decode("latin-1"), version.decode(), headers)


def websocket_key(head: RequestHead) -> str:
    """Check the RFC 6455 handshake requirements and return the client's key."""
    if head.method != "GET":
        raise HandshakeError("a WebSocket handshake must use GET", 405, (("Allow", "GET"),))
    if head.version != "HTTP/1.1":
        raise HandshakeError("a WebSocket handshake needs HTTP/1.1")
    if "upgrade" not in head.tokens("connection"):
        raise HandshakeError("missing 'Connection: Upgrade'")
    if head.get("Sec-WebSocket-Version") != "13":
        raise HandshakeError(
            "unsupported Sec-WebSocket-Version (only 13)", 426, (("Sec-WebSocket-Version", "13"),)
        )
    key = head.get("Sec-WebSocket-Key")
    if key is None:
        raise HandshakeError("missing Sec-WebSocket-Key")
    try:
        raw = base64.b64decode(key, validate=True)
    except binascii.Error:
        raw = b""
    if len(raw) != 16:
        raise HandshakeError("Sec-WebSocket-Key must be 16 bytes in base64")
    return key


def check_route(head: RequestHead, paths: tuple[str, ...]) -> None:
    """Refuse (404) a handshake to a path that serves no WebSocket, before the origin hears of it.

    A path in `paths` matches exactly; one ending in `/` matches every path under it.
    """
    raw = head.target.partition("?")[0]
    path = unquote(raw)
    if any(segment in (".", "..") for segment in path.split("/")):
        raise HandshakeError("the request path must not contain . or .. segments")
    for allowed in paths:
        if path == allowed or (allowed.endswith("/") and path.startswith(allowed)):
            return
    raise HandshakeError(
        f"no WebSocket at {raw}: WebSocket handshakes are served on {', '.join(paths)}", 404
    )


def normal_origin(value: str) -> str | None:
    """`scheme://host[:port]` lower-cased without a default port, or None if `value` is not one."""
    scheme, sep, authority = value.strip().lower().rstrip("/").partition("://")
    if not sep or scheme not in _DEFAULT_PORTS or not authority or "/" in authority:
        return None
    return f"{scheme}://{authority.removesuffix(_DEFAULT_PORTS[scheme])}"


def check_origin(head: RequestHead, allowed: tuple[str, ...]) -> None:
    """Refuse (403) a browser's cross-site handshake: its Origin must be this host, or listed.

    A handshake without Origin is allowed: browsers always send one, and a program that does not
    could send any Origin it likes, so refusing it would protect nothing.
    """
    origin = head.get("Origin")
    if origin is None or ANY_ORIGIN in allowed:
        return
    normal = normal_origin(origin)
    if normal is not None:
        host = (head.get("Host") or "").strip()
        scheme = normal.partition("://")[0]
        if normal == normal_origin(f"{scheme}://{host}") or normal in allowed:
            return
    raise CrossSiteError(f"cross-site WebSocket refused: Origin {origin} is not allowed", 403)


def accept_value(key: str) -> str:
    """The Sec-WebSocket-Accept value for a client key."""
    return base64.b64encode(hashlib.sha1(key.encode() + WS_GUID).digest()).decode()


def _head(status: int, reason: str, headers: list[tuple[str, str]]) -> bytes:
    lines = [f"HTTP/1.1 {status} {reason}"]
    lines.extend(f"{name}: {value}" for name, value in headers)
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def switching_protocols(key: str, headers: list[tuple[str, str]]) -> bytes:
    """The 101 answer: the upgrade headers, then the origin's headers."""
    base = [
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Accept", accept_value(key)),
    ]
    return _head(101, "Switching Protocols", base + headers)


def http_response(
    status: int, reason: str | None, headers: list[tuple[str, str]], body: bytes
) -> bytes:
    """A complete response that ends the connection (used for refusals)."""
    if not reason:
        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = "Unknown"
    skip = {"content-length", "connection", "transfer-encoding", "keep-alive"}
    kept = [(name, value) for name, value in headers if name.lower() not in skip]
    kept += [("Content-Length", str(len(body))), ("Connection", "close")]
    return _head(status, reason, kept) + body


def error_response(error: HandshakeError) -> bytes:
    """A plain-text refusal for a bad handshake."""
    body = f"{error}\n".encode()
    headers = [("Content-Type", "text/plain; charset=utf-8"), *error.headers]
    return http_response(error.status, None, headers, body)
