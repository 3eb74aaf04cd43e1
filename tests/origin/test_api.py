"""REST API: sessions and cookies, rooms, host keys, exports, errors."""

from __future__ import annotations

import contextlib
import csv
import io
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from liveqa.origin.app import create_app
from liveqa.origin.board import AddressRates
from liveqa.origin.qrcode import qr_svg
from liveqa.origin.ratelimit import Rate

from .conftest import Origin, PublishRecorder, Socket, origin_config


async def test_session_sets_a_signed_httponly_lax_cookie(origin: Origin) -> None:
    browser = origin.browser()
    async with browser.session.post(
        browser.url("/api/session"), json={"displayName": " Ada "}
    ) as response:
        assert response.status == 201
        body = await response.json()
        cookie = response.cookies["liveqa_session"]
    assert body["displayName"] == "Ada"
    assert set(body) == {"participantId", "displayName"}
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
    assert cookie["path"] == "/"
    assert cookie.value.startswith(body["participantId"] + ".")
    status, again = await browser.request("POST", "/api/session", {"displayName": "Other"})
    assert (status, again) == (200, body)


async def test_session_without_body_gets_a_guest_and_forged_cookies_do_not_count(
    origin: Origin,
) -> None:
    browser = origin.browser()
    status, guest = await browser.request("POST", "/api/session")
    assert status == 201
    assert guest["displayName"].startswith("Guest ")
    forger = origin.browser()
    forged = f"{guest['participantId']}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
    status, body = await forger.request(
        "POST", "/api/session", headers={"Cookie": f"liveqa_session={forged}"}
    )
    assert status == 201
    assert body["participantId"] != guest["participantId"]


@pytest.mark.parametrize("body", [b" ", b"\x0b", b"\n"])
async def test_a_body_of_whitespace_is_not_json(origin: Origin, body: bytes) -> None:
    status, answer = await origin.browser().request(
        "POST", "/api/session", data=body, headers={"Content-Type": "application/json"}
    )
    assert status == 400
    assert answer["error"]["code"] == "invalid_json"


async def test_rename_needs_a_session_and_publishes(origin: Origin) -> None:
    anonymous = origin.browser()
    status, body = await anonymous.request("PATCH", "/api/me", {"displayName": "X"})
    assert status == 401
    assert body["error"]["code"] == "unauthenticated"
    browser = origin.browser()
    await browser.join("Ada")
    status, body = await browser.request("PATCH", "/api/me", {"displayName": "Ada L."})
    assert (status, body["displayName"]) == (200, "Ada L.")
    status, body = await browser.request("PATCH", "/api/me", {"displayName": ""})
    assert (status, body["error"]["code"]) == (400, "invalid_text")


async def test_create_room_and_snapshot(origin: Origin) -> None:
    host = origin.browser()
    host_id = await host.join("Hana")
    status, created = await host.request(
        "POST",
        "/api/rooms",
        {"roomId": "town-hall", "displayName": "Town Hall", "themeColor": "#6e1786"},
    )
    assert status == 201
    assert created["room"]["roomId"] == "town-hall"
    assert created["room"]["themeColor"] == "#6e1786"
    assert created["hostLink"] == f"/town-hall#host={created['hostKey']}"
    status, snapshot = await host.request("GET", "/api/rooms/town-hall")
    assert status == 200
    assert snapshot["seq"] == 0
    assert snapshot["questions"] == []
    assert snapshot["me"] == {
        "participantId": host_id,
        "displayName": "Hana",
        "isHost": True,
        "isOwner": True,
        "banned": False,
    }
    # Hosts get the room's moderation rules; attendees do not.
    assert snapshot["rules"] == {"blockedWords": [], "bans": []}
    assert created["hostKey"] not in json.dumps(snapshot)
    other = origin.browser()
    status, taken = await other.request("POST", "/api/rooms", {"roomId": "town-hall"})
    assert status == 401
    await other.join("Olga")
    status, taken = await other.request("POST", "/api/rooms", {"roomId": "town-hall"})
    assert (status, taken["error"]["code"]) == (409, "room_exists")
    status, public = await other.request("GET", "/api/rooms/town-hall")
    assert status == 200
    assert (public["me"]["isHost"], public["me"]["isOwner"]) == (False, False)
    assert public["rules"] is None
    assert created["hostKey"] not in json.dumps(public)
    status, missing = await other.request("GET", "/api/rooms/nowhere")
    assert (status, missing["error"]["code"]) == (404, "not_found")


