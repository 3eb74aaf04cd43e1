"""What a newcomer ran into on the room page, each fixed and kept fixed."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Locator, expect

from .conftest import LOOKS, People
from .people import LIVE_MS

pytestmark = pytest.mark.browser

ERROR_RED = {"light": "rgb(179, 38, 30)", "dark": "rgb(255, 138, 128)"}


def style(locator: Locator, prop: str) -> str:
    value: str = locator.evaluate(f"(e) => getComputedStyle(e).{prop}")
    return value


@pytest.mark.parametrize("look", LOOKS, indirect=True)
def test_a_length_error_follows_the_text_and_goes_once_it_is_fixed(
    people: People, room_id: str
) -> None:
    host = people("Hana")
    host.create_room(room_id)
    host.composer.fill("x" * 520)
    host.page.get_by_role("button", name="Submit your question").click()
    error = host.page.get_by_role("alert").filter(has_text="at most 500 characters")
    expect(error).to_contain_text("now 520")
    host.composer.fill("x" * 510)
    expect(error).to_contain_text("now 510")
    host.composer.fill("x" * 400)
    expect(host.page.locator("#ask-error")).to_be_hidden()


@pytest.mark.parametrize("look", LOOKS, indirect=True)
def test_right_to_left_text_is_laid_out_right_to_left(people: People, room_id: str) -> None:
    host, guest = people("Hana"), people("דנה")
    screen = people("Projector")
    host.create_room(room_id, title="שאלות ותשובות")
    guest.join(room_id)
    guest.ask("מה השעה?")
    card = host.card("מה השעה?")
    expect(card).to_be_visible(timeout=LIVE_MS)
    host.reply("מה השעה?", "שלוש.")
    expect(card.locator(".a-text")).to_have_text("שלוש.", timeout=LIVE_MS)
    assert style(card.locator(".q-text"), "direction") == "rtl"
    assert style(card.get_by_text("דנה", exact=True), "direction") == "rtl"
    assert style(card.locator(".a-text"), "direction") == "rtl"
    assert style(host.page.get_by_role("heading", level=1), "direction") == "rtl"
    host.composer.fill("שאלה")
    assert style(host.composer, "direction") == "rtl"
    screen.open(f"/{room_id}/present")
    expect(screen.page.get_by_text("מה השעה?")).to_be_visible()
    assert style(screen.page.get_by_text("מה השעה?"), "direction") == "rtl"
    assert style(screen.page.get_by_role("heading", level=1), "direction") == "rtl"


@pytest.mark.parametrize("look", LOOKS, indirect=True)
def test_settings_controls_keep_their_size_on_a_phone(people: People, room_id: str) -> None:
    host = people("Hana")
    host.create_room(room_id)
    host.settings_button.click()
    dialog = host.dialog("Room Settings")
    controls = [
        dialog.get_by_role("radio", name="Open"),
        dialog.get_by_role("radio", name="Voting only"),
        dialog.get_by_role("radio", name="Closed"),
        dialog.get_by_role("checkbox", name=re.compile("Moderation")),
        dialog.get_by_role("checkbox", name="Allow anonymous questions"),
    ]
    sizes = set()
    for control in controls:
        box = control.bounding_box()
        assert box is not None
        sizes.add((round(box["width"]), round(box["height"])))
    assert len(sizes) == 1, sizes


@pytest.mark.parametrize("look", LOOKS, indirect=True)
def test_the_share_section_shows_that_it_opens(people: People, room_id: str) -> None:
    host = people("Hana")
    host.create_room(room_id)
    host.settings_button.click()
    summary = host.dialog("Room Settings").get_by_text("Share, export and host key")
    # A list item draws the disclosure triangle; a flex box drew none.
    assert style(summary, "display") == "list-item"


@pytest.mark.parametrize("look", LOOKS, indirect=True)
def test_ask_anonymously_counts_for_one_question_only(people: People, room_id: str) -> None:
    host, guest = people("Hana"), people("Gus")
    host.create_room(room_id)
    host.settings(anonymous=True)
    guest.join(room_id)
    anonymous = guest.page.get_by_label("Ask anonymously")
    guest.ask("Secret one?", anonymous=True)
    expect(host.card("Secret one?")).to_contain_text("asked by Anonymous", timeout=LIVE_MS)
    expect(anonymous).not_to_be_checked()
    guest.ask("Named one?")
    expect(host.card("Named one?")).to_contain_text("asked by Gus", timeout=LIVE_MS)


@pytest.mark.parametrize("look", LOOKS, indirect=True)
def test_closed_stops_attendees_not_hosts_and_shows_on_their_screens(
    people: People, room_id: str
) -> None:
    host, guest = people("Hana"), people("Gus")
    host.create_room(room_id)
    guest.join(room_id)
    guest.ask("Before closing?")
    expect(host.card("Before closing?")).to_be_visible(timeout=LIVE_MS)

    host.settings(state="Voting only")
    expect(guest.page.get_by_text("This room takes no new questions")).to_be_visible(
        timeout=LIVE_MS
    )
    expect(guest.composer).to_be_hidden()
    host.settings(state="Closed")
    expect(guest.page.get_by_text("This room is closed")).to_be_visible(timeout=LIVE_MS)
    expect(guest.composer).to_be_hidden()
    expect(guest.vote_button("Before closing?")).to_be_disabled()

    host.reply("Before closing?", "Answered when closed.")
    expect(guest.card("Before closing?")).to_contain_text("Answered when closed.", timeout=LIVE_MS)
    host.highlight("Before closing?")
    expect(guest.page.get_by_role("region", name="Now answering")).to_be_visible(timeout=LIVE_MS)
    host.delete("Before closing?")
    expect(guest.card("Before closing?")).to_have_count(0, timeout=LIVE_MS)


@pytest.mark.parametrize("look", LOOKS, indirect=True)
def test_delete_is_drawn_as_a_destructive_action(
    people: People, room_id: str, look: dict[str, Any]
) -> None:
    scheme = look["color_scheme"]
    host = people("Hana")
    host.create_room(room_id)
    host.ask("Delete me?")
    delete = host.card("Delete me?").get_by_role("button", name="Delete")
    assert style(delete, "color") == ERROR_RED[scheme]
    delete.click()
    confirm = host.dialog("Really delete this question?").get_by_role("button", name="Delete")
    assert style(confirm, "color") == ERROR_RED[scheme]
    assert "danger" in (confirm.get_attribute("class") or "")


@pytest.mark.parametrize("look", LOOKS, indirect=True)
def test_a_long_room_name_takes_two_lines_of_the_header_at_most(
    people: People, room_id: str
) -> None:
    host = people("Hana")
    name = "A very long room name for the all-hands meeting of the whole company in May"
    host.create_room(room_id, title=name)
    heading = host.page.get_by_role("heading", level=1)
    expect(heading).to_have_text(name)
    font = float(style(heading, "fontSize").removesuffix("px"))
    box = heading.bounding_box()
    assert box is not None
    assert box["height"] <= 3 * font, (box, font)


@pytest.mark.parametrize("look", LOOKS, indirect=True)
def test_the_question_form_is_one_key_press_away(people: People, room_id: str) -> None:
    host, guest = people("Hana"), people("Gus")
    host.create_room(room_id)
    for number in range(4):
        host.ask(f"Question {number}?")
    expect(host.card("Question 3?")).to_be_visible(timeout=LIVE_MS)
    guest.join(room_id)
    expect(guest.card("Question 3?")).to_be_visible()
    # The room opens on its name; the next Tab is the skip link, and Enter reaches the form.
    expect(guest.page.get_by_role("heading", level=1)).to_be_focused()
    guest.page.keyboard.press("Tab")
    skip = guest.page.get_by_role("link", name="Skip to the question form")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    guest.page.keyboard.press("Enter")
    expect(guest.composer).to_be_focused()
    guest.page.keyboard.type("Typed without a mouse?")
    guest.page.keyboard.press("Control+Enter")
    expect(host.card("Typed without a mouse?")).to_be_visible(timeout=LIVE_MS)


# Sockets of this page are refused (a path the server has no socket at) until someone presses
# "Retry now": a scheduled reconnect can never get in before that click.
BLOCKED_SOCKETS = """
window.blocked = true;
const Native = window.WebSocket;
window.WebSocket = class extends Native {
  constructor(url, ...rest) {
    super(window.blocked ? `ws://${location.host}/no-socket-here` : url, ...rest);
  }
};
document.addEventListener("click", (event) => {
  if (event.target.closest("button")?.textContent === "Retry now") window.blocked = false;
}, true);
"""


@pytest.mark.parametrize("look", LOOKS, indirect=True)
def test_a_room_whose_socket_cannot_open_still_shows_with_a_retry(
    people: People, room_id: str
) -> None:
    host, guest = people("Hana"), people("Gus")
    host.create_room(room_id, title="Hard to reach")
    host.ask("Can you see me?")
    guest.page.add_init_script(BLOCKED_SOCKETS)
    guest.open("/")
    guest.page.get_by_label("Enter your name:").fill("Gus")
    guest.page.get_by_label("Enter the ID of the room that you want to join.").fill(room_id)
    guest.page.get_by_role("button", name="Enter Room").click()
    expect(guest.page.get_by_role("heading", level=1)).to_have_text("Hard to reach")
    expect(guest.card("Can you see me?")).to_be_visible()
    expect(guest.page.get_by_text(re.compile(r"Connection lost. Reconnecting in"))).to_be_visible()
    guest.page.get_by_role("button", name="Retry now").click()
    expect(guest.page.get_by_text("Back online.")).to_be_visible()
    guest.ask("Now I am in?")
    expect(host.card("Now I am in?")).to_be_visible(timeout=LIVE_MS)


@pytest.mark.parametrize("look", LOOKS, indirect=True)
def test_top_keeps_the_readers_place_and_sorts_again_on_demand(
    people: People, room_id: str, look: dict[str, Any]
) -> None:
    host = people("Hana")
    # Short, so that five questions make a list to scroll into.
    reader = people("Rita", viewport={"width": look["viewport"]["width"], "height": 420})
    voters = [people(name) for name in ("Vic", "Val", "Vera")]
    host.create_room(room_id)
    texts = [f"Question number {n}?" for n in range(5)]
    for text in texts:
        host.ask(text)
        expect(host.card(text)).to_be_visible(timeout=LIVE_MS)
    reader.join(room_id)
    cards = reader.page.locator("li.card")
    expect(cards).to_have_count(5)
    order = [card.get_attribute("data-id") for card in cards.all()]
    # Reading the list, away from its top.
    reader.card(texts[3]).scroll_into_view_if_needed()
    reader.page.mouse.wheel(0, 150)
    listed = "document.querySelector('ol[aria-label=Questions]')"
    reader.page.wait_for_function(f"{listed}.getBoundingClientRect().top < 0")
    for voter in voters:
        voter.join(room_id)
        voter.vote_button(texts[4]).click()
        expect(reader.vote_button(texts[4])).to_contain_text(
            str(2 + voters.index(voter)), timeout=LIVE_MS
        )
    assert [card.get_attribute("data-id") for card in cards.all()] == order
    resort = reader.page.get_by_role("button", name=re.compile(r"updates?: sort again"))
    expect(resort).to_be_visible()
    resort.click()
    expect(cards.first).to_contain_text(texts[4])
    expect(resort).to_be_hidden()
