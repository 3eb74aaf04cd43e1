"""The WebSocket-over-HTTP exchange without sockets: events in, request bodies and calls out."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from multidict import CIMultiDict

from liveqa.edge import frames
from liveqa.edge.backlog import MAX_REQUEST_CONTENT
from liveqa.edge.handshake import RequestHead
from liveqa.edge.upstream import OriginResponse
from liveqa.edge.wsoverhttp import (
    BACKLOG_HIGH,
    DISCONNECT,
    Opened,
    Phase,
    WsOverHttp,
    keepalive_interval,
)
from liveqa.grip import events as ev
from liveqa.grip.control import Detach, KeepAlive, Subscribe, Unsubscribe, encode_control

HEAD = RequestHead("GET", "/live?room=a", "HTTP/1.1", [("Host", "edge"), ("Cookie", "a=b")])
GRIP = ("Sec-WebSocket-Extensions", 'grip; message-prefix=""')


class Client:
    """Records what the exchange asks of the client's socket."""

    def __init__(self, accepts: bool = True) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.accepts = accepts
        self.gone = False

    def accept(self, headers: list[tuple[str, str]]) -> bool:
        self.calls.append(("accept", headers))
        return self.accepts

    def refuse(self, status: int, text: str) -> None:
        self.calls.append(("refuse", status))

    def reject(self, response: OriginResponse) -> None:
        self.calls.append(("reject", response.status))

    def send(self, opcode: int, payload: bytes) -> None:
        self.calls.append(("send", opcode, payload))

    def close_by_origin(self, code: int | None, reason: str) -> None:
        self.calls.append(("close_by_origin", code, reason))

    def close_unanswered(self) -> None:
        self.calls.append(("close_unanswered",))

    def origin_failed(self) -> None:
        self.calls.append(("origin_failed",))

    def broken(self) -> None:
        self.calls.append(("broken",))

    def abort(self) -> None:
        self.calls.append(("abort",))

    def backlog_drained(self) -> None:
        self.calls.append(("backlog_drained",))

    def subscribe(self, channel: str) -> bool:
        self.calls.append(("subscribe", channel))
        return True

    def unsubscribe(self, channel: str) -> None:
        self.calls.append(("unsubscribe", channel))

    def set_keepalive(self, frame: bytes | None, timeout: int, interval: bool) -> None:
        self.calls.append(("set_keepalive", frame, timeout, interval))

    def send_delayed(self, frame: bytes | None, timeout: int) -> None:
        self.calls.append(("send_delayed", frame, timeout))

    def flush_delayed(self) -> None:
        self.calls.append(("flush_delayed",))


def answer(
    *events: ev.WebSocketEvent, status: int = 200, headers: tuple[tuple[str, str], ...] = ()
) -> OriginResponse:
    """An origin response carrying `events`."""
    fields = CIMultiDict([("Content-Type", ev.CONTENT_TYPE), *headers])
    return OriginResponse(status, "OK", fields, ev.encode_events(events))


def text(content: bytes) -> ev.WebSocketEvent:
    return ev.WebSocketEvent(ev.TEXT, content)


def opened(*events: ev.WebSocketEvent) -> tuple[WsOverHttp, Client]:
    """An exchange the origin accepted, with the GRIP extension and an empty message prefix."""
    client = Client()
    exchange = WsOverHttp(client, HEAD, "192.0.2.1")
    reply = answer(ev.WebSocketEvent(ev.OPEN), *events, headers=(GRIP,))
    assert exchange.open_answer(reply) == Opened.ACCEPTED
    return exchange, client


# -- opening ------------------------------------------------------------------------------------


def test_an_accepted_open_passes_the_origins_headers_and_first_events_on() -> None:
    exchange, client = opened(text(b"hello"))
    assert exchange.phase == Phase.OPEN
    assert client.calls == [("accept", []), ("send", frames.TEXT, b"hello")]


def test_the_101_gets_application_headers_but_not_the_exchanges_own() -> None:
    client = Client()
    exchange = WsOverHttp(client, HEAD, None)
    headers = (("Sec-WebSocket-Protocol", "chat"), ("Set-Meta-User", "7"), ("Keep-Alive", "x"))
    exchange.open_answer(answer(ev.WebSocketEvent(ev.OPEN), headers=headers))
    assert client.calls == [("accept", [("Sec-WebSocket-Protocol", "chat")])]
    assert ("Meta-User", "7") in exchange.request_headers()


