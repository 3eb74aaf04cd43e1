"""Tests for GRIP control messages and the message prefix."""

from __future__ import annotations

import contextlib
from typing import Any

import gripcontrol
import pytest
from hypothesis import given
from hypothesis import strategies as st

from liveqa.grip.control import (
    CONTROL_PREFIX,
    DEFAULT_MESSAGE_PREFIX,
    ControlError,
    ControlMessage,
    Detach,
    FlushDelayed,
    KeepAlive,
    SendDelayed,
    Session,
    SetMeta,
    Subscribe,
    Unsubscribe,
    encode_control,
    parse_control,
    parse_grip_extension,
)


def theirs(type_: str, args: dict[str, Any] | None = None) -> bytes:
    """A control message JSON as pygripcontrol builds it."""
    return str(gripcontrol.websocket_control_message(type_, args)).encode()


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (theirs("subscribe", {"channel": "room"}), Subscribe("room")),
        (
            theirs("subscribe", {"channel": "room", "filters": ["skip-self"]}),
            Subscribe("room", ["skip-self"]),
        ),
        (theirs("unsubscribe", {"channel": "room"}), Unsubscribe("room")),
        (theirs("detach"), Detach()),
        (theirs("session", {"id": "s1"}), Session("s1")),
        (theirs("session"), Session(None)),
        (theirs("set-meta", {"name": "user", "value": "u1"}), SetMeta("user", "u1")),
        (theirs("set-meta", {"name": "user"}), SetMeta("user", None)),
        (theirs("keep-alive", {"content": "{}", "timeout": 20}), KeepAlive("{}", timeout=20)),
        (
            theirs(
                "keep-alive", {"content-bin": "AAE=", "message-type": "ping", "mode": "interval"}
            ),
            KeepAlive(content_bin=b"\x00\x01", message_type="ping", mode="interval"),
        ),
        (theirs("keep-alive"), KeepAlive()),
        (theirs("send-delayed", {"content": "x"}), SendDelayed("x")),
        (theirs("send-delayed", {"content": "x", "timeout": 0}), SendDelayed("x", timeout=0)),
        (theirs("flush-delayed"), FlushDelayed()),
    ],
)
def test_parses_what_gripcontrol_builds(data: bytes, expected: ControlMessage) -> None:
    assert parse_control(data) == expected


def test_gripcontrol_context_sends_control_prefix() -> None:
    ctx = gripcontrol.WebSocketContext("cid", {}, [gripcontrol.WebSocketEvent("OPEN")])
    ctx.subscribe("room")
    ctx.detach()
    contents = [bytes(e.content) for e in ctx.out_events]
    assert all(c.startswith(CONTROL_PREFIX) for c in contents)
    parsed = [parse_control(c[len(CONTROL_PREFIX) :]) for c in contents]
    assert parsed == [Subscribe("room"), Detach()]


def test_defaults() -> None:
    assert KeepAlive().timeout == 55
    assert KeepAlive().mode == "idle"
    assert SendDelayed().timeout == 1
    assert Subscribe("x").filters == []


def test_unknown_keys_are_ignored() -> None:
    data = b'{"type": "subscribe", "channel": "a", "prefix": "zz", "extra": [1, 2]}'
    assert parse_control(data) == Subscribe("a")


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"", "not valid JSON"),
        (b"{", "not valid JSON"),
        (b"[]", "Expected `object`"),
        (b'"subscribe"', "Expected `object`"),
        (b"{}", "missing required field `type`"),
        (b'{"type": "close"}', "Invalid value 'close' for `type` (known: subscribe,"),
        (b'{"type": "auto-respond"}', "Invalid value 'auto-respond'"),
        (b'{"type": 3}', "for `type`"),
        (b'{"type": "subscribe"}', "missing required field `channel`"),
        (b'{"type": "subscribe", "channel": ""}', "$.channel"),
        (b'{"type": "subscribe", "channel": 3}', "Expected `str`, got `int` - at `$.channel`"),
        (b'{"type": "subscribe", "channel": "a", "filters": "x"}', "$.filters"),
        (b'{"type": "subscribe", "channel": "a", "filters": [1]}', "$.filters[0]"),
        (b'{"type": "unsubscribe", "channel": null}', "$.channel"),
        (b'{"type": "set-meta", "name": ""}', "$.name"),
        (b'{"type": "set-meta", "name": "a", "value": 1}', "$.value"),
        (b'{"type": "session", "id": 5}', "$.id"),
        (b'{"type": "keep-alive", "content": 5}', "$.content"),
        (b'{"type": "keep-alive", "content-bin": "***"}', "$.content-bin"),
        (b'{"type": "keep-alive", "message-type": "close"}', "$.message-type"),
        (b'{"type": "keep-alive", "timeout": 0}', "$.timeout"),
        (b'{"type": "keep-alive", "timeout": "5"}', "$.timeout"),
        (b'{"type": "keep-alive", "timeout": 1.5}', "$.timeout"),
        (b'{"type": "keep-alive", "mode": "sometimes"}', "$.mode"),
        (b'{"type": "send-delayed", "timeout": -1}', "$.timeout"),
    ],
)
def test_invalid_messages(data: bytes, fragment: str) -> None:
    with pytest.raises(ControlError) as info:
        parse_control(data)
    assert fragment in str(info.value)


