"""`POST /api/websocket`: WebSocket-over-HTTP exactly as Pushpin expects it, and refusals."""

from __future__ import annotations

import json
import struct

import pytest

from liveqa.grip.events import (
    BINARY,
    CLOSE,
    CONTENT_TYPE,
    DISCONNECT,
    OPEN,
    PING,
    PONG,
    TEXT,
    WebSocketEvent,
    close_event,
)

from .conftest import Browser, Origin, Socket, mint_sig


async def test_unsigned_or_forged_requests_are_refused(origin: Origin) -> None:
    _, guest = await origin.host_and_guest()
    for sig in (
        "",
        "garbage",
        mint_sig(key="a-wrong-grip-sig-key-0123456789abcdef"),
        mint_sig(expires_in=-60),
    ):
        socket = Socket(guest, "town-hall", sig=sig)
        status, events = await socket.post([WebSocketEvent(OPEN)])
        assert (status, events) == (401, [])
    forged = Socket(guest, "town-hall", sig="x")
    forged.meta = {"Participant": "someone", "Room": "town-hall"}
    status, _ = await forged.post([WebSocketEvent(TEXT, b'{"type":"QUESTION_DELETE"}')])
    assert status == 401
    assert origin.recorder.items() == []


@pytest.mark.parametrize(
    ("content_type", "connection_id", "body", "code"),
    [
        ("application/json", "c1", b"OPEN\r\n", "not_websocket_over_http"),
        (CONTENT_TYPE, None, b"OPEN\r\n", "missing_connection_id"),
        (CONTENT_TYPE, "c1", b"OPEN\r\nTEXT zz\r\n", "invalid_events"),
    ],
)
async def test_requests_that_are_not_websocket_over_http_get_400(
    origin: Origin, content_type: str, connection_id: str | None, body: bytes, code: str
) -> None:
    _, guest = await origin.host_and_guest()
    headers = {"Grip-Sig": mint_sig(), "Content-Type": content_type}
    if connection_id is not None:
        headers["Connection-Id"] = connection_id
    async with guest.session.post(
        guest.url("/api/websocket?roomId=town-hall"), data=body, headers=headers
    ) as response:
        assert response.status == 400
        assert (await response.json())["error"]["code"] == code


async def test_open_accepts_subscribes_and_keeps_identity_in_meta(origin: Origin) -> None:
    host, guest = await origin.host_and_guest()
    guest_socket = Socket(guest, "town-hall")
    events = await guest_socket.open()
    assert events[0] == WebSocketEvent(OPEN)
    assert guest_socket.headers["Content-Type"] == "application/websocket-events"
    assert guest_socket.headers["Sec-WebSocket-Extensions"] == "grip"
    assert guest_socket.headers["Keep-Alive-Interval"] == "60"
    guest_id = guest_socket.meta["Participant"]
    assert set(guest_socket.meta) == {"Participant", "Room", "Seen", "Auth"}
    assert guest_socket.meta["Room"] == "town-hall"
    assert [c["type"] for c in guest_socket.controls] == ["subscribe", "subscribe", "keep-alive"]
    assert [c.get("channel") for c in guest_socket.controls[:2]] == [
        "room-town-hall",
        f"participant-{guest_id}",
    ]
    assert guest_socket.controls[2] == {"type": "keep-alive", "content": "{}", "timeout": 25}
    for event in events[1:]:
        assert event.type == TEXT
        assert event.content is not None
        assert event.content.startswith(b"c:")
    host_socket = Socket(host, "town-hall")
    await host_socket.open()
    channels = [c.get("channel") for c in host_socket.controls if c["type"] == "subscribe"]
    assert "hosts-town-hall" in channels


@pytest.mark.parametrize(
    "tamper",
    ["other connection", "other participant", "other room", "no binding"],
)
async def test_an_identity_is_only_good_on_the_connection_it_was_given_to(
    origin: Origin, tamper: str
) -> None:
    host, guest = await origin.host_and_guest()
    host_socket = Socket(host, "town-hall")
    await host_socket.open()
    guest_socket = Socket(guest, "town-hall")
    await guest_socket.open()
    # What a proxy that handed the host's OPEN answer to the guest's socket would send next.
    stolen = Socket(guest, "town-hall")
    stolen.meta = dict(host_socket.meta)
    if tamper == "other participant":
        stolen.connection_id = host_socket.connection_id
        stolen.meta["Participant"] = guest_socket.meta["Participant"]
    elif tamper == "other room":
        stolen.connection_id = host_socket.connection_id
        stolen.meta["Room"] = "elsewhere"
    elif tamper == "no binding":
        stolen.connection_id = host_socket.connection_id
        del stolen.meta["Auth"]
    before = len(origin.recorder.items())
    status, _ = await stolen.post(
        [WebSocketEvent(TEXT, b'{"type":"ROOMINFO_UPDATE","ref":"r","displayName":"Owned"}')]
    )
    assert status == 200
    assert stolen.closed == (4401, "session not bound to this connection")
    assert stolen.received == []
    assert origin.recorder.items()[before:] == []
    # The host's own connection keeps its identity.
    replies = await host_socket.send({"type": "ROOMINFO_UPDATE", "ref": "h", "displayName": "Hers"})
    assert [reply["type"] for reply in replies] == ["ACK"]