@pytest.mark.parametrize(
    ("response", "call"),
    [
        (answer(ev.WebSocketEvent(ev.OPEN), status=403), ("reject", 403)),
        (OriginResponse(200, "OK", CIMultiDict(), b"OPEN\r\n"), ("reject", 200)),
        (OriginResponse(200, "OK", CIMultiDict({"Content-Type": ev.CONTENT_TYPE}), b"?"), None),
        (answer(), ("refuse", 502)),
        (answer(text(b"first")), ("refuse", 502)),
    ],
    ids=["refused", "not-events", "malformed", "empty-without-keep-alive", "not-open-first"],
)
def test_a_bad_answer_to_open_settles_the_handshake(
    response: OriginResponse, call: tuple[Any, ...] | None
) -> None:
    client = Client()
    exchange = WsOverHttp(client, HEAD, None)
    assert exchange.open_answer(response) == Opened.SETTLED
    assert client.calls == [call or ("refuse", 502)]
    assert exchange.phase == Phase.OPENING


def test_an_empty_answer_with_keep_alive_defers_the_accept() -> None:
    exchange = WsOverHttp(Client(), HEAD, None)
    deferred = answer(headers=(("Keep-Alive-Interval", "5"),))
    assert exchange.open_answer(deferred) == Opened.DEFERRED
    assert exchange.keepalive_interval == 20  # at least 20 seconds
    assert exchange.keepalive_due(100.0) == 120.0


def test_a_client_gone_before_the_accept_gets_only_disconnect() -> None:
    client = Client(accepts=False)
    exchange = WsOverHttp(client, HEAD, None)
    assert exchange.open_answer(answer(ev.WebSocketEvent(ev.OPEN), text(b"x"))) == Opened.SETTLED
    assert exchange.phase == Phase.FINISHED
    assert exchange.next_body() == DISCONNECT
    assert ("send", frames.TEXT, b"x") not in client.calls


# -- requests -----------------------------------------------------------------------------------


def test_events_go_in_batches_one_request_at_a_time() -> None:
    exchange, client = opened()
    one, two = (ev.encode_event(text(m)) for m in (b"one", b"two"))
    assert exchange.client_event(one)
    assert exchange.client_event(two)
    assert exchange.backlog == len(one + two)
    assert exchange.next_body() == one + two
    assert exchange.next_body() is None
    assert exchange.answered(one + two, answer(text(b"ack")))
    assert client.calls[-2:] == [("send", frames.TEXT, b"ack"), ("backlog_drained",)]


# No deadline: an example queues up to a megabyte, and a busy machine must not fail it.
@settings(deadline=None)
@given(st.lists(st.one_of(st.binary(max_size=30_000), st.none()), max_size=40))
def test_every_event_reaches_the_origin_once_in_order_in_whole_events(
    steps: list[bytes | None],
) -> None:
    # A step is a client message, or None: the origin answers the request in flight.
    exchange, _ = opened()
    sent, queued = [], []
    in_flight: bytes | None = None
    for step in steps:
        if step is not None:
            event = ev.encode_event(text(step))
            exchange.client_event(event)
            queued.append(event)
        elif in_flight is not None:
            exchange.answered(in_flight, answer())
            in_flight = None
        if in_flight is None:
            in_flight = exchange.next_body()
            if in_flight is not None:
                sent.append(in_flight)
    while in_flight is not None:
        exchange.answered(in_flight, answer())
        in_flight = exchange.next_body()
        if in_flight is not None:
            sent.append(in_flight)
    assert b"".join(sent) == b"".join(queued)
    assert all(ev.decode_events(body) for body in sent)
    assert exchange.backlog == 0


def test_a_poll_sends_an_empty_body() -> None:
    exchange, _ = opened()
    assert exchange.poll()
    assert exchange.next_body() == b""
    assert exchange.next_body() is None


def test_a_client_past_the_high_water_mark_is_backlogged() -> None:
    exchange, _ = opened()
    event = ev.encode_event(text(b"x" * (MAX_REQUEST_CONTENT - 10)))
    while not exchange.backlogged:
        exchange.client_event(event)
    assert exchange.backlog > BACKLOG_HIGH


