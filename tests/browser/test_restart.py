"""A server restart: pages show they are reconnecting, come back on their own and resync."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import People, Server
from .people import LIVE_MS

pytestmark = pytest.mark.browser

# Reconnect backoff grows to a few seconds while the server is away.
BACK_MS = 20_000


def test_pages_come_back_to_the_same_state_after_a_restart(
    people: People, room_id: str, server: Server
) -> None:
    host, guest = people("Hana"), people("Gus")
    host.create_room(room_id, title="Restarted")
    guest.join(room_id)
    guest.ask("Before the restart")
    host.vote_button("Before the restart").click()
    expect(guest.vote_button("Before the restart")).to_contain_text("2", timeout=LIVE_MS)

    server.stop()
    for person in (host, guest):
        # The banner has no role of its own; the live region says the same words aloud.
        banner = person.page.locator(".connection")
        expect(banner).to_be_visible()
        expect(banner).to_contain_text("Connection lost. Reconnecting in")
        expect(person.page.locator("#live")).to_have_text("Connection lost. Reconnecting.")
    # Typed and sent while offline: kept, and posted once when the server is back.
    guest.ask("Asked while offline")
    queued = guest.page.get_by_role("list", name="Questions not sent yet")
    expect(queued).to_contain_text("Asked while offline")

    server.start()
    # Each page has its own backoff: the queued question leaves only once the guest is back.
    for person in (host, guest):
        banner = person.page.locator(".connection")
        expect(banner).not_to_contain_text("Connection lost", timeout=BACK_MS)
    for person in (host, guest):
        expect(person.card("Asked while offline")).to_have_count(1, timeout=LIVE_MS)
        expect(person.vote_button("Before the restart")).to_contain_text("2")
        expect(person.page.get_by_role("heading", level=1)).to_have_text("Restarted")
    expect(queued).to_be_hidden()
    expect(host.settings_button).to_be_visible()

    host.reply("Asked while offline", "Answered after the restart.")
    expect(guest.card("Asked while offline")).to_contain_text(
        "Answered after the restart.", timeout=LIVE_MS
    )
    assert [q["questionText"] for q in guest.snapshot(room_id)["questions"]].count(
        "Asked while offline"
    ) == 1