async def test_open_without_session_or_room_is_closed_with_a_reason(origin: Origin) -> None:
    _, guest = await origin.host_and_guest()
    stranger = origin.browser()
    nobody = Socket(stranger, "town-hall")
    events = await nobody.open()
    assert events[0].type == OPEN
    assert nobody.received[0]["type"] == "ERROR"
    assert nobody.received[0]["code"] == "unauthenticated"
    assert nobody.closed == (4401, "unauthenticated")
    assert "Sec-WebSocket-Extensions" not in nobody.headers
    assert nobody.meta == {}
    lost = Socket(guest, "no-such-room")
    await lost.open()
    assert lost.closed == (4404, "not_found")
    assert lost.controls == []


async def test_messages_act_as_the_connection_in_its_room(origin: Origin) -> None:
    host, guest = await origin.host_and_guest()
    await _room_b(origin, guest)
    socket = Socket(guest, "town-hall")
    await socket.open()
    replies = await socket.send(
        {
            "type": "QUESTION_POST_TO_ROOM",
            "ref": "r1",
            "questionText": "<b>bold?</b> & <script>alert(1)</script>",
            "nonce": "n1",
            "roomId": "room-b",
            "userId": "someone-else",
        }
    )
    assert replies[0]["type"] == "ACK"
    assert replies[0]["ref"] == "r1"
    question_id = replies[0]["questionId"]
    [event] = origin.recorder.messages("room-town-hall")
    assert origin.recorder.messages("room-room-b") == []
    assert event["type"] == "QUESTION_UPDATE_INFO_PASSIVE"
    assert event["seq"] == 1
    assert event["question"]["questionId"] == question_id
    assert event["question"]["questionText"] == "<b>bold?</b> & <script>alert(1)</script>"
    assert event["question"]["author"]["participantId"] == socket.meta["Participant"]
    assert host


async def test_room_events_name_their_predecessor_for_the_proxy_sequencer(origin: Origin) -> None:
    _, guest = await origin.host_and_guest()
    socket = Socket(guest, "town-hall")
    await socket.open()
    for nonce in ("n1", "n2"):
        message = {"type": "QUESTION_POST_TO_ROOM", "questionText": nonce, "nonce": nonce}
        [ack] = await socket.send(message)
    unvote = {"type": "QUESTION_UPVOTE", "questionId": ack["questionId"], "removeUpvote": True}
    await socket.send(unvote)
    room_items = [i for i in origin.recorder.items() if i["channel"] == "room-town-hall"]
    assert [(i["id"], i["prev-id"]) for i in room_items] == [("1", "0"), ("2", "1"), ("3", "2")]
    others = [i for i in origin.recorder.items() if i["channel"] != "room-town-hall"]
    assert others, "the voter's own channel gets the vote echo"
    assert all(i["id"] and i["no-seq"] and "prev-id" not in i for i in others)
    assert len({i["id"] for i in origin.recorder.items()}) == len(origin.recorder.items())


async def _room_b(origin: Origin, owner: Browser) -> None:
    status, _ = await owner.request("POST", "/api/rooms", {"roomId": "room-b"})
    assert status == 201


async def test_bad_messages_get_errors_and_never_break_the_batch(origin: Origin) -> None:
    _, guest = await origin.host_and_guest()
    socket = Socket(guest, "town-hall")
    await socket.open()
    status, _ = await socket.post(
        [
            WebSocketEvent(TEXT, b"{not json"),
            WebSocketEvent(TEXT, b'{"type":"NOPE","ref":"r2"}'),
            WebSocketEvent(TEXT, b'{"type":"QUESTION_DELETE","ref":"r3","questionId":"x"}'),
            WebSocketEvent(TEXT, b'{"type":"QUESTION_POST_TO_ROOM","ref":"r4","nonce":"a"}'),
            WebSocketEvent(BINARY, b"\x00\x01"),
            WebSocketEvent(TEXT, b"x" * 20_000),
            WebSocketEvent(
                TEXT,
                json.dumps(
                    {"type": "QUESTION_POST_TO_ROOM", "ref": 5, "questionText": "ok", "nonce": "b"}
                ).encode(),
            ),
        ]
    )
    assert status == 200
    got = [(m["type"], m.get("ref"), m.get("code")) for m in socket.received]
    assert got == [
        ("ERROR", None, "invalid_message"),
        ("ERROR", "r2", "invalid_message"),
        ("ERROR", "r3", "not_host"),
        ("ERROR", "r4", "invalid_message"),
        ("ERROR", None, "unsupported"),
        ("ERROR", None, "message_too_large"),
        ("ACK", 5, None),
    ]
    assert all(m["message"] for m in socket.received if m["type"] == "ERROR")
    assert len(origin.recorder.messages("room-town-hall")) == 1