def test_meta_is_set_and_cleared_by_the_origin() -> None:
    exchange, _ = opened()
    exchange.answered(b"", answer(headers=(("Set-Meta-Room", "a"),)))
    assert ("Meta-Room", "a") in exchange.request_headers()
    exchange.answered(b"", answer(headers=(("Set-Meta-Room", ""),)))
    assert not any(name.startswith("Meta-") for name, _ in exchange.request_headers())


def test_a_failed_request_closes_the_client_with_1011() -> None:
    exchange, client = opened()
    exchange.client_event(ev.encode_event(text(b"x")))
    body = exchange.next_body()
    assert body is not None
    assert not exchange.answered(body, None)
    assert exchange.phase == Phase.FINISHED
    assert ("origin_failed",) in client.calls
    assert not exchange.client_event(b"late")


def test_an_answer_that_is_not_events_fails_the_exchange() -> None:
    exchange, client = opened()
    exchange.answered(b"", answer(status=500))
    assert exchange.phase == Phase.FINISHED
    assert client.calls[-2:] == [("origin_failed",), ("backlog_drained",)]


# -- closing ------------------------------------------------------------------------------------


def test_the_origin_answers_the_clients_close() -> None:
    exchange, client = opened()
    close = ev.encode_event(ev.close_event(4000, "bye"))
    assert exchange.client_close(close)
    assert exchange.phase == Phase.CLOSING
    assert not exchange.client_close(close)
    assert not exchange.disconnect()  # the close already tells the origin
    body = exchange.next_body()
    assert body == close
    exchange.answered(body, answer(ev.close_event(4000, "bye")))
    assert ("close_by_origin", 4000, "bye") in client.calls


def test_a_close_the_origin_leaves_unanswered_is_answered_by_the_edge() -> None:
    exchange, client = opened()
    close = ev.encode_event(ev.close_event(1000))
    exchange.client_close(close)
    assert exchange.next_body() == close
    assert exchange.answered(close, answer())
    assert exchange.phase == Phase.FINISHED
    assert client.calls[-1] == ("close_unanswered",)


def test_a_client_that_leaves_drops_its_backlog_for_one_disconnect() -> None:
    exchange, _ = opened()
    for _ in range(50):
        exchange.client_event(ev.encode_event(text(b"queued")))
    assert exchange.disconnect()
    assert exchange.next_body() == DISCONNECT
    assert not exchange.answered(DISCONNECT, answer(text(b"ignored")))
    assert not exchange.disconnect()


def test_disconnect_from_the_origin_drops_the_client() -> None:
    exchange, client = opened(ev.WebSocketEvent(ev.DISCONNECT), text(b"after"))
    assert exchange.phase == Phase.FINISHED
    assert client.calls[-1] == ("abort",)


# -- GRIP control messages ----------------------------------------------------------------------


def test_control_messages_reach_the_client_side() -> None:
    keepalive = KeepAlive(content="ka", timeout=30)
    exchange, client = opened(
        text(encode_control(Subscribe(channel="room"))),
        text(encode_control(Unsubscribe(channel="old"))),
        text(encode_control(keepalive)),
        text(b"c:{not json"),
    )
    assert client.calls[1:] == [
        ("subscribe", "room"),
        ("unsubscribe", "old"),
        ("set_keepalive", frames.encode_frame(frames.TEXT, b"ka"), 30, False),
    ]
    assert exchange.phase == Phase.OPEN


def test_a_detach_ends_the_origins_side_with_a_bare_close() -> None:
    exchange, _ = opened(text(encode_control(Detach())))
    assert exchange.phase == Phase.DETACHED
    assert not exchange.client_event(b"dropped")
    assert exchange.next_body() == b"CLOSE\r\n"
    assert exchange.keepalive_due(0.0) is None


def test_a_message_prefix_is_stripped_and_unprefixed_messages_dropped() -> None:
    client = Client()
    exchange = WsOverHttp(client, HEAD, None)
    prefix = ("Sec-WebSocket-Extensions", 'grip; message-prefix="m:"')
    opening = answer(ev.WebSocketEvent(ev.OPEN), text(b"m:yes"), text(b"no"), headers=(prefix,))
    exchange.open_answer(opening)
    assert client.calls[1:] == [("send", frames.TEXT, b"yes")]


@pytest.mark.parametrize(("value", "seconds"), [("5", 20), ("45", 45), ("0", 0), ("x", 0)])
def test_keep_alive_interval(value: str, seconds: int) -> None:
    assert keepalive_interval(value) == seconds
