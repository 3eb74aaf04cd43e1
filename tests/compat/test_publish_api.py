"""The publish endpoint's answers, as Pushpin 1.36 gives them."""

from __future__ import annotations

import aiohttp
import pytest

from .proxies import Proxy

pytestmark = [pytest.mark.pushpin, pytest.mark.asyncio(loop_scope="package")]

ONE_ITEM = b'{"items": [{"channel": "api-test", "formats": {"ws-message": {"content": "hi"}}}]}'


@pytest.mark.parametrize("path", ["/publish/", "/publish"])
async def test_publish_answers_published(
    proxy: Proxy, http: aiohttp.ClientSession, path: str
) -> None:
    url = f"http://127.0.0.1:{proxy.publish_port}{path}"
    async with http.post(url, data=ONE_ITEM) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "text/plain"
        assert await response.read() == b"Published\n"


async def test_publish_answers_json_when_asked(proxy: Proxy, http: aiohttp.ClientSession) -> None:
    headers = {"Accept": "application/json"}
    async with http.post(proxy.publish_url, data=ONE_ITEM, headers=headers) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "application/json"
        assert await response.read() == b'{"message":"Published"}\n'


async def test_publish_refuses_unacceptable_accept(
    proxy: Proxy, http: aiohttp.ClientSession
) -> None:
    headers = {"Accept": "text/html"}
    async with http.post(proxy.publish_url, data=ONE_ITEM, headers=headers) as response:
        assert response.status == 406
        assert await response.read() == (
            b"Not Acceptable. Supported formats are text/plain and application/json.\n"
        )


# Pushpin words its reasons its own way ("Body is not valid JSON.", "Invalid format: object does
# not contain 'items'", "Invalid format: no formats specified", ...); docs/grip.md §2.1 only asks
# for a body that says why. Both proxies must answer 400 with one text line naming the culprit.
@pytest.mark.parametrize(
    ("body", "culprit"),
    [
        pytest.param(b'{"items": ', "JSON", id="truncated"),
        pytest.param(b"not json", "JSON", id="not-json"),
        pytest.param(b"[]", "Invalid format", id="array"),
        pytest.param(b"{}", "items", id="no-items"),
        pytest.param(b'{"items": {}}', "items", id="items-object"),
        pytest.param(b'{"items": [{}]}', "channel", id="no-channel"),
        pytest.param(b'{"items": [{"channel": "x"}]}', "format", id="no-formats"),
        pytest.param(
            b'{"items": [{"channel": "x", "formats": {"ws-message": {}}}]}',
            "content-bin",
            id="no-content",
        ),
        pytest.param(
            b'{"items": [{"channel": "x", "formats": {"ws-message": {"content": 5}}}]}',
            "content",
            id="content-number",
        ),
    ],
)
async def test_publish_rejects_bad_bodies_with_the_reason(
    proxy: Proxy, http: aiohttp.ClientSession, body: bytes, culprit: str
) -> None:
    async with http.post(proxy.publish_url, data=body) as response:
        assert response.status == 400
        assert response.headers["Content-Type"] == "text/plain"
        reason = await response.text()
    assert reason.endswith("\n")
    assert reason.count("\n") == 1
    assert culprit in reason


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
async def test_publish_other_methods_are_not_allowed(
    proxy: Proxy, http: aiohttp.ClientSession, method: str
) -> None:
    async with http.request(method, proxy.publish_url) as response:
        assert response.status == 405
        assert response.headers["Allow"] == "POST"
        assert await response.read() == f"Method not allowed: {method}.\n".encode()