async def test_ping_close_and_disconnect(origin: Origin) -> None:
    _, guest = await origin.host_and_guest()
    socket = Socket(guest, "town-hall")
    await socket.open()
    _, events = await socket.post([WebSocketEvent(PING, b"hi")])
    assert events == [WebSocketEvent(PONG, b"hi")]
    _, events = await socket.post(
        [close_event(4000, "bye"), WebSocketEvent(TEXT, b'{"type":"QUESTION_DELETE"}')]
    )
    assert events == [WebSocketEvent(CLOSE, struct.pack(">H", 4000))]
    _, events = await socket.post([WebSocketEvent(CLOSE, None)])
    assert events == [close_event(1000)]
    _, events = await socket.post([WebSocketEvent(DISCONNECT)])
    assert events == []
    _, events = await socket.post([])
    assert events == []


async def test_text_without_an_identity_closes_the_socket(origin: Origin) -> None:
    _, guest = await origin.host_and_guest()
    socket = Socket(guest, "town-hall")
    _, events = await socket.post([WebSocketEvent(TEXT, b'{"type":"USERINFO_UPDATE"}')])
    assert socket.closed == (4401, "no session on this socket")
    assert events[-1].type == CLOSE


async def test_two_clients_see_every_change_in_order(origin: Origin) -> None:
    host, guest = await origin.host_and_guest()
    host_socket, guest_socket = Socket(host, "town-hall"), Socket(guest, "town-hall")
    await host_socket.open()
    await guest_socket.open()
    [ack] = await guest_socket.send(
        {"type": "QUESTION_POST_TO_ROOM", "questionText": "First?", "nonce": "q1"}
    )
    question_id = ack["questionId"]
    await guest_socket.send({"type": "QUESTION_UPVOTE", "questionId": question_id})
    await host_socket.send({"type": "QUESTION_UPVOTE", "questionId": question_id})
    await guest_socket.send({"type": "USERINFO_UPDATE", "displayName": "Gustav"})
    await host_socket.send(
        {"type": "QUESTION_POST_ANSWER", "questionId": question_id, "answerText": "Yes"}
    )
    await host_socket.send({"type": "ROOMINFO_UPDATE", "themeColor": "#af2c37"})
    await host_socket.send({"type": "QUESTION_DELETE", "questionId": question_id})
    events = origin.recorder.messages("room-town-hall")
    assert [e["type"] for e in events] == [
        "QUESTION_UPDATE_INFO_PASSIVE",
        "QUESTION_UPVOTE_PASSIVE",
        "USERINFO_UPDATE_PASSIVE",
        "QUESTION_UPDATE_INFO_PASSIVE",
        "ROOMINFO_UPDATE_PASSIVE",
        "QUESTION_DELETE_PASSIVE",
    ]
    assert [e["seq"] for e in events] == [1, 2, 3, 4, 5, 6]
    assert events[1]["upvotes"] == 2
    assert events[2]["participant"]["displayName"] == "Gustav"
    assert events[3]["question"]["answerText"] == "Yes"
    status, snapshot = await guest.request("GET", "/api/rooms/town-hall")
    assert (status, snapshot["seq"], snapshot["questions"]) == (200, 6, [])


async def test_becoming_host_tells_open_sockets_to_reconnect_into_the_hosts_channel(
    origin: Origin,
) -> None:
    host, guest = await origin.host_and_guest()
    socket = Socket(guest, "town-hall")
    await socket.open()
    guest_id = socket.meta["Participant"]
    assert "hosts-town-hall" not in [c.get("channel") for c in socket.controls]
    _, key = await host.request("GET", "/api/rooms/town-hall/host-key")
    status, me = await guest.request(
        "POST", "/api/rooms/town-hall/hosts", {"hostKey": key["hostKey"]}
    )
    assert (status, me["isHost"]) == (200, True)
    assert origin.recorder.messages(f"participant-{guest_id}") == [
        {"type": "HOST_GRANTED_SELF", "roomId": "town-hall"}
    ]
    reconnected = Socket(guest, "town-hall")
    await reconnected.open()
    channels = [c.get("channel") for c in reconnected.controls]
    # Its own channel for this room is the one closed should the guest lose host rights.
    assert {"hosts-town-hall", f"host-{guest_id}-town-hall"} <= set(channels)
