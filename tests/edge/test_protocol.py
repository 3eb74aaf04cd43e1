"""The client socket's state machine without sockets: bytes and calls in, bytes and states out."""

from __future__ import annotations

import os
import struct
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from liveqa.edge import frames
from liveqa.edge.handshake import MAX_HEAD_SIZE, CrossSiteError, HandshakeError, RequestHead
from liveqa.edge.protocol import (
    CLOSE_TIMEOUT,
    MAX_EARLY_DATA,
    ClientProtocol,
    HandOver,
    Refuse,
    State,
    keepalive_wait,
)
from liveqa.grip import events as ev
from liveqa.websocket import CloseCode

KEY = "dGhlIHNhbXBsZSBub25jZQ=="
UPGRADE = (
    b"GET /live HTTP/1.1\r\nHost: edge.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Key: " + KEY.encode() + b"\r\nSec-WebSocket-Version: 13\r\n\r\n"
)
PATHS = ("/live",)


def client_frame(opcode: int, payload: bytes, final: bool = True) -> bytes:
    """A masked client frame."""
    mask = os.urandom(4)
    masked = bytes(byte ^ mask[index % 4] for index, byte in enumerate(payload))
    first = (0x80 if final else 0) | opcode
    if len(payload) < 126:
        return bytes((first, 0x80 | len(payload))) + mask + masked
    return struct.pack("!BBH", first, 0x80 | 126, len(payload)) + mask + masked


def state(protocol: ClientProtocol) -> State:
    """Read afresh, so a type checker does not carry an earlier assertion over a transition."""
    return protocol.state


def status(response: bytes) -> int:
    return int(response.split(b" ", 2)[1])


def head_of(protocol: ClientProtocol, data: bytes = UPGRADE) -> RequestHead:
    outcome = protocol.receive_head(data)
    assert isinstance(outcome, RequestHead)
    return outcome


def opened(early: bytes = b"") -> ClientProtocol:
    """A protocol whose handshake the origin accepted."""
    protocol = ClientProtocol()
    protocol.upgrade(head_of(protocol, UPGRADE + early), PATHS, ())
    assert protocol.switch_protocols([], 1 << 20) is not None
    return protocol


def messages_left(protocol: ClientProtocol) -> frames.FrameParser | None:
    """The parser, None once the protocol parses no more."""
    return protocol.parser


def messages(protocol: ClientProtocol) -> list[tuple[int, bytes]]:
    assert protocol.parser is not None
    found = []
    while (message := protocol.parser.next_message()) is not None:
        found.append(message)
    return found


# -- the opening handshake ----------------------------------------------------------------------


def test_a_head_in_pieces_is_waited_for_then_upgraded_and_switched() -> None:
    protocol = ClientProtocol()
    assert state(protocol) == State.HEAD
    assert protocol.timeout(3.0) == 3.0
    assert protocol.receive_head(UPGRADE[:30]) is None
    head = head_of(protocol, UPGRADE[30:])
    assert (head.method, head.target) == ("GET", "/live")
    protocol.upgrade(head, PATHS, ())
    assert state(protocol) == State.OPENING
    assert protocol.timeout() is None
    response = protocol.switch_protocols([("Sec-WebSocket-Protocol", "chat")], 1 << 20)
    assert response is not None
    assert response.startswith(b"HTTP/1.1 101 Switching Protocols\r\n")
    assert b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n" in response
    assert b"Sec-WebSocket-Protocol: chat\r\n" in response
    assert state(protocol) == State.OPEN
    assert protocol.switch_protocols([], 1 << 20) is None  # only once


def test_a_plain_request_is_handed_over_with_every_byte_read() -> None:
    data = b"GET /page HTTP/1.1\r\nHost: a\r\n\r\nGET /next HTTP/1.1\r\n"
    protocol = ClientProtocol()
    outcome = protocol.receive_head(data)
    assert isinstance(outcome, HandOver)
    assert outcome.data == data
    assert outcome.head.target == "/page"
    assert state(protocol) == State.CLOSED


@pytest.mark.parametrize(
    "data",
    [
        b"GET  /live HTTP/1.1\r\nUpgrade: websocket\r\n\r\n",
        b"GET /live HTTP/1.1\r\nUpgrade : websocket\r\n\r\n",
        b"GET /live HTTP/1.1\r\nX: a\x00b\r\n\r\n",
        b"GET /page HTTP/2.0\r\nHost: a\r\n\r\n",
    ],
)
def test_a_head_this_parser_refuses_is_answered_400_here(data: bytes) -> None:
    protocol = ClientProtocol()
    outcome = protocol.receive_head(data)
    assert isinstance(outcome, Refuse)
    assert status(outcome.response) == 400
    assert b"Connection: close\r\n" in outcome.response
    assert state(protocol) == State.CLOSED


