"""Parsing the client's opening handshake and building the answers."""

from __future__ import annotations

import pytest

from liveqa.edge import handshake
from liveqa.edge.handshake import HandshakeError, parse_request_head, websocket_key

HEAD = (
    b"GET /api/websocket?roomId=demo HTTP/1.1\r\n"
    b"Host: example.com\r\n"
    b"Upgrade: websocket\r\n"
    b"Connection: keep-alive, Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    b"Sec-WebSocket-Version: 13\r\n"
    b"Cookie: a=b"
)


def test_parse_websocket_request() -> None:
    head = parse_request_head(HEAD)
    assert head.method == "GET"
    assert head.target == "/api/websocket?roomId=demo"
    assert head.is_websocket
    assert head.get("cookie") == "a=b"
    assert websocket_key(head) == "dGhlIHNhbXBsZSBub25jZQ=="


def test_accept_value_from_rfc6455() -> None:
    assert handshake.accept_value("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


@pytest.mark.parametrize(
    "head",
    [b"GET /\r\nHost: x", b"GET / HTTP/1.1 extra\r\nHost: x", b"GET / HTTP/1.1\r\nbad line"],
)
def test_malformed_heads(head: bytes) -> None:
    with pytest.raises(HandshakeError):
        parse_request_head(head)


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ((b"GET ", b"POST "), 405),
        ((b"Sec-WebSocket-Version: 13", b"Sec-WebSocket-Version: 8"), 426),
        ((b"dGhlIHNhbXBsZSBub25jZQ==", b"short"), 400),
        ((b"keep-alive, Upgrade", b"keep-alive"), 400),
    ],
)
def test_invalid_handshakes(change: tuple[bytes, bytes], status: int) -> None:
    head = parse_request_head(HEAD.replace(*change))
    with pytest.raises(HandshakeError) as info:
        websocket_key(head)
    assert info.value.status == status
    response = handshake.error_response(info.value)
    assert response.startswith(f"HTTP/1.1 {status} ".encode())
    assert b"Connection: close" in response


def test_switching_protocols_carries_origin_headers() -> None:
    answer = handshake.switching_protocols(
        "dGhlIHNhbXBsZSBub25jZQ==", [("Sec-WebSocket-Protocol", "chat")]
    )
    assert answer.startswith(b"HTTP/1.1 101 Switching Protocols\r\n")
    assert b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n" in answer
    assert answer.endswith(b"Sec-WebSocket-Protocol: chat\r\n\r\n")


def test_http_response_replaces_framing_headers() -> None:
    answer = handshake.http_response(
        403, "Forbidden", [("Content-Length", "99"), ("X-Why", "no")], b"go away"
    )
    assert answer == (
        b"HTTP/1.1 403 Forbidden\r\nX-Why: no\r\nContent-Length: 7\r\n"
        b"Connection: close\r\n\r\ngo away"
    )


def head_for(target: str, *headers: tuple[str, str]) -> handshake.RequestHead:
    """A handshake head for `target` with Host example.com and `headers`."""
    return handshake.RequestHead("GET", target, "HTTP/1.1", [("Host", "example.com"), *headers])


@pytest.mark.parametrize(
    ("target", "paths"),
    [
        ("/api/websocket?roomId=demo", ("/api/websocket",)),
        ("/api/%77ebsocket", ("/api/websocket",)),
        ("/live/room/7", ("/api/websocket", "/live/")),
        ("/anything?at=all", ("/",)),
    ],
)
def test_handshakes_on_a_websocket_path_pass(target: str, paths: tuple[str, ...]) -> None:
    handshake.check_route(head_for(target), paths)


@pytest.mark.parametrize(
    ("target", "paths"),
    [
        ("/api/rooms/R/host-key", ("/api/websocket",)),
        ("/api/websocket/more", ("/api/websocket",)),
        ("/api/websocketx", ("/api/websocket",)),
        ("/live", ("/live/",)),
    ],
)
def test_handshakes_elsewhere_get_404(target: str, paths: tuple[str, ...]) -> None:
    with pytest.raises(HandshakeError) as refused:
        handshake.check_route(head_for(target), paths)
    assert refused.value.status == 404
    path = target.partition("?")[0]
    assert str(refused.value) == (
        f"no WebSocket at {path}: WebSocket handshakes are served on {', '.join(paths)}"
    )


@pytest.mark.parametrize(
    "target", ["/live/../api/rooms/R/host-key", "/live/%2e%2E/api", "/live/./x", "/live/%2E"]
)
def test_dot_segments_are_refused_rather_than_matched(target: str) -> None:
    # The origin would resolve them to a path the edge did not check.
    with pytest.raises(HandshakeError) as refused:
        handshake.check_route(head_for(target), ("/live/",))
    assert (refused.value.status, str(refused.value)) == (
        400,
        "the request path must not contain . or .. segments",
    )


@pytest.mark.parametrize(
    ("value", "normal"),
    [
        ("https://QA.example.org", "https://qa.example.org"),
        ("https://qa.example.org:443/", "https://qa.example.org"),
        ("http://qa.example.org:80", "http://qa.example.org"),
        ("http://qa.example.org:8080", "http://qa.example.org:8080"),
        ("http://[::1]:7999", "http://[::1]:7999"),
        ("null", None),
        ("qa.example.org", None),
        ("ftp://qa.example.org", None),
        ("https://qa.example.org/page", None),
        ("https://", None),
    ],
)
def test_normal_origin(value: str, normal: str | None) -> None:
    assert handshake.normal_origin(value) == normal


@pytest.mark.parametrize(
    ("origin", "host", "allowed"),
    [
        (None, "example.com", ()),
        ("http://example.com", "example.com", ()),
        ("https://example.com", "example.com", ()),
        ("https://EXAMPLE.com:443", "example.com", ()),
        ("http://example.com:7999", "example.com:7999", ()),
        ("https://app.example.org", "example.com", ("https://app.example.org",)),
        ("https://anywhere.example", "example.com", ("*",)),
    ],
)
def test_origins_that_may_open_a_websocket(
    origin: str | None, host: str, allowed: tuple[str, ...]
) -> None:
    headers = [("Host", host)] + ([("Origin", origin)] if origin is not None else [])
    head = handshake.RequestHead("GET", "/api/websocket", "HTTP/1.1", headers)
    handshake.check_origin(head, allowed)


@pytest.mark.parametrize(
    ("origin", "host"),
    [
        ("http://example.com:8080", "example.com"),
        ("http://example.com", "example.com:7999"),
        ("https://evil.example", "example.com"),
        ("http://example.com.evil.example", "example.com"),
        ("null", "example.com"),
        ("file://", "example.com"),
        ("https://example.com", ""),
    ],
)
def test_cross_site_origins_get_403(origin: str, host: str) -> None:
    head = handshake.RequestHead(
        "GET", "/api/websocket", "HTTP/1.1", [("Host", host), ("Origin", origin)]
    )
    with pytest.raises(HandshakeError) as refused:
        handshake.check_origin(head, ("https://app.example.org",))
    assert refused.value.status == 403
    assert str(refused.value) == f"cross-site WebSocket refused: Origin {origin} is not allowed"
