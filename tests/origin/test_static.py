"""The web client routes: files, the app page, and clear errors when the client is missing."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from liveqa.origin.app import create_app
from liveqa.origin.static import RELEASE_CACHE, STATIC_CACHE, WEB_ROOT

from .conftest import Browser, PublishRecorder, origin_config

# The web client's own budget and import rule (tests/web/test_assets.py estimates from sizes).
FIRST_LOAD_BUDGET = 100_000
STATIC_IMPORT = re.compile(
    r"^\s*import\s+(?:[^\"';]*?\s+from\s+)?[\"']([^\"']+)[\"']", re.MULTILINE
)


async def _serve(tmp_path: Path, recorder: PublishRecorder, root: Path) -> TestServer:
    app = create_app(origin_config(f"sqlite:///{tmp_path}/web.db", recorder, web_root=root))
    server = TestServer(app)
    await server.start_server()
    return server


@pytest.fixture
async def site(tmp_path: Path, recorder: PublishRecorder) -> AsyncIterator[Browser]:
    root = tmp_path / "web"
    (root / "js").mkdir(parents=True)
    (root / "index.html").write_text("<!doctype html><title>liveqa</title>")
    (root / "js" / "app.js").write_text("export {};")
    (tmp_path / "secret.txt").write_text("not for you")
    server = await _serve(tmp_path, recorder, root)
    browser = Browser(server)
    try:
        yield browser
    finally:
        await browser.close()
        await server.close()


async def test_app_page_for_root_rooms_and_projector(site: Browser) -> None:
    # Invalid room ids get the page too: the client says what is wrong with them.
    for path in ("/", "/town-hall", "/town-hall/present", "/Not-A-Room", "/x", "/x/present"):
        async with site.session.get(site.url(path)) as response:
            assert response.status == 200, path
            assert response.headers["Content-Type"] == "text/html; charset=utf-8"
            assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
            assert "<title>liveqa</title>" in await response.text()
    for path in (
        "/robots.txt",
        "/api",
        "/API",
        "/static",
        "/api/present",
        "/favicon.ico",
        "/apple-touch-icon.png",
        "/town-hall/nope",
    ):
        status, body = await site.request("GET", path)
        assert status == 404, path
        assert body["error"]["code"] == "not_found"


async def test_static_files_stay_inside_the_web_root(site: Browser) -> None:
    async with site.session.get(site.url("/static/js/app.js")) as response:
        assert response.status == 200
        assert response.content_type in ("text/javascript", "application/javascript")
        assert response.headers["Cache-Control"] == STATIC_CACHE
        assert await response.text() == "export {};"
    for path in ("/static/nope.js", "/static/..%2Fsecret.txt", "/static/js/..%2F..%2Fsecret.txt"):
        status, _ = await site.request("GET", path)
        assert status == 404, path


async def test_missing_web_client_is_a_clear_503(tmp_path: Path, recorder: PublishRecorder) -> None:
    server = await _serve(tmp_path, recorder, tmp_path / "absent")
    browser = Browser(server)
    try:
        for path in ("/", "/town-hall", "/static/app.js"):
            status, body = await browser.request("GET", path)
            assert (status, body["error"]["code"]) == (503, "web_client_missing"), path
    finally:
        await browser.close()
        await server.close()


async def test_files_revalidate_with_etags_and_follow_changes(
    site: Browser, tmp_path: Path
) -> None:
    url = site.url("/static/js/app.js")
    async with site.session.get(url) as response:
        etag = response.headers["ETag"]
    async with site.session.get(url, headers={"If-None-Match": etag}) as response:
        assert response.status == 304
        assert response.headers["ETag"] == etag
        assert response.headers["Cache-Control"] == STATIC_CACHE
        assert await response.read() == b""
    (tmp_path / "web" / "js" / "app.js").write_text("export const changed = 1;")
    async with site.session.get(url, headers={"If-None-Match": etag}) as response:
        assert response.status == 200
        assert response.headers["ETag"] != etag
        assert await response.text() == "export const changed = 1;"
    async with site.session.get(site.url("/town-hall")) as response:
        assert response.headers["Cache-Control"] == "no-cache"
        page_etag = response.headers["ETag"]
    async with site.session.get(
        site.url("/"), headers={"If-None-Match": f'"other", {page_etag}'}
    ) as response:
        assert response.status == 304


async def test_the_page_loads_each_file_by_its_hash_which_is_cached_for_a_year(
    site: Browser, tmp_path: Path
) -> None:
    web_root = tmp_path / "web"
    (web_root / "index.html").write_text(
        '<!doctype html><title>liveqa</title><script type="module" src="/static/js/app.js">'
        "</script>"
    )

    async def page() -> tuple[str, dict[str, str]]:
        async with site.session.get(site.url("/")) as response:
            html = await response.text()
            policy = response.headers["Content-Security-Policy"]
        found = re.search(r'<script type="importmap">(.*?)</script>', html)
        assert found is not None
        digest = hashlib.sha256(found[1].encode()).digest()
        assert f"script-src 'self' 'sha256-{base64.b64encode(digest).decode()}'" in policy
        return html, json.loads(found[1])["imports"]

    html, imports = await page()
    version = hashlib.sha256(b"export {};").hexdigest()[:24]
    assert imports == {"/static/js/app.js": f"/static/js/app.js?v={version}"}
    assert f'src="/static/js/app.js?v={version}"' in html
    for query, cache in (
        (f"?v={version}", RELEASE_CACHE),
        ("?v=0ld", STATIC_CACHE),
        ("", STATIC_CACHE),
    ):
        async with site.session.get(site.url(f"/static/js/app.js{query}")) as response:
            assert response.status == 200
            assert response.headers["Cache-Control"] == cache, query
    (web_root / "js" / "app.js").write_text("export const next = 2;")
    _, imports = await page()
    changed = hashlib.sha256(b"export const next = 2;").hexdigest()[:24]
    assert imports == {"/static/js/app.js": f"/static/js/app.js?v={changed}"}


async def test_text_files_are_gzipped_when_accepted(site: Browser, tmp_path: Path) -> None:
    script = "export const words = [" + ", ".join(f'"word {i}"' for i in range(300)) + "];\n"
    (tmp_path / "web" / "big.js").write_text(script)
    async with aiohttp.ClientSession(auto_decompress=False) as raw:
        url = site.url("/static/big.js")
        async with raw.get(url, headers={"Accept-Encoding": "gzip"}) as response:
            assert response.headers["Content-Encoding"] == "gzip"
            assert response.headers["Vary"] == "Accept-Encoding"
            assert gzip.decompress(await response.read()).decode() == script
        async with raw.get(url, headers={"Accept-Encoding": "identity"}) as response:
            assert "Content-Encoding" not in response.headers
            assert response.headers["Vary"] == "Accept-Encoding"
            assert await response.text() == script


def _references(url: str, body: bytes, imports: dict[str, str]) -> list[str]:
    """The files a page or module makes the browser fetch on load, as absolute URL paths, mapped
    through the page's import map like a browser does."""
    text = body.decode()
    path = url.partition("?")[0]
    if path.endswith(".js"):
        return [imports[urljoin(path, spec)] for spec in STATIC_IMPORT.findall(text)]
    if path.endswith(".css"):
        return []
    return list(re.findall(r'(?:src|href)="(/static/[^"]+)"', text))


