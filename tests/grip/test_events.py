"""Tests for the WebSocket-over-HTTP event codec."""

from __future__ import annotations

import contextlib

import gripcontrol
import pytest
from hypothesis import given
from hypothesis import strategies as st

from liveqa.grip.events import (
    BARE_ONLY,
    BINARY,
    CLOSE,
    DISCONNECT,
    EVENT_TYPES,
    OPEN,
    PING,
    PONG,
    TEXT,
    EventsError,
    WebSocketEvent,
    close_event,
    close_payload,
    decode_events,
    encode_event,
    encode_events,
    parse_close_payload,
)

CONTENT_TYPES = sorted(EVENT_TYPES - BARE_ONLY)

events_strategy = st.one_of(
    st.sampled_from(sorted(EVENT_TYPES)).map(WebSocketEvent),
    st.tuples(
        st.sampled_from(CONTENT_TYPES),
        st.binary(max_size=300) | st.sampled_from([b"\r\n", b"TEXT 1\r\n", b"\r"]),
    ).map(lambda pair: WebSocketEvent(*pair)),
)
event_lists = st.lists(events_strategy, max_size=12)


def test_pushpin_trace_examples() -> None:
    assert decode_events(b"TEXT b\r\nhello world\r\n") == [WebSocketEvent(TEXT, b"hello world")]
    assert decode_events(b"OPEN\r\nTEXT 9\r\nm:echo me\r\n") == [
        WebSocketEvent(OPEN),
        WebSocketEvent(TEXT, b"m:echo me"),
    ]
    assert decode_events(b"CLOSE c\r\n\x0f\xa0client-bye\r\n") == [
        WebSocketEvent(CLOSE, b"\x0f\xa0client-bye")
    ]
    assert decode_events(b"DISCONNECT\r\n") == [WebSocketEvent(DISCONNECT)]


def test_empty_body_is_zero_events() -> None:
    assert decode_events(b"") == []
    assert encode_events([]) == b""


def test_bare_and_empty_content_are_distinct() -> None:
    assert encode_event(WebSocketEvent(TEXT, b"")) == b"TEXT 0\r\n\r\n"
    assert encode_event(WebSocketEvent(PING)) == b"PING\r\n"
    assert decode_events(b"TEXT 0\r\n\r\nPING\r\n") == [
        WebSocketEvent(TEXT, b""),
        WebSocketEvent(PING, None),
    ]


def test_encoding_uses_lowercase_hex() -> None:
    body = encode_event(WebSocketEvent(BINARY, bytes(255)))
    assert body == b"BINARY ff\r\n" + bytes(255) + b"\r\n"


def test_content_is_raw_bytes() -> None:
    body = b"BINARY 4\r\n\xff\r\n\x00\r\n"
    assert decode_events(body) == [WebSocketEvent(BINARY, b"\xff\r\n\x00")]


@given(event_lists)
def test_round_trip(events: list[WebSocketEvent]) -> None:
    body = encode_events(events)
    assert decode_events(body) == events
    assert b"".join(encode_event(e) for e in events) == body


@given(event_lists)
def test_every_truncation_is_a_prefix_or_an_error(events: list[WebSocketEvent]) -> None:
    body = encode_events(events)
    boundaries = {0}
    size = 0
    for event in events:
        size += len(encode_event(event))
        boundaries.add(size)
    for cut in range(len(body)):
        if cut in boundaries:
            decoded = decode_events(body[:cut])
            assert decoded == events[: len(decoded)]
        else:
            with pytest.raises(EventsError) as info:
                decode_events(body[:cut])
            assert 0 <= info.value.offset <= cut


@given(st.binary(max_size=64))
def test_random_bytes_only_raise_events_error(body: bytes) -> None:
    with contextlib.suppress(EventsError):
        decode_events(body)


@given(event_lists, st.binary(min_size=1, max_size=16))
def test_garbage_after_valid_events_only_raises_events_error(
    events: list[WebSocketEvent], tail: bytes
) -> None:
    head = encode_events(events)
    offset = len(head)
    try:
        decoded = decode_events(head + tail)
    except EventsError as exc:
        offset = exc.offset
    else:
        assert decoded[: len(events)] == events
    assert offset >= len(head)


