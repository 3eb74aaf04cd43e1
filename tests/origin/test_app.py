"""The origin app's middleware: changes need a JSON body or the client header."""

from __future__ import annotations

import pytest

from .conftest import Origin


async def _raw(
    origin: Origin, method: str, path: str, data: bytes | None = None, **headers: str
) -> tuple[int, str]:
    browser = origin.browser()
    async with browser.session.request(
        method, browser.url(path), data=data, headers=headers
    ) as response:
        body = await response.json()
        return response.status, body["error"]["code"] if response.status >= 400 else ""


async def test_bodiless_changes_need_the_client_header(origin: Origin) -> None:
    host, _ = await origin.host_and_guest()
    assert await _raw(origin, "POST", "/api/session") == (403, "client_header_required")
    status, body = await host.request(
        "POST", "/api/rooms/town-hall/host-key", headers={"X-LiveQA": ""}
    )
    assert status == 200
    async with host.session.post(host.url("/api/rooms/town-hall/host-key")) as response:
        assert response.status == 403
        refusal = await response.json()
    assert "X-LiveQA: 1" in refusal["error"]["message"]
    _, key = await host.request("GET", "/api/rooms/town-hall/host-key")
    assert key["hostKey"] == body["hostKey"]


@pytest.mark.parametrize(
    ("content_type", "data"),
    [
        ("text/plain", b'{"displayName": "Eve"}'),
        ("application/x-www-form-urlencoded", b"displayName=Eve"),
        ("multipart/form-data; boundary=x", b"--x--"),
    ],
)
async def test_what_a_cross_site_form_or_fetch_sends_is_refused(
    origin: Origin, content_type: str, data: bytes
) -> None:
    for method, path in [("POST", "/api/session"), ("PATCH", "/api/me"), ("POST", "/api/rooms")]:
        status, code = await _raw(origin, method, path, data, **{"Content-Type": content_type})
        assert (status, code) == (415, "unsupported_media_type"), path


async def test_json_bodies_and_reads_need_nothing_more(origin: Origin) -> None:
    browser = origin.browser()
    async with browser.session.post(browser.url("/api/session"), json={}) as response:
        assert response.status == 201
    assert (await _raw(origin, "GET", "/api/rooms/nowhere"))[0] == 404
    assert (await _raw(origin, "POST", "/api/nowhere"))[0] == 404
    # The socket endpoint answers for its Grip-Sig, not for this rule.
    assert (await _raw(origin, "POST", "/api/websocket?roomId=x"))[1] == "invalid_grip_sig"