@pytest.mark.parametrize("end", [b"", b"\r\n\r\n"])
def test_a_head_over_the_limit_is_refused_with_431_finished_or_not(end: bytes) -> None:
    protocol = ClientProtocol()
    outcome = protocol.receive_head(b"GET / HTTP/1.1\r\nX: " + b"a" * MAX_HEAD_SIZE + end)
    assert isinstance(outcome, Refuse)
    assert status(outcome.response) == 431
    assert state(protocol) == State.CLOSED


@settings(deadline=None)
@given(st.binary(max_size=300), st.integers(1, 50))
def test_any_bytes_in_any_pieces_end_in_one_outcome_or_wait(data: bytes, piece: int) -> None:
    protocol = ClientProtocol()
    outcomes = []
    for start in range(0, len(data), piece):
        outcome = protocol.receive_head(data[start : start + piece])
        if outcome is not None:
            outcomes.append(outcome)
            break
    if not outcomes:
        assert state(protocol) == State.HEAD
        assert b"\r\n\r\n" not in data
    elif isinstance(outcomes[0], Refuse):
        assert status(outcomes[0].response) in (400, 431)
        assert state(protocol) == State.CLOSED


@pytest.mark.parametrize(
    ("replace", "with_", "code"),
    [
        (b"GET /live ", b"GET http://elsewhere/live ", 400),
        (b"GET /live ", b"GET /other ", 404),
        (b"GET /live ", b"POST /live ", 405),
        (b"Version: 13", b"Version: 8", 426),
        (KEY.encode(), b"c2hvcnQ=", 400),
    ],
)
def test_a_bad_handshake_raises_with_its_status(replace: bytes, with_: bytes, code: int) -> None:
    protocol = ClientProtocol()
    head = head_of(protocol, UPGRADE.replace(replace, with_))
    with pytest.raises(HandshakeError) as refused:
        protocol.upgrade(head, PATHS, ())
    assert refused.value.status == code
    assert state(protocol) == State.HEAD
    assert status(protocol.refuse_handshake(b"HTTP/1.1 400 Bad Request\r\n\r\n")) == 400
    assert state(protocol) == State.CLOSED


def test_a_cross_site_handshake_is_told_apart() -> None:
    protocol = ClientProtocol()
    head = head_of(protocol, UPGRADE.replace(b"Host:", b"Origin: https://evil.example\r\nHost:"))
    with pytest.raises(CrossSiteError):
        protocol.upgrade(head, PATHS, ())
    protocol.upgrade(head, PATHS, ("https://evil.example",))
    assert state(protocol) == State.OPENING


def test_bytes_sent_before_the_101_reach_the_parser_and_are_bounded() -> None:
    protocol = ClientProtocol()
    head = head_of(protocol, UPGRADE + client_frame(frames.TEXT, b"early"))
    protocol.upgrade(head, PATHS, ())
    protocol.receive_early(client_frame(frames.TEXT, b"later"))
    assert not protocol.early_data_over_limit
    assert protocol.switch_protocols([], 1 << 20) is not None
    assert messages(protocol) == [(frames.TEXT, b"early"), (frames.TEXT, b"later")]
    held = ClientProtocol()
    held.upgrade(head_of(held), PATHS, ())
    held.receive_early(b"x" * MAX_EARLY_DATA)
    assert not held.early_data_over_limit
    held.receive_early(b"x")
    assert held.early_data_over_limit


# -- the close handshake -------------------------------------------------------------------------


def test_a_client_close_the_origin_answers() -> None:
    protocol = opened()
    payload = struct.pack("!H", 4000) + b"bye"
    assert protocol.receive_close(payload) == ev.encode_event(ev.WebSocketEvent(ev.CLOSE, payload))
    assert state(protocol) == State.CLIENT_CLOSING
    assert protocol.origin_close(4000, "bye") == frames.encode_close(4000, "bye")
    assert protocol.close_after_send
    assert protocol.unanswered_close() is None  # already answered


def test_a_client_close_nobody_answers_is_echoed_or_ended_bare() -> None:
    protocol = opened()
    payload = struct.pack("!H", 4001) + b"x"
    protocol.receive_close(payload)
    assert protocol.answer_client_close(payload) == frames.encode_close(4001, "x")
    protocol = opened()
    protocol.receive_close(struct.pack("!H", 4001))
    assert protocol.unanswered_close() == frames.encode_close(None)
    assert protocol.close_after_send


def test_the_edge_closes_and_the_client_answers() -> None:
    protocol = opened()
    assert protocol.close_frame(CloseCode.GOING_AWAY, "bye") == frames.encode_close(1001, "bye")
    assert state(protocol) == State.CLOSING
    assert protocol.timeout() == CLOSE_TIMEOUT
    assert protocol.close_frame(CloseCode.GOING_AWAY, "again") is None
    reply = struct.pack("!H", 1001)
    assert protocol.receive_close(reply) == ev.encode_event(ev.WebSocketEvent(ev.CLOSE, reply))
    assert protocol.close_after_send
    assert protocol.lost() == State.CLOSING
    assert state(protocol) == State.CLOSED