def test_control_error_is_a_value_error() -> None:
    assert issubclass(ControlError, ValueError)


def test_frame() -> None:
    assert KeepAlive().frame() is None
    assert KeepAlive("hi").frame() == ("text", b"hi")
    assert KeepAlive("hé", message_type="ping").frame() == ("ping", "hé".encode())
    assert KeepAlive(content_bin=b"\xff").frame() == ("binary", b"\xff")
    assert KeepAlive(content_bin=b"\xff", message_type="pong").frame() == ("pong", b"\xff")
    assert SendDelayed("a", content_bin=b"b").frame() == ("binary", b"b")
    assert SendDelayed(content_bin=b"").frame() == ("binary", b"")


def test_encode_control_is_compact_and_prefixed() -> None:
    assert encode_control(Subscribe("room")) == b'c:{"type":"subscribe","channel":"room"}'
    assert encode_control(KeepAlive(content_bin=b"\x00", message_type="ping", timeout=30)) == (
        b'c:{"type":"keep-alive","content-bin":"AA==","message-type":"ping","timeout":30}'
    )


control_messages: st.SearchStrategy[ControlMessage] = st.one_of(
    st.builds(Subscribe, st.text(min_size=1), st.lists(st.text(), max_size=3)),
    st.builds(Unsubscribe, st.text(min_size=1)),
    st.just(Detach()),
    st.builds(Session, st.none() | st.text()),
    st.builds(SetMeta, st.text(min_size=1), st.none() | st.text()),
    st.builds(
        KeepAlive,
        st.none() | st.text(),
        st.none() | st.binary(),
        st.none() | st.sampled_from(["text", "binary", "ping", "pong"]),
        st.integers(1, 10**6),
        st.sampled_from(["idle", "interval"]),
    ),
    st.builds(
        SendDelayed,
        st.none() | st.text(),
        st.none() | st.binary(),
        st.none() | st.sampled_from(["text", "binary", "ping", "pong"]),
        st.integers(0, 10**6),
    ),
    st.just(FlushDelayed()),
)


@given(control_messages)
def test_round_trip(message: ControlMessage) -> None:
    data = encode_control(message)
    assert data.startswith(CONTROL_PREFIX)
    assert parse_control(data[len(CONTROL_PREFIX) :]) == message


@given(st.binary(max_size=80))
def test_random_bytes_only_raise_control_error(data: bytes) -> None:
    with contextlib.suppress(ControlError):
        parse_control(data)


@pytest.mark.parametrize(
    ("header", "prefix"),
    [
        (None, None),
        ("", None),
        ("permessage-deflate", None),
        ("gripx", None),
        ("grip", DEFAULT_MESSAGE_PREFIX),
        ("GRIP", DEFAULT_MESSAGE_PREFIX),
        ("grip; foo=bar", DEFAULT_MESSAGE_PREFIX),
        ('grip; message-prefix=""', b""),
        ('grip; message-prefix="x:"', b"x:"),
        ("grip;message-prefix=abc", b"abc"),
        ('permessage-deflate; x="a,grip", grip; message-prefix="a,b;c"', b"a,b;c"),
        ('grip; message-prefix="a\\"b"', b'a"b'),
        ('grip; message-prefix="é"', "é".encode()),
    ],
)
def test_parse_grip_extension(header: str | None, prefix: bytes | None) -> None:
    assert parse_grip_extension(header) == prefix