@pytest.mark.parametrize(
    ("body", "offset", "fragment"),
    [
        (b"OPEN", 0, "no CRLF"),
        (b"OPEN\r\nTEXT 2\r\nhi", 16, "not followed by CRLF"),
        (b"OPEN\r\nFOO\r\n", 6, "unknown event type b'FOO'"),
        (b"OPEN\r\nopen\r\n", 6, "unknown event type"),
        (b"OPEN\r\nFOO 1\r\nx\r\n", 6, "unknown event type b'FOO'"),
        (b"TEXT B\r\nhello world\r\n", 5, "lowercase hex"),
        (b"TEXT 0xb\r\nhello world\r\n", 5, "lowercase hex"),
        (b"TEXT \r\n\r\n", 5, "lowercase hex"),
        (b"TEXT -1\r\n\r\n", 5, "lowercase hex"),
        (b"TEXT 1_0\r\n", 5, "lowercase hex"),
        (b"TEXT  1\r\nx\r\n", 5, "lowercase hex"),
        (b"TEXT 1 \r\nx\r\n", 5, "lowercase hex"),
        (b"TEXT 100000000\r\n", 5, "lowercase hex"),
        (b"TEXT\n", 0, "no CRLF"),
        (b"TEXT 5\r\nabc", 8, "declares 5 bytes of content but only 3 remain"),
        (b"TEXT 3\r\nabcde\r\n", 11, "not followed by CRLF"),
        (b"TEXT 3\r\nabc\n\r", 11, "not followed by CRLF"),
        (b"PING\r\nOPEN 0\r\n\r\n", 6, "OPEN event must not carry content"),
        (b"DISCONNECT 1\r\nx\r\n", 0, "DISCONNECT event must not carry content"),
    ],
)
def test_malformed_bodies_name_the_offset(body: bytes, offset: int, fragment: str) -> None:
    with pytest.raises(EventsError) as info:
        decode_events(body)
    assert info.value.offset == offset
    assert fragment in str(info.value)
    assert f"at byte {offset}" in str(info.value)


def test_events_error_is_a_value_error() -> None:
    assert issubclass(EventsError, ValueError)


def test_encode_rejects_what_decode_would_reject() -> None:
    with pytest.raises(ValueError, match="unknown event type"):
        encode_event(WebSocketEvent("FOO"))
    with pytest.raises(ValueError, match="must not carry content"):
        encode_event(WebSocketEvent(OPEN, b""))


@given(event_lists)
def test_gripcontrol_decodes_our_encoding(events: list[WebSocketEvent]) -> None:
    theirs = gripcontrol.decode_websocket_events(encode_events(events))
    assert [(e.type, e.content) for e in theirs] == [(e.type, e.content) for e in events]


@given(event_lists)
def test_we_decode_gripcontrol_encoding(events: list[WebSocketEvent]) -> None:
    body = gripcontrol.encode_websocket_events(
        [gripcontrol.WebSocketEvent(e.type, e.content) for e in events]
    )
    assert decode_events(body) == events


def test_we_decode_what_a_gripcontrol_origin_answers() -> None:
    ctx = gripcontrol.WebSocketContext("cid", {}, [gripcontrol.WebSocketEvent("OPEN")])
    ctx.accept()
    ctx.subscribe("room")
    ctx.send("hello")
    ctx.send_binary(b"\x00\x01")
    body = gripcontrol.encode_websocket_events(
        [gripcontrol.WebSocketEvent("OPEN"), *ctx.out_events]
    )
    assert decode_events(body) == [
        WebSocketEvent(OPEN),
        WebSocketEvent(TEXT, b'c:{"channel": "room", "type": "subscribe"}'),
        WebSocketEvent(TEXT, b"m:hello"),
        WebSocketEvent(BINARY, b"m:\x00\x01"),
    ]


def test_close_payload() -> None:
    assert close_payload(None) == b""
    assert close_payload(4000, "client-bye") == b"\x0f\xa0client-bye"
    assert close_payload(1000, "é") == b"\x03\xe8\xc3\xa9"
    with pytest.raises(ValueError, match="16 bits"):
        close_payload(70000)
    with pytest.raises(ValueError, match="needs a close code"):
        close_payload(None, "why")


def test_close_event_is_bare_without_a_code() -> None:
    assert close_event(None) == WebSocketEvent(CLOSE)
    assert close_event(4001, "bye") == WebSocketEvent(CLOSE, b"\x0f\xa1bye")


@given(st.integers(0, 0xFFFF), st.text(max_size=40))
def test_close_payload_round_trip(code: int, reason: str) -> None:
    assert parse_close_payload(close_payload(code, reason)) == (code, reason)


def test_parse_close_payload_errors() -> None:
    assert parse_close_payload(None) == (None, "")
    assert parse_close_payload(b"") == (None, "")
    assert parse_close_payload(b"\x03\xe8") == (1000, "")
    with pytest.raises(EventsError, match="1 byte") as info:
        parse_close_payload(b"\x03")
    assert info.value.offset == 1
    with pytest.raises(EventsError, match="UTF-8") as info:
        parse_close_payload(b"\x03\xe8ok\xff")
    assert info.value.offset == 4


def test_pong_is_a_content_event() -> None:
    assert decode_events(encode_events([WebSocketEvent(PONG, b"x")])) == [
        WebSocketEvent(PONG, b"x")
    ]
