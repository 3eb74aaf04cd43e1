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
