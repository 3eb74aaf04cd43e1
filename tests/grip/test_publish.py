"""Tests for publish items."""

from __future__ import annotations

import contextlib
import json
from typing import Any

import pytest
from gripcontrol import (
    GripPubControl,
    HttpResponseFormat,
    HttpStreamFormat,
    WebSocketMessageFormat,
    parse_grip_uri,
)
from hypothesis import given
from hypothesis import strategies as st
from pubcontrol import Item, PubControlClient

from liveqa.grip.publish import (
    HttpResponse,
    HttpStream,
    PublishError,
    PublishItem,
    WsMessage,
    parse_publish,
    publish_body,
    ws_close_item,
    ws_item,
)


def body(*items: dict[str, Any]) -> bytes:
    return json.dumps({"items": list(items)}).encode()


def exported(channel: str, item: Any) -> dict[str, Any]:
    """An item exactly as pubcontrol's publish() builds it."""
    out: dict[str, Any] = item.export()
    out["channel"] = channel
    return out


def test_pubcontrol_text_binary_and_close() -> None:
    items = parse_publish(
        body(
            exported("a", Item(WebSocketMessageFormat("héllo"))),
            exported("b", Item(WebSocketMessageFormat(b"\x00\xff", binary=True), id="2")),
            exported("c", Item(WebSocketMessageFormat(action="close", code=4001, reason="bye"))),
            exported("d", Item(WebSocketMessageFormat(action="close"))),
            exported("e", Item(WebSocketMessageFormat(b"bytes-as-text"))),
        )
    )
    assert items == [
        PublishItem("a", ws_message=WsMessage("send", "text", "héllo".encode())),
        PublishItem("b", id="2", ws_message=WsMessage("send", "binary", b"\x00\xff")),
        PublishItem("c", ws_message=WsMessage("close", code=4001, reason="bye")),
        PublishItem("d", ws_message=WsMessage("close")),
        PublishItem("e", ws_message=WsMessage("send", "text", b"bytes-as-text")),
    ]


def test_pubcontrol_ids_meta_and_formats_field() -> None:
    item = Item(WebSocketMessageFormat("x"), id="i2", prev_id="i1", meta={"sender": "u1"})
    wire = item.export(formats_field=True)
    wire["channel"] = "room"
    assert parse_publish(body(wire)) == [
        PublishItem(
            "room",
            id="i2",
            prev_id="i1",
            meta={"sender": "u1"},
            ws_message=WsMessage("send", "text", b"x"),
        )
    ]


def test_pubcontrol_http_formats() -> None:
    item = Item(
        [
            HttpStreamFormat("chunk\n", content_filters=["skip-self"]),
            HttpResponseFormat(code=201, reason="Made", headers={"X-A": "1"}, body=b"\xff"),
        ]
    )
    closing = Item(HttpStreamFormat(close=True))
    parsed = parse_publish(body(exported("s", item), exported("t", closing)))
    assert parsed[0].http_stream == HttpStream("send", b"chunk\n", ["skip-self"])
    assert parsed[0].http_response == HttpResponse(
        "send", 201, "Made", [("X-A", "1")], b"\xff", None, []
    )
    assert parsed[0].ws_message is None
    assert parsed[1].http_stream == HttpStream("close")


def test_what_grip_pub_control_posts(monkeypatch: pytest.MonkeyPatch) -> None:
    posted: list[tuple[str, bytes]] = []

    def capture(self: Any, uri: str, data: bytes, headers: dict[str, str]) -> tuple[int, Any, str]:
        posted.append((uri, data))
        return 200, {}, "Published\n"

    monkeypatch.setattr(PubControlClient, "_make_http_request", capture)
    pub = GripPubControl(parse_grip_uri("http://localhost:5561/?iss=me&key=" + "k" * 32))
    pub.publish("room", Item(WebSocketMessageFormat("hi")), blocking=True)
    pub.publish("room", Item(WebSocketMessageFormat(b"\x01", binary=True)), blocking=True)
    pub.publish_http_stream("feed", "line\n", blocking=True)
    pub.publish_http_response("poll", "done", id="7", blocking=True)
    assert {uri for uri, _ in posted} == {"http://localhost:5561/publish/"}
    parsed = [item for _, data in posted for item in parse_publish(data)]
    assert parsed == [
        ws_item("room", "hi"),
        ws_item("room", b"\x01"),
        PublishItem("feed", http_stream=HttpStream("send", b"line\n")),
        PublishItem("poll", id="7", http_response=HttpResponse(body=b"done")),
    ]


