"""Abuse through the real HTTP surface: stuffing, impersonation, host rights, floods, HTML."""

from __future__ import annotations

import asyncio

from .conftest import Origin, Socket


async def test_vote_stuffing_is_impossible(origin: Origin) -> None:
    host, guest = await origin.host_and_guest()
    author = Socket(host, "town-hall")
    await author.open()
    [ack] = await author.send(
        {"type": "QUESTION_POST_TO_ROOM", "questionText": "Stuff me", "nonce": "s"}
    )
    sockets = [Socket(guest, "town-hall") for _ in range(4)]
    for socket in sockets:
        await socket.open()
    vote = {"type": "QUESTION_UPVOTE", "questionId": ack["questionId"]}
    fakes = [{**vote, "userId": f"fake-{i}", "participantId": f"p{i}"} for i in range(5)]
    await asyncio.gather(*(socket.send(*fakes) for socket in sockets))
    status, snapshot = await guest.request("GET", "/api/rooms/town-hall")
    assert status == 200
    assert snapshot["questions"][0]["upvotes"] == 2
    events = origin.recorder.messages("room-town-hall")
    assert [e["upvotes"] for e in events if e["type"] == "QUESTION_UPVOTE_PASSIVE"] == [2]


async def test_attendees_cannot_use_host_actions_over_the_socket(origin: Origin) -> None:
    host, guest = await origin.host_and_guest()
    host_socket = Socket(host, "town-hall")
    await host_socket.open()
    [ack] = await host_socket.send(
        {"type": "QUESTION_POST_TO_ROOM", "questionText": "Keep me", "nonce": "k"}
    )
    attendee = Socket(guest, "town-hall")
    await attendee.open()
    replies = await attendee.send(
        {"type": "QUESTION_DELETE", "questionId": ack["questionId"], "userId": "host"},
        {"type": "QUESTION_POST_ANSWER", "questionId": ack["questionId"], "answerText": "x"},
        {"type": "ROOMINFO_UPDATE", "displayName": "Owned", "isHost": True},
        {"type": "QUESTION_HIGHLIGHT", "questionId": None},
    )
    assert [r["code"] for r in replies] == ["not_host"] * 4
    status, snapshot = await guest.request("GET", "/api/rooms/town-hall")
    assert (status, len(snapshot["questions"])) == (200, 1)


async def test_room_creation_is_rate_limited_with_a_clear_error(origin: Origin) -> None:
    browser = origin.browser()
    await browser.join("Flood")
    statuses = []
    for i in range(7):
        status, body = await browser.request("POST", "/api/rooms", {"roomId": f"flood-{i}"})
        statuses.append(status)
    assert statuses[:5] == [201] * 5
    assert statuses[5:] == [429, 429]
    assert body["error"]["code"] == "rate_limited"
    assert "try again in" in body["error"]["message"]
    async with browser.session.post(
        browser.url("/api/rooms"), json={"roomId": "flood-9"}
    ) as response:
        assert response.status == 429
        # One room per 720 s comes back (5 an hour).
        assert 700 <= int(response.headers["Retry-After"]) <= 720
        assert f"try again in {response.headers['Retry-After']} s" in await response.text()


async def test_posting_is_rate_limited_per_participant(origin: Origin) -> None:
    _, guest = await origin.host_and_guest()
    socket = Socket(guest, "town-hall")
    await socket.open()
    replies = await socket.send(
        *(
            {"type": "QUESTION_POST_TO_ROOM", "questionText": f"q{i}", "nonce": f"n{i}"}
            for i in range(7)
        )
    )
    assert [r["type"] for r in replies] == ["ACK"] * 5 + ["ERROR"] * 2
    assert replies[-1]["code"] == "rate_limited"


async def test_no_api_response_is_html(origin: Origin) -> None:
    host, _ = await origin.host_and_guest()
    socket = Socket(host, "town-hall")
    await socket.open()
    await socket.send(
        {
            "type": "QUESTION_POST_TO_ROOM",
            "questionText": "<img src=x onerror=alert(1)>",
            "nonce": "h",
        }
    )
    for path in (
        "/api/rooms/town-hall",
        "/api/rooms/town-hall/export.json",
        "/api/rooms/town-hall/export.csv",
        "/api/rooms/%3Cscript%3E",
        "/api/openapi.json",
    ):
        async with host.session.get(host.url(path)) as response:
            assert response.content_type in ("application/json", "text/csv"), path
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            text = await response.text()
            if path.endswith("town-hall"):
                assert "<img src=x onerror=alert(1)>" in text


async def test_limits_give_clear_errors_over_the_socket(origin: Origin) -> None:
    _, guest = await origin.host_and_guest()
    socket = Socket(guest, "town-hall")
    await socket.open()
    replies = await socket.send(
        {"type": "QUESTION_POST_TO_ROOM", "questionText": "x" * 501, "nonce": "a", "ref": 1},
        {"type": "QUESTION_POST_TO_ROOM", "questionText": "   ", "nonce": "b", "ref": 2},
        {"type": "QUESTION_POST_TO_ROOM", "questionText": "ok", "nonce": "bad nonce", "ref": 3},
        {"type": "USERINFO_UPDATE", "displayName": "y" * 41, "ref": 4},
    )
    assert [(r["ref"], r["code"]) for r in replies] == [
        (1, "text_too_long"),
        (2, "invalid_text"),
        (3, "invalid_nonce"),
        (4, "text_too_long"),
    ]
    assert "500" in replies[0]["message"]
