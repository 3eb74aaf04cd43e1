"""`--public-url`: every link the app shows or encodes starts with it, whatever the browser used."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from .conftest import LOOKS, People, Server
from .people import LOAD_MS

pytestmark = pytest.mark.browser

PUBLIC = "https://qa.example.org"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`liveqa serve --public-url`, reached by the browsers on 127.0.0.1 all the same."""
    running = Server(tmp_path_factory.mktemp("public"), ("--public-url", PUBLIC))
    running.start()
    try:
        yield running
    finally:
        running.stop()


@pytest.mark.parametrize("look", LOOKS, indirect=True)
def test_links_and_the_qr_code_use_the_public_url(people: People, room_id: str) -> None:
    host = people("Hana")
    screen = people("Projector")
    host.create_room(room_id)
    ready = host.page.get_by_role("region", name="Your room is ready")
    expect(ready.get_by_role("textbox", name="Link for attendees")).to_have_value(
        f"{PUBLIC}/{room_id}"
    )
    expect(ready.get_by_role("textbox", name="Host link")).to_have_value(
        re.compile(rf"^{re.escape(PUBLIC)}/{room_id}#host=")
    )
    # No loopback warning here, and no "null" where it would have been.
    expect(ready).not_to_contain_text("Phones cannot open this link")
    expect(ready).not_to_contain_text("null")

    host.settings_button.click()
    dialog = host.dialog("Room Settings")
    dialog.get_by_text("Share, export and host key").click()
    expect(dialog.get_by_role("textbox", name="Link for attendees")).to_have_value(
        f"{PUBLIC}/{room_id}"
    )
    dialog.get_by_role("button", name="Show host link").click()
    expect(dialog.get_by_role("textbox", name="Host link")).to_have_value(
        re.compile(rf"^{re.escape(PUBLIC)}/{room_id}#host=")
    )
    expect(dialog).not_to_contain_text("Phones cannot open this link")

    screen.open(f"/{room_id}/present")
    join = screen.page.get_by_role("complementary", name="How to join")
    expect(join).to_contain_text(f"qa.example.org/{room_id}", timeout=LOAD_MS)
    expect(join).not_to_contain_text("Phones cannot open this link")
    expect(join.get_by_role("img")).to_have_attribute(
        "alt", f"QR code that opens {PUBLIC}/{room_id}"
    )
    svg = screen.page.request.get(f"{screen.base_url}/api/rooms/{room_id}/qr.svg").text()
    assert f"<title>{PUBLIC}/{room_id}</title>" in svg
    exported = host.page.request.get(f"{host.base_url}/api/rooms/{room_id}/export.json").json()
    assert exported["joinUrl"] == f"{PUBLIC}/{room_id}"
