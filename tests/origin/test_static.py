"""The web client routes: files, the app page, and clear errors when the client is missing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer

from liveqa.origin.app import create_app

from .conftest import Browser, PublishRecorder, origin_config


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
    for path in ("/", "/town-hall", "/town-hall/present"):
        async with site.session.get(site.url(path)) as response:
            assert response.status == 200, path
            assert response.headers["Content-Type"] == "text/html; charset=utf-8"
            assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
            assert "<title>liveqa</title>" in await response.text()
    for path in ("/Not-A-Room", "/robots.txt", "/api"):
        status, body = await site.request("GET", path)
        assert status == 404, path
        assert body["error"]["code"] == "not_found"


async def test_static_files_stay_inside_the_web_root(site: Browser) -> None:
    async with site.session.get(site.url("/static/js/app.js")) as response:
        assert response.status == 200
        assert response.content_type in ("text/javascript", "application/javascript")
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
