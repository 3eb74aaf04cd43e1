"""The projector view follows what the host puts on the big screen."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .conftest import LOOKS, People
from .people import LIVE_MS

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("look", LOOKS, indirect=True)
def test_the_projector_follows_the_highlight(people: People, room_id: str) -> None:
    host, guest = people("Hana"), people("Gus")
    screen = people("Projector")
    host.create_room(room_id, title="Big screen")
    guest.join(room_id)
    guest.ask("First question")
    guest.ask("Second question")
    expect(host.card("Second question")).to_be_visible(timeout=LIVE_MS)

    screen.open(f"/{room_id}/present")
    page = screen.page
    expect(page.get_by_role("heading", level=1)).to_have_text("Big screen")
    top = page.get_by_role("region", name="Top questions")
    expect(top.get_by_role("listitem")).to_have_count(2)
    expect(page.get_by_text("Ask your questions now!")).to_be_visible()
    expect(page.get_by_role("complementary", name="How to join")).to_contain_text(f"/{room_id}")

    spotlight = page.get_by_role("region", name="Now answering")
    host.highlight("First question")
    expect(spotlight).to_contain_text("First question", timeout=LIVE_MS)
    expect(page.get_by_text("Ask your questions now!")).to_be_hidden()
    host.highlight("Second question")
    expect(spotlight).to_contain_text("Second question", timeout=LIVE_MS)
    expect(spotlight).not_to_contain_text("First question")
    host.highlight("Second question")
    expect(spotlight).to_be_hidden(timeout=LIVE_MS)
    expect(page.get_by_text("Ask your questions now!")).to_be_visible()

    host.highlight("First question")
    expect(spotlight).to_contain_text("1 up-vote", timeout=LIVE_MS)
    host.vote_button("First question").click()
    expect(spotlight).to_contain_text("2 up-votes", timeout=LIVE_MS)


@pytest.mark.parametrize("look", LOOKS, indirect=True)
def test_the_projector_warns_when_phones_cannot_open_its_link(people: People, room_id: str) -> None:
    host = people("Hana")
    screen = people("Projector")
    host.create_room(room_id)
    screen.open(f"/{room_id}/present")
    join = screen.page.get_by_role("complementary", name="How to join")
    expect(join).to_contain_text(f"127.0.0.1:{screen.base_url.rsplit(':', 1)[1]}/{room_id}")
    expect(join).to_contain_text("Phones cannot open this link")
    expect(join).to_contain_text("--host 0.0.0.0")
    expect(join).to_contain_text("--public-url")


@pytest.mark.parametrize("look", LOOKS, indirect=True)
def test_the_projector_shows_the_rooms_state_instead_of_inviting_questions(
    people: People, room_id: str
) -> None:
    host = people("Hana")
    screen = people("Projector")
    host.create_room(room_id)
    screen.open(f"/{room_id}/present")
    page = screen.page
    join = page.get_by_role("complementary", name="How to join")
    expect(page.get_by_text("Ask your questions now!")).to_be_visible()
    expect(join).to_contain_text("Join and ask at")
    host.settings(state="Voting only")
    expect(page.get_by_text("Vote for the questions you want answered!")).to_be_visible(
        timeout=LIVE_MS
    )
    expect(join).to_contain_text("Join and vote at")
    expect(page.get_by_text("Ask your questions now!")).to_have_count(0)
    host.settings(state="Closed")
    expect(page.get_by_text("Questions are closed.")).to_be_visible(timeout=LIVE_MS)
    expect(join).to_contain_text("See the questions at")
    expect(join).not_to_contain_text("Join and")


@pytest.mark.parametrize("look", LOOKS, indirect=True)
def test_the_projector_of_a_missing_room_shows_only_that(people: People, room_id: str) -> None:
    screen = people("Projector")
    screen.open(f"/{room_id}/present")
    page = screen.page
    expect(page.get_by_role("heading", level=1)).to_have_text("This room does not exist.")
    for gone in ("Now answering", "Top questions"):
        expect(page.get_by_role("region", name=gone)).to_have_count(0)
    expect(page.get_by_role("complementary", name="How to join")).to_have_count(0)
    expect(page.get_by_role("link", name="Go to the start page")).to_be_visible()


# Lets a test cut the page's sockets and keep it from reconnecting until it allows it again.
CUTTABLE_SOCKETS = """
window.sockets = [];
window.cut = false;
const Native = window.WebSocket;
window.WebSocket = class extends Native {
  constructor(url, ...rest) {
    super(window.cut ? "ws://127.0.0.1:9/" : url, ...rest);
    window.sockets.push(this);
  }
};
"""


@pytest.mark.parametrize("look", LOOKS, indirect=True)
def test_the_projector_hides_its_head_count_while_disconnected(
    people: People, room_id: str
) -> None:
    host = people("Hana")
    screen = people("Projector")
    screen.page.add_init_script(CUTTABLE_SOCKETS)
    host.create_room(room_id)
    screen.open(f"/{room_id}/present")
    count = screen.page.get_by_text(re.compile(r"^\d+ (person|people) here$"))
    expect(count).to_be_visible(timeout=LIVE_MS * 5)
    screen.page.evaluate("window.cut = true; for (const s of window.sockets) s.close();")
    expect(screen.page.get_by_role("status")).to_have_text("Reconnecting…", timeout=LIVE_MS * 5)
    expect(count).to_be_hidden()
    screen.page.evaluate("window.cut = false")
    expect(count).to_be_visible(timeout=LIVE_MS * 20)