def test_pushpin_shapes() -> None:
    items = parse_publish(
        body(
            {"channel": "p", "formats": {"ws-message": {"type": "ping"}}},
            {"channel": "p", "ws-message": {"content-bin": "AQI=", "type": "pong"}},
            {"channel": "p", "ws-message": {"content": "a", "content-bin": "Yg=="}},
            {"channel": "p", "ws-message": {"action": "hint"}},
            {"channel": "p", "ws-message": {"action": "refresh"}},
            {"channel": "p", "ws-message": {"content": "x", "content-filters": ["skip-self"]}},
            {"channel": "p", "no-seq": True, "size": 3, "ws-message": {"content": ""}},
            {"channel": "p", "ws-message": {"content": "x"}, "unknown": {"ignored": 1}},
        )
    )
    assert [i.ws_message for i in items] == [
        WsMessage("send", "ping", b""),
        WsMessage("send", "pong", b"\x01\x02"),
        WsMessage("send", "binary", b"b"),
        WsMessage("hint"),
        WsMessage("refresh"),
        WsMessage("send", "text", b"x", content_filters=["skip-self"]),
        WsMessage("send", "text", b""),
        WsMessage("send", "text", b"x"),
    ]
    assert items[6].no_seq is True
    assert items[6].size == 3


def test_formats_field_wins_over_top_level() -> None:
    item = {
        "channel": "a",
        "ws-message": {"content": "top"},
        "formats": {"ws-message": {"content": "nested"}},
    }
    assert parse_publish(body(item))[0].ws_message == WsMessage("send", "text", b"nested")


def test_http_response_shapes() -> None:
    items = parse_publish(
        body(
            {"channel": "r", "http-response": {"headers": [["A", "1"], ["A", "2"]], "body": ""}},
            {"channel": "r", "http-response": {"body-bin": "/w=="}},
            {"channel": "r", "http-response": {"body-patch": [{"op": "add", "path": "/a"}]}},
            {"channel": "r", "http-response": {"action": "hint"}},
        )
    )
    assert [i.http_response for i in items] == [
        HttpResponse(headers=[("A", "1"), ("A", "2")]),
        HttpResponse(body=b"\xff"),
        HttpResponse(body_patch=[{"op": "add", "path": "/a"}]),
        HttpResponse("hint"),
    ]


