"""Tests for the client side of the opening handshake."""

from __future__ import annotations

import pytest

from liveqa_bench.client_handshake import (
    MAX_HEAD,
    HandshakeError,
    accept_value,
    check_response,
    new_key,
    split_head,
    upgrade_request,
)

RFC_KEY = b"dGhlIHNhbXBsZSBub25jZQ=="
RFC_ACCEPT = b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


def test_accept_value_matches_rfc_6455_example() -> None:
    assert accept_value(RFC_KEY) == RFC_ACCEPT


def test_new_keys_are_16_random_bytes_in_base64() -> None:
    keys = {new_key() for _ in range(10)}
    assert len(keys) == 10
    assert all(len(key) == 24 for key in keys)


def test_upgrade_request() -> None:
    request = upgrade_request("127.0.0.1:7999", "/bench?channel=x", RFC_KEY)
    assert request.startswith(b"GET /bench?channel=x HTTP/1.1\r\nHost: 127.0.0.1:7999\r\n")
    assert b"\r\nSec-WebSocket-Key: " + RFC_KEY + b"\r\n" in request
    assert b"\r\nUpgrade: websocket\r\n" in request
    assert request.endswith(b"\r\n\r\n")


def test_split_head_waits_for_the_blank_line() -> None:
    assert split_head(b"HTTP/1.1 101 OK\r\nA: b\r\n") is None
    assert split_head(b"HTTP/1.1 101 OK\r\n\r\n\x81\x00") == (b"HTTP/1.1 101 OK", b"\x81\x00")
    with pytest.raises(HandshakeError, match="too long"):
        split_head(b"x" * (MAX_HEAD + 1))


def test_check_response_accepts_a_switch() -> None:
    head = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nsec-websocket-accept: "
    check_response(head + RFC_ACCEPT, RFC_ACCEPT)


@pytest.mark.parametrize(
    ("head", "reason"),
    [
        (b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0", "http 502"),
        (b"garbage", "malformed status line"),
        (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket", "no Sec-WebSocket-Accept"),
        (b"HTTP/1.1 101 Switching Protocols\r\nSec-WebSocket-Accept: nope", "wrong"),
    ],
)
def test_check_response_names_the_failure(head: bytes, reason: str) -> None:
    with pytest.raises(HandshakeError) as caught:
        check_response(head, RFC_ACCEPT)
    assert reason in caught.value.reason