def test_a_publisher_close_sends_its_code_and_the_reply_reaches_the_origin_bare() -> None:
    protocol = opened()
    assert protocol.publisher_close(4002, "done") == frames.encode_close(4002, "done")
    assert state(protocol) == State.CLOSING
    assert protocol.publisher_close(4002, "done") is None
    assert protocol.receive_close(struct.pack("!H", 4002)) == b"CLOSE\r\n"


def test_an_origin_failure_closes_with_1011_unless_already_closing() -> None:
    protocol = opened()
    assert protocol.origin_failure() == frames.encode_close(
        CloseCode.INTERNAL_ERROR, "origin error"
    )
    assert protocol.origin_failure() is None
    assert protocol.origin_close(1000, "") is None


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (client_frame(frames.TEXT, b"\xff"), CloseCode.INVALID_DATA),
        (client_frame(frames.PING, b"p", final=False), CloseCode.PROTOCOL_ERROR),
        (client_frame(frames.TEXT, b"x" * 200), CloseCode.MESSAGE_TOO_BIG),
        (bytes((0x81, 0x01)) + b"x", CloseCode.PROTOCOL_ERROR),
    ],
    ids=["bad-utf8", "unfinished-ping", "too-big", "unmasked"],
)
def test_bad_frames_fail_the_connection_with_the_right_code(data: bytes, code: CloseCode) -> None:
    protocol = ClientProtocol()
    protocol.upgrade(head_of(protocol), PATHS, ())
    protocol.switch_protocols([], 100)
    assert protocol.parser is not None
    protocol.parser.receive(data)
    with pytest.raises(frames.ProtocolError) as failed:
        protocol.parser.next_message()
    assert failed.value.code == code
    frame = protocol.fail(failed.value)
    assert frame is not None
    assert frame[2:4] == struct.pack("!H", code)
    assert state(protocol) == State.CLOSING
    assert protocol.eof_after_send
    assert messages_left(protocol) is None


@pytest.mark.parametrize("payload", [b"\x03", struct.pack("!H", 1005), b"\x03\xe8\xff"])
def test_a_malformed_client_close_is_a_protocol_error(payload: bytes) -> None:
    protocol = opened()
    with pytest.raises(frames.ProtocolError):
        protocol.receive_close(payload)
    assert state(protocol) == State.OPEN


def test_nothing_closes_twice_or_before_it_opened() -> None:
    protocol = ClientProtocol()
    assert protocol.close_frame(CloseCode.GOING_AWAY, "") is None
    assert protocol.publisher_close(1000, "") is None
    assert protocol.origin_close(1000, "") is None
    assert protocol.receive_close(b"") is None
    assert state(protocol) == State.HEAD


def client_close(protocol: ClientProtocol) -> None:
    """The client's close: it yields an event for the origin, never a frame for the client."""
    protocol.receive_close(struct.pack("!H", 4000))


CALLS: dict[str, Callable[[ClientProtocol], bytes | None]] = {
    "client close": client_close,
    "edge close": lambda p: p.close_frame(CloseCode.GOING_AWAY, ""),
    "publisher close": lambda p: p.publisher_close(4001, ""),
    "origin close": lambda p: p.origin_close(4002, ""),
    "unanswered": lambda p: p.unanswered_close(),
    "origin failure": lambda p: p.origin_failure(),
}


@settings(deadline=None)
@given(st.lists(st.sampled_from(sorted(CALLS)), max_size=12))
def test_the_edge_sends_at_most_one_close_frame_whatever_happens(calls: list[str]) -> None:
    protocol = opened()
    sent = [frame for name in calls if (frame := CALLS[name](protocol)) is not None]
    assert len(sent) <= 1
    if sent:
        assert protocol.state in (State.CLOSING, State.CLIENT_CLOSING)
        assert protocol.state == State.CLOSING or protocol.close_after_send


def test_an_origin_close_crossing_the_clients_is_answered_once() -> None:
    protocol = opened()
    protocol.receive_close(struct.pack("!H", 4000))
    assert protocol.origin_close(4002, "") is not None
    assert protocol.origin_close(4000, "") is None


def test_a_shutdown_after_the_client_close_was_answered_sends_nothing_more() -> None:
    protocol = opened()
    protocol.receive_close(struct.pack("!H", 4000))
    assert protocol.origin_close(4000, "") is not None
    assert protocol.close_frame(CloseCode.GOING_AWAY, "server shutting down") is None


# -- GRIP keep-alive ----------------------------------------------------------------------------


def test_an_idle_keepalive_waits_out_what_was_sent_meanwhile() -> None:
    assert keepalive_wait(30.0, 30, interval=False) == (True, 30)
    assert keepalive_wait(12.0, 30, interval=False) == (False, 18.0)
    assert keepalive_wait(0.0, 30, interval=True) == (True, 30)