async def test_request_validation_errors_are_clear(origin: Origin) -> None:
    browser = origin.browser()
    await browser.join("Ada")
    cases = [
        ({"roomId": "Bad Id"}, 400, "invalid_room_id"),
        ({"roomId": "okay-id", "extra": 1}, 400, "invalid_request"),
        ({"roomId": 5}, 400, "invalid_request"),
        ({"roomId": "okay-id", "themeColor": "#ffffff"}, 400, "invalid_color"),
        ({}, 400, "invalid_request"),
    ]
    for body, status, code in cases:
        got_status, got = await browser.request("POST", "/api/rooms", body)
        assert (got_status, got["error"]["code"]) == (status, code), body
        assert got["error"]["message"]
    status, body = await browser.request(
        "POST", "/api/rooms", data=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert (status, body["error"]["code"]) == (400, "invalid_json")
    status, body = await browser.request("POST", "/api/rooms", data=b"roomId=abc")
    assert (status, body["error"]["code"]) == (415, "unsupported_media_type")
    status, body = await browser.request("DELETE", "/api/rooms")
    assert status == 405
    assert body["error"]["code"] == "method_not_allowed"
    status, body = await browser.request("GET", "/api/nothing/here")
    assert (status, body["error"]["code"]) == (404, "not_found")


async def test_host_key_join_and_rotate(origin: Origin) -> None:
    host = origin.browser()
    await host.join("Hana")
    _, created = await host.request("POST", "/api/rooms", {"roomId": "town-hall"})
    cohost = origin.browser()
    cohost_id = await cohost.join("Cora")
    status, wrong = await cohost.request(
        "POST", "/api/rooms/town-hall/hosts", {"hostKey": "not-it"}
    )
    assert (status, wrong["error"]["code"]) == (403, "wrong_host_key")
    status, me = await cohost.request(
        "POST", "/api/rooms/town-hall/hosts", {"hostKey": created["hostKey"]}
    )
    assert (status, me["isHost"], me["isOwner"]) == (200, True, False)
    assert "hostKey" not in me
    for method in ("GET", "POST"):
        status, refused = await cohost.request(method, "/api/rooms/town-hall/host-key")
        assert (status, refused["error"]["code"]) == (403, "not_owner")
    status, key = await host.request("GET", "/api/rooms/town-hall/host-key")
    assert (status, key) == (200, {"hostKey": created["hostKey"], "hostLink": created["hostLink"]})
    status, rotated = await host.request("POST", "/api/rooms/town-hall/host-key")
    assert status == 200
    assert rotated["hostKey"] != created["hostKey"]
    assert rotated["revoked"] == [{"participantId": cohost_id, "displayName": "Cora"}]
    closes = [i for i in origin.recorder.items() if i["channel"] == f"host-{cohost_id}-town-hall"]
    assert [i["formats"]["ws-message"] for i in closes] == [
        {"action": "close", "code": 4403, "reason": "host_revoked"}
    ]
    _, snapshot = await cohost.request("GET", "/api/rooms/town-hall")
    assert snapshot["me"]["isHost"] is False
    late = origin.browser()
    await late.join("Lee")
    status, _ = await late.request(
        "POST", "/api/rooms/town-hall/hosts", {"hostKey": created["hostKey"]}
    )
    assert status == 403
    status, refused = await late.request("POST", "/api/rooms/town-hall/host-key")
    assert (status, refused["error"]["code"]) == (403, "not_host")


async def test_rotation_keeps_cohosts_when_asked(origin: Origin) -> None:
    host = origin.browser()
    await host.join("Hana")
    _, created = await host.request("POST", "/api/rooms", {"roomId": "town-hall"})
    cohost = origin.browser()
    await cohost.join("Cora")
    await cohost.request("POST", "/api/rooms/town-hall/hosts", {"hostKey": created["hostKey"]})
    status, refused = await host.request(
        "POST", "/api/rooms/town-hall/host-key", {"keepCohosts": "yes"}
    )
    assert (status, refused["error"]["code"]) == (400, "invalid_request")
    status, rotated = await host.request(
        "POST", "/api/rooms/town-hall/host-key", {"keepCohosts": True}
    )
    assert (status, rotated["revoked"]) == (200, [])
    _, snapshot = await cohost.request("GET", "/api/rooms/town-hall")
    assert snapshot["me"]["isHost"] is True


async def test_hosts_list_and_removal(origin: Origin) -> None:
    host, guest = await origin.host_and_guest()
    _, key = await host.request("GET", "/api/rooms/town-hall/host-key")
    cohost = origin.browser()
    cohost_id = await cohost.join("Cora")
    await cohost.request("POST", "/api/rooms/town-hall/hosts", {"hostKey": key["hostKey"]})
    status, refused = await guest.request("GET", "/api/rooms/town-hall/hosts")
    assert (status, refused["error"]["code"]) == (403, "not_host")
    status, hosts = await cohost.request("GET", "/api/rooms/town-hall/hosts")
    assert status == 200
    assert [(h["displayName"], h["role"]) for h in hosts["hosts"]] == [
        ("Hana", "owner"),
        ("Cora", "cohost"),
    ]
    owner_id = hosts["hosts"][0]["participantId"]
    path = f"/api/rooms/town-hall/hosts/{cohost_id}"
    status, refused = await cohost.request("DELETE", f"/api/rooms/town-hall/hosts/{owner_id}")
    assert (status, refused["error"]["code"]) == (403, "not_owner")
    status, refused = await host.request("DELETE", f"/api/rooms/town-hall/hosts/{owner_id}")
    assert (status, refused["error"]["code"]) == (409, "owner")
    status, after = await host.request("DELETE", path)
    assert (status, [h["displayName"] for h in after["hosts"]]) == (200, ["Hana"])
    status, refused = await host.request("DELETE", path)
    assert (status, refused["error"]["code"]) == (404, "unknown_host")
    assert origin.recorder.messages("hosts-town-hall")[-1]["hosts"] == after["hosts"]


async def test_exports_for_hosts_only(origin: Origin) -> None:
    host, guest = await origin.host_and_guest()
    for path in ("/api/rooms/town-hall/export.csv", "/api/rooms/town-hall/export.json"):
        status, body = await guest.request("GET", path)
        assert (status, body["error"]["code"]) == (403, "not_host")
    async with host.session.get(host.url("/api/rooms/town-hall/export.csv")) as response:
        assert response.status == 200
        assert response.content_type == "text/csv"
        assert "attachment" in response.headers["Content-Disposition"]
        rows = list(csv.reader(io.StringIO(await response.text())))
    assert rows[0][:3] == ["questionId", "questionText", "author"]
    status, document = await host.request("GET", "/api/rooms/town-hall/export.json")
    assert status == 200
    assert document["room"]["roomId"] == "town-hall"
    assert document["questions"] == []


async def test_exports_say_which_questions_a_host_edited(origin: Origin) -> None:
    host, guest = await origin.host_and_guest()
    asking, hosting = Socket(guest, "town-hall"), Socket(host, "town-hall")
    await asking.open()
    await hosting.open()
    [posted] = await asking.send(
        {"type": "QUESTION_POST_TO_ROOM", "questionText": "My email is a@b.c", "nonce": "n1"}
    )
    edit = {"type": "QUESTION_EDIT", "questionId": posted["questionId"], "questionText": "Fixed"}
    assert (await hosting.send(edit))[0]["type"] == "ACK"
    async with host.session.get(host.url("/api/rooms/town-hall/export.csv")) as response:
        rows = list(csv.DictReader(io.StringIO(await response.text())))
    assert [(row["questionText"], row["editedBy"]) for row in rows] == [("Fixed", "host")]
    _, document = await host.request("GET", "/api/rooms/town-hall/export.json")
    assert [q["editedBy"] for q in document["questions"]] == ["host"]


async def test_every_response_has_protective_headers(origin: Origin) -> None:
    browser = origin.browser()
    async with browser.session.get(browser.url("/api/rooms/nowhere")) as response:
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.content_type == "application/json"


async def test_room_qr_code_is_a_cacheable_svg_of_the_join_url(origin: Origin) -> None:
    host = origin.browser()
    await host.join("Hana")
    _, created = await host.request("POST", "/api/rooms", {"roomId": "town-hall"})
    anyone = origin.browser()
    headers = {"Host": "qa.example.org", "X-Forwarded-Proto": "https"}
    async with anyone.session.get(anyone.url("/api/rooms/town-hall/qr.svg"), headers=headers) as r:
        assert r.status == 200
        assert r.headers["Content-Type"] == "image/svg+xml"
        assert r.headers["Cache-Control"] == "public, max-age=300"
        assert "Set-Cookie" not in r.headers
        svg = await r.read()
    assert svg == qr_svg("https://qa.example.org/town-hall")
    assert created["hostKey"].encode() not in svg
    async with anyone.session.get(anyone.url("/api/rooms/town-hall/qr.svg")) as r:
        local = await r.read()
    assert local == qr_svg(f"http://{origin.server.host}:{origin.server.port}/town-hall")
    for path in ("/api/rooms/nowhere/qr.svg", "/api/rooms/Bad%20Id/qr.svg"):
        status, body = await anyone.request("GET", path)
        assert (status, body["error"]["code"]) == (404, "not_found"), path
    status, body = await anyone.request(
        "GET", "/api/rooms/town-hall/qr.svg", headers={"Host": "x/y"}
    )
    assert (status, body["error"]["code"]) == (400, "invalid_host")


@contextlib.asynccontextmanager
async def _limited_origin(
    tmp_path: Path, recorder: PublishRecorder, **kwargs: Any
) -> AsyncIterator[Origin]:
    app = create_app(origin_config(f"sqlite:///{tmp_path}/limited.db", recorder, **kwargs))
    server = TestServer(app)
    await server.start_server()
    running = Origin(server, recorder)
    try:
        yield running
    finally:
        await running.close()


async def _new_session(origin: Origin, forwarded_for: str | None) -> int:
    headers = {} if forwarded_for is None else {"X-Forwarded-For": forwarded_for}
    status, _ = await origin.browser().request("POST", "/api/session", {}, headers=headers)
    return status


async def test_sessions_are_limited_per_address_the_proxy_appended(
    tmp_path: Path, recorder: PublishRecorder
) -> None:
    rates = AddressRates(sessions=Rate(2, 3600))
    async with _limited_origin(tmp_path, recorder, address_rates=rates) as origin:
        # The client writes what it likes before the entry the proxy appends.
        for claimed in ("1.1.1.1", "2.2.2.2"):
            assert await _new_session(origin, f"{claimed}, 203.0.113.7") == 201
        assert await _new_session(origin, "3.3.3.3, 203.0.113.7") == 429
        assert await _new_session(origin, "2001:db8::1") == 201
        assert await _new_session(origin, "2001:db8::2") == 201
        assert await _new_session(origin, "2001:db8::3") == 429  # the same /64
        assert await _new_session(origin, "198.51.100.1") == 201
        # Straight from loopback (no proxy, as tests and benchmarks come): not limited.
        for _ in range(3):
            assert await _new_session(origin, None) == 201
        # A session that exists costs nothing.
        browser = origin.browser()
        await browser.join("Ada")
        headers = {"X-Forwarded-For": "203.0.113.7"}
        status, _ = await browser.request("POST", "/api/session", {}, headers=headers)
        assert status == 200


async def test_rooms_are_limited_per_address_behind_proxies(
    tmp_path: Path, recorder: PublishRecorder
) -> None:
    rates = AddressRates(rooms=Rate(1, 3600))
    async with _limited_origin(
        tmp_path, recorder, address_rates=rates, trusted_proxies=["10.0.0.0/24"]
    ) as origin:
        browser = origin.browser()
        await browser.join("Hana")
        statuses = []
        # A front on loopback or in a trusted network appended the last entries, and Pushpin
        # appends its peer again on each request: the client is the last entry before those.
        for index, chain in enumerate(
            (
                "9.9.9.9, 203.0.113.7, 127.0.0.1",
                "8.8.8.8, 203.0.113.7, 10.0.0.5, ::1, 127.0.0.1",
                "203.0.113.8, 10.0.0.5",
            )
        ):
            status, _ = await browser.request(
                "POST",
                "/api/rooms",
                {"roomId": f"room-{index}"},
                headers={"X-Forwarded-For": chain},
            )
            statuses.append(status)
        assert statuses == [201, 429, 201]


async def test_my_rooms_and_room_deletion(origin: Origin) -> None:
    host, guest = await origin.host_and_guest()
    status, refused = await origin.browser().request("GET", "/api/me/rooms")
    assert (status, refused["error"]["code"]) == (401, "unauthenticated")
    status, mine = await host.request("GET", "/api/me/rooms")
    assert status == 200
    [room] = mine["rooms"]
    assert {k: room[k] for k in ("roomId", "displayName", "state", "role", "questions")} == {
        "roomId": "town-hall",
        "displayName": "New Room: town-hall",
        "state": "open",
        "role": "owner",
        "questions": 0,
    }
    assert room["lastActivity"].endswith("Z")
    assert (await guest.request("GET", "/api/me/rooms"))[1] == {"rooms": []}

    path = "/api/rooms/town-hall"
    status, refused = await guest.request("DELETE", path, {"confirmRoomId": "town-hall"})
    assert (status, refused["error"]["code"]) == (403, "not_host")
    status, refused = await host.request("DELETE", path)
    assert (status, refused["error"]["code"]) == (415, "unsupported_media_type")
    status, refused = await host.request("DELETE", path, {"confirmRoomId": "town"})
    assert (status, refused["error"]["code"]) == (400, "confirmation_mismatch")
    status, _ = await host.request("DELETE", path, {"confirmRoomId": "town-hall"})
    assert status == 204
    closes = [i for i in origin.recorder.items() if i["channel"] == "room-town-hall"]
    assert closes[-1]["formats"]["ws-message"] == {
        "action": "close",
        "code": 4410,
        "reason": "room_deleted",
    }
    assert (await host.request("GET", path))[0] == 404
    assert (await host.request("GET", "/api/me/rooms"))[1] == {"rooms": []}
    status, _ = await guest.request("POST", "/api/rooms", {"roomId": "town-hall"})
    assert status == 201


async def test_links_follow_the_request_without_a_public_url(origin: Origin) -> None:
    _, guest = await origin.host_and_guest()
    here = f"http://{origin.server.host}:{origin.server.port}/town-hall"
    _, snapshot = await guest.request("GET", "/api/rooms/town-hall")
    assert snapshot["joinUrl"] == here
    headers = {"Host": "qa.example.org", "X-Forwarded-Proto": "https"}
    _, proxied = await guest.request("GET", "/api/rooms/town-hall", headers=headers)
    assert proxied["joinUrl"] == "https://qa.example.org/town-hall"
    _, unnamed = await guest.request("GET", "/api/rooms/town-hall", headers={"Host": "x/y"})
    assert unnamed["joinUrl"] is None


async def test_a_public_url_is_the_base_of_every_link(
    tmp_path: Path, recorder: PublishRecorder
) -> None:
    config = origin_config(
        f"sqlite:///{tmp_path}/public.db", recorder, public_url="https://qa.example.org"
    )
    server = TestServer(create_app(config))
    await server.start_server()
    running = Origin(server, recorder)
    try:
        host = running.browser()
        await host.join("Hana")
        status, created = await host.request("POST", "/api/rooms", {"roomId": "town-hall"})
        assert (status, created["joinUrl"]) == (201, "https://qa.example.org/town-hall")
        _, snapshot = await host.request("GET", "/api/rooms/town-hall")
        assert snapshot["joinUrl"] == "https://qa.example.org/town-hall"
        async with host.session.get(host.url("/api/rooms/town-hall/qr.svg")) as response:
            assert await response.read() == qr_svg("https://qa.example.org/town-hall")
        _, exported = await host.request("GET", "/api/rooms/town-hall/export.json")
        assert exported["joinUrl"] == "https://qa.example.org/town-hall"
    finally:
        await running.close()