def _import_map(page: bytes) -> dict[str, str]:
    found = re.search(r'<script type="importmap">(.*?)</script>', page.decode())
    assert found is not None
    imports: dict[str, str] = json.loads(found[1])["imports"]
    return imports


async def test_first_load_transfers_well_under_100_kb(
    tmp_path: Path, recorder: PublishRecorder
) -> None:
    server = await _serve(tmp_path, recorder, WEB_ROOT)
    # A browser's first visit: nothing cached, gzip accepted; bytes counted as sent.
    async with aiohttp.ClientSession(
        auto_decompress=False, cookie_jar=aiohttp.CookieJar(unsafe=True)
    ) as raw:

        async def fetch(method: str, path: str, **kwargs: Any) -> tuple[int, bytes]:
            headers = {"Accept-Encoding": "gzip, deflate, br, zstd", "X-LiveQA": "1"}
            async with raw.request(
                method, server.make_url(path), headers=headers, **kwargs
            ) as response:
                assert response.status in (200, 201), path
                body = await response.read()
                head = sum(len(name) + len(value) + 4 for name, value in response.raw_headers)
                if len(body) >= 1024 and response.content_type != "image/svg+xml":
                    assert response.headers.get("Content-Encoding") == "gzip", path
                unpacked = (
                    gzip.decompress(body) if response.headers.get("Content-Encoding") else body
                )
                return len(body) + head + len("HTTP/1.1 200 OK\r\n\r\n"), unpacked

        await fetch("POST", "/api/session", json={"displayName": "Hana"})
        await fetch("POST", "/api/rooms", json={"roomId": "town-hall"})
        for route, entry in [
            ("/", "/static/views/start.js"),
            ("/town-hall", "/static/views/room.js"),
            ("/town-hall/present", "/static/views/present.js"),
        ]:
            transferred, page = await fetch("GET", route)
            imports = _import_map(page)
            todo = [*_references(route, page, imports), imports[entry]]
            if entry.endswith("present.js"):
                todo.append(imports["/static/present.css"])
            fetched: set[str] = set()
            while todo:
                path = todo.pop()
                if path in fetched:
                    continue
                fetched.add(path)
                size, body = await fetch("GET", path)
                transferred += size
                todo.extend(_references(path, body, imports))
            for api in ("/api/session", "/api/rooms/town-hall"):
                size, _ = await fetch("POST" if api == "/api/session" else "GET", api)
                transferred += size
            if entry.endswith("present.js"):
                size, _ = await fetch("GET", "/api/rooms/town-hall/qr.svg")
                transferred += size
            assert imports["/static/main.js"] in fetched
            assert transferred < FIRST_LOAD_BUDGET / 2, (route, transferred, sorted(fetched))
    await server.close()