WS = "items[0].ws-message"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "body: not valid JSON"),
        (b"{items: []}", "body: not valid JSON"),
        (b"[]", "body: Expected `object`, got `array`"),
        (b"{}", "body: Object missing required field `items`"),
        (b'{"items": {}}', "items: Expected `array`, got `object`"),
        (b'{"items": [1]}', "items[0]: Expected `object`, got `int`"),
        (body({}), "items[0]: Object missing required field `channel`"),
        (body({"channel": ""}), "items[0].channel: Expected `str` of length >= 1"),
        (body({"channel": 5}), "items[0].channel: Expected `str`, got `int`"),
        (body({"channel": "a"}), "items[0]: no ws-message, http-stream or http-response format"),
        (body({"channel": "a", "formats": {}}), "items[0].formats: no ws-message"),
        (body({"channel": "a", "id": 1, "ws-message": {}}), "items[0].id: Expected `str | null`"),
        (body({"channel": "a", "meta": {"k": 1}}), "items[0].meta[...]: Expected `str`"),
        (body({"channel": "a", "meta": []}), "items[0].meta: Expected `object`"),
        (body({"channel": "a", "no-seq": "yes"}), "items[0].no-seq: Expected `bool`"),
        (body({"channel": "a", "size": -1}), "items[0].size: Expected `int` >= 0"),
        (body({"channel": "a", "ws-message": []}), f"{WS}: Expected `object`, got `array`"),
        (body({"channel": "a", "ws-message": {}}), f"{WS}: has neither 'content' nor"),
        (body({"channel": "a", "ws-message": {"type": "text"}}), f"{WS}: has neither"),
        (body({"channel": "a", "ws-message": {"content": 1}}), f"{WS}.content: Expected `str`"),
        (body({"channel": "a", "ws-message": {"content": None}}), f"{WS}.content: Expected"),
        (body({"channel": "a", "ws-message": {"content-bin": "%%"}}), f"{WS}.content-bin: "),
        (body({"channel": "a", "ws-message": {"type": "close"}}), f"{WS}.type: Invalid enum"),
        (body({"channel": "a", "ws-message": {"action": "kill"}}), f"{WS}.action: Invalid"),
        (
            body({"channel": "a", "ws-message": {"content-bin": "/w==", "type": "text"}}),
            f"{WS}.content-bin: a text message must be valid UTF-8",
        ),
        (
            body({"channel": "a", "ws-message": {"content": "x" * 126, "type": "ping"}}),
            f"{WS}: a ping payload is at most 125 bytes",
        ),
        (
            body({"channel": "a", "ws-message": {"action": "close", "code": "4000"}}),
            f"{WS}.code: Expected `int`, got `str`",
        ),
        (
            body({"channel": "a", "ws-message": {"action": "close", "code": 1006}}),
            f"{WS}.code: 1006 is not a close code an endpoint may send",
        ),
        (
            body({"channel": "a", "ws-message": {"action": "close", "code": 5000}}),
            f"{WS}.code: 5000 is not a close code",
        ),
        (
            body({"channel": "a", "ws-message": {"action": "close", "reason": "why"}}),
            f"{WS}.reason: a close reason needs a close code",
        ),
        (
            body(
                {
                    "channel": "a",
                    "ws-message": {"action": "close", "code": 4000, "reason": "é" * 62},
                }
            ),
            f"{WS}.reason: longer than 123 bytes of UTF-8",
        ),
        (
            body({"channel": "a", "http-stream": {"content-filters": "x"}}),
            "items[0].http-stream.content-filters: Expected `array`, got `str`",
        ),
        (body({"channel": "a", "http-stream": {}}), "items[0].http-stream: has neither"),
        (
            body({"channel": "a", "http-response": {"code": 1000, "body": ""}}),
            "items[0].http-response.code: Expected `int` <= 999",
        ),
        (
            body({"channel": "a", "http-response": {"headers": [["A"]], "body": ""}}),
            "items[0].http-response.headers[0]: Expected `array` of length 2",
        ),
        (
            body({"channel": "a", "http-response": {"headers": {"A": 1}, "body": ""}}),
            "items[0].http-response.headers[...]: Expected `str`, got `int`",
        ),
        (
            body({"channel": "a", "http-response": {"code": 200}}),
            "items[0].http-response: has none of 'body', 'body-bin' or 'body-patch'",
        ),
    ],
)
def test_errors_name_the_path(data: bytes, message: str) -> None:
    with pytest.raises(PublishError) as info:
        parse_publish(data)
    assert str(info.value).startswith(message)
    assert info.value.path == message.split(":", 1)[0]


def test_error_names_the_bad_item_index() -> None:
    data = body(
        {"channel": "a", "ws-message": {"content": "ok"}},
        {"channel": "b", "ws-message": {"content": "ok"}},
        {"channel": "c", "formats": {"ws-message": {"action": "close", "code": 999}}},
    )
    with pytest.raises(PublishError, match=r"^items\[2\]\.formats\.ws-message\.code: 999 "):
        parse_publish(data)


