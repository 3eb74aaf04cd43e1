"""Browsers load every module and style sheet by the URL of the running release."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import DESKTOP, People

pytestmark = pytest.mark.browser


def test_every_file_is_fetched_by_its_hashed_url(people: People, room_id: str) -> None:
    host, screen = people("Hana", viewport=DESKTOP), people("Projector", viewport=DESKTOP)
    fetched: list[str] = []
    for person in (host, screen):
        person.page.on("request", lambda request: fetched.append(request.url))
    host.create_room(room_id, title="Release")
    screen.open(f"/{room_id}/present")
    expect(screen.page.get_by_role("heading", level=1)).to_have_text("Release")
    files = [url for url in fetched if "/static/" in url]
    names = {url.split("/static/", 1)[1].partition("?")[0] for url in files}
    # Modules imported statically and on demand, and the projector's own style sheet.
    wanted = {"main.js", "app.css", "views/room.js", "views/create.js", "present.css"}
    assert wanted <= names, sorted(names)
    assert [url for url in files if "?v=" not in url] == []
    assert host.page_errors == screen.page_errors == []