def test_publish_error_is_a_value_error() -> None:
    assert issubclass(PublishError, ValueError)


def test_helpers() -> None:
    assert ws_item("r", "hé", id="1") == PublishItem(
        "r", id="1", ws_message=WsMessage("send", "text", "hé".encode())
    )
    assert ws_item("r", b"\x00").ws_message == WsMessage("send", "binary", b"\x00")
    assert ws_close_item("r", 4001, "bye").ws_message == WsMessage("close", code=4001, reason="bye")


def test_publish_body_shape() -> None:
    data = publish_body([ws_item("room", "hi", id="1"), ws_item("room", b"\xff")])
    assert json.loads(data) == {
        "items": [
            {"channel": "room", "id": "1", "formats": {"ws-message": {"content": "hi"}}},
            {"channel": "room", "formats": {"ws-message": {"content-bin": "/w=="}}},
        ]
    }


texts = st.text(max_size=20)
ws_messages = st.one_of(
    st.builds(
        WsMessage,
        st.just("send"),
        st.sampled_from(["text", "binary"]),
        st.binary(max_size=40),
        content_filters=st.lists(texts, max_size=2),
    ).filter(lambda m: m.kind != "text" or _is_utf8(m.payload)),
    st.builds(
        WsMessage, st.just("send"), st.sampled_from(["ping", "pong"]), st.binary(max_size=125)
    ),
    st.builds(WsMessage, st.sampled_from(["hint", "refresh"])),
    st.builds(
        WsMessage,
        st.just("close"),
        code=st.sampled_from([1000, 1001, 1011, 3000, 4000, 4999]),
        reason=st.text(max_size=30),
    ),
    st.just(WsMessage("close")),
)
streams = st.one_of(
    st.builds(HttpStream, st.just("send"), st.binary(max_size=40), st.lists(texts, max_size=2)),
    st.builds(HttpStream, st.sampled_from(["close", "hint", "refresh"])),
)
responses = st.one_of(
    st.builds(
        HttpResponse,
        st.just("send"),
        st.integers(0, 999),
        texts,
        st.lists(st.tuples(texts, texts), max_size=3),
        st.binary(max_size=40),
        content_filters=st.lists(texts, max_size=2),
    ),
    st.builds(HttpResponse, body_patch=st.lists(st.dictionaries(texts, texts), max_size=2)),
    st.builds(HttpResponse, st.sampled_from(["close", "hint", "refresh"])),
)
publish_items = st.builds(
    PublishItem,
    st.text(min_size=1, max_size=20),
    st.none() | texts,
    st.none() | texts,
    st.dictionaries(texts, texts, max_size=3),
    st.none() | ws_messages,
    st.none() | streams,
    st.none() | responses,
    st.booleans(),
    st.none() | st.integers(0, 10**6),
).filter(lambda i: (i.ws_message, i.http_stream, i.http_response) != (None, None, None))


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


@given(st.lists(publish_items, max_size=4))
def test_round_trip(items: list[PublishItem]) -> None:
    assert parse_publish(publish_body(items)) == items


@given(st.binary(max_size=100))
def test_random_bytes_only_raise_publish_error(data: bytes) -> None:
    with contextlib.suppress(PublishError):
        parse_publish(data)


KEYS = ["channel", "formats", "ws-message", "http-stream", "http-response", "content"]
KEYS += ["content-bin", "type", "action", "code", "reason", "headers", "body", "meta", "id"]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5000) | st.sampled_from(["", "close", "AA=="]),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.sampled_from(KEYS), children, max_size=4)
    ),
    max_leaves=12,
)


@given(st.lists(json_values, max_size=3))
def test_random_items_only_raise_publish_error(items: list[Any]) -> None:
    path = ""
    try:
        parsed = parse_publish(json.dumps({"items": items}).encode())
    except PublishError as exc:
        path = exc.path
    else:
        assert parse_publish(publish_body(parsed)) == parsed
    assert path.startswith(("items", "body")) or not path
