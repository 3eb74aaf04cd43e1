"""A host's console: the rooms they host, deleting a room, clearing its questions."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Locator, expect

from .conftest import DESKTOP, LOOKS, People
from .people import LIVE_MS, Person

pytestmark = pytest.mark.browser

# Counts the sockets a page opens, so a test can tell that it stopped reconnecting.
COUNT_SOCKETS = """
window.socketsOpened = 0;
const Native = window.WebSocket;
window.WebSocket = class extends Native {
  constructor(...args) {
    super(...args);
    window.socketsOpened += 1;
  }
};
"""


def danger_zone(person: Person) -> Locator:
    """The settings' section for clearing questions and deleting the room, opened."""
    person.settings_button.click()
    dialog = person.dialog("Room Settings")
    dialog.get_by_text("Clear questions or delete the room").click()
    return dialog


@pytest.mark.parametrize("look", LOOKS, indirect=True)
def test_the_start_page_lists_the_rooms_i_host(people: People, room_id: str) -> None:
    host, guest = people("Hana"), people("Gus")
    host.create_room(f"{room_id}-a", title="Morning session")
    host.create_room(f"{room_id}-b", title="Afternoon session")
    guest.join(f"{room_id}-a")
    guest.ask("First?")
    expect(guest.card("First?")).to_be_visible(timeout=LIVE_MS)
    expect(host.page.get_by_role("heading", level=1)).to_have_text("Afternoon session")
    host.open("/")
    rooms = host.page.get_by_role("region", name="Your rooms")
    items = rooms.get_by_role("listitem")
    # The room with the newest question comes first.
    expect(items).to_have_count(2)
    expect(items.nth(0)).to_contain_text("Morning session")
    expect(items.nth(0)).to_contain_text(f"{room_id}-a · open · 1 question · owner · active")
    expect(items.nth(1)).to_contain_text(f"{room_id}-b · open · 0 questions · owner")
    guest.open("/")
    expect(guest.page.get_by_label("Enter your name:")).to_have_value("Gus")
    expect(guest.page.get_by_role("region", name="Your rooms")).to_have_count(0)

    rooms.get_by_role("link", name="Morning session").click()
    expect(host.card("First?")).to_be_visible()
    expect(host.settings_button).to_be_visible()


@pytest.mark.parametrize("look", LOOKS, indirect=True)
def test_the_owner_deletes_a_room_after_typing_its_id(people: People, room_id: str) -> None:
    owner, guest, newcomer = people("Olivia"), people("Gus"), people("Nia")
    guest.page.add_init_script(COUNT_SOCKETS)
    owner.create_room(room_id, title="Short-lived")
    guest.join(room_id)
    guest.ask("Still there?")
    expect(owner.card("Still there?")).to_be_visible(timeout=LIVE_MS)
    assert guest.send_by_hand(room_id, {"type": "QUESTIONS_CLEAR"})["code"] == "not_host"

    dialog = danger_zone(owner)
    confirm = dialog.get_by_label(re.compile("type its ID"))
    dialog.get_by_role("button", name="Delete this room").click()
    expect(dialog).to_contain_text(f"Type the room's ID, {room_id}, to confirm.")
    confirm.fill("not-it")
    dialog.get_by_role("button", name="Delete this room").click()
    expect(dialog).to_contain_text(f"Type the room's ID, {room_id}, to confirm.")
    confirm.fill(room_id)
    dialog.get_by_role("button", name="Delete this room").click()

    for person in (owner, guest):
        expect(person.page.get_by_text("This room was deleted.")).to_be_visible(timeout=LIVE_MS * 3)
    expect(owner.page.get_by_role("dialog")).to_have_count(0)
    opened = guest.page.evaluate("window.socketsOpened")
    time.sleep(2)
    assert guest.page.evaluate("window.socketsOpened") == opened, "it stopped reconnecting"
    response = guest.page.request.get(f"{guest.base_url}/api/rooms/{room_id}")
    assert response.status == 404

    # The id is free again: a new room under it starts empty and works live.
    newcomer.create_room(room_id, title="Born again")
    owner.open("/")
    owner.open(f"/{room_id}")
    expect(owner.page.get_by_role("heading", level=1)).to_have_text("Born again")
    expect(owner.settings_button).to_have_count(0)
    expect(owner.card("Still there?")).to_have_count(0)
    owner.ask("New here?")
    expect(newcomer.card("New here?")).to_be_visible(timeout=LIVE_MS)


@pytest.mark.parametrize("look", LOOKS, indirect=True)
def test_a_cohost_cannot_delete_the_room(people: People, room_id: str) -> None:
    owner, cohost = people("Olivia"), people("Cora")
    owner.create_room(room_id)
    key = owner.page.request.get(f"{owner.base_url}/api/rooms/{room_id}/host-key").json()
    cohost.join(room_id)
    cohost.open("/")
    cohost.open(f"/{room_id}#host={key['hostKey']}")
    dialog = danger_zone(cohost)
    expect(dialog).to_contain_text("Only the room's owner (its creator) can delete the room.")
    expect(dialog.get_by_role("button", name="Delete this room")).to_have_count(0)
    expect(dialog.get_by_role("button", name="Clear questions")).to_be_visible()


@pytest.mark.parametrize("look", LOOKS, indirect=True)
def test_a_host_clears_answered_then_all_questions(people: People, room_id: str) -> None:
    host, guest = people("Hana"), people("Gus")
    host.create_room(room_id)
    guest.join(room_id)
    for text in ("Answered one?", "Open one?"):
        guest.ask(text)
        expect(host.card(text)).to_be_visible(timeout=LIVE_MS)
    host.reply("Answered one?", "Yes.")
    expect(guest.card("Answered one?")).to_contain_text("Yes.", timeout=LIVE_MS)

    dialog = danger_zone(host)
    dialog.get_by_role("radio", name="Answered questions only").check()
    dialog.get_by_role("button", name="Clear questions").click()
    expect(dialog).to_contain_text("Tick the box first")
    expect(guest.card("Answered one?")).to_be_visible()
    dialog.get_by_role("checkbox", name=re.compile("Delete them for everyone")).check()
    dialog.get_by_role("button", name="Clear questions").click()
    expect(dialog).to_contain_text("1 question deleted.")
    for person in (host, guest):
        expect(person.card("Answered one?")).to_have_count(0, timeout=LIVE_MS)
        expect(person.card("Open one?")).to_be_visible()

    dialog.get_by_role("radio", name=re.compile("All questions")).check()
    dialog.get_by_role("checkbox", name=re.compile("Delete them for everyone")).check()
    dialog.get_by_role("button", name="Clear questions").click()
    expect(dialog).to_contain_text("1 question deleted.")
    for person in (host, guest):
        expect(person.card("Open one?")).to_have_count(0, timeout=LIVE_MS)
    guest.page.reload()
    expect(guest.composer).to_be_visible()
    expect(guest.page.locator("li.card")).to_have_count(0)


def test_a_wide_screen_gives_a_moderating_host_the_queue_beside_the_list(
    people: People, room_id: str
) -> None:
    host = people("Hana", viewport=DESKTOP, color_scheme="dark")
    guest = people("Gus", viewport=DESKTOP)
    host.create_room(room_id)
    host.settings(moderation=True)
    page = host.page
    page.get_by_role("region", name="Your room is ready").get_by_role(
        "button", name="Dismiss"
    ).click()
    guest.join(room_id)
    guest.ask("Waiting one?")
    expect(page.get_by_text(re.compile(r"^2 people here$"))).to_be_visible(timeout=LIVE_MS * 5)
    queue = page.get_by_role("heading", name=re.compile("Waiting for approval"))
    expect(queue).to_contain_text("(1)", timeout=LIVE_MS)
    host.card("Waiting one?").get_by_role("button", name="Approve").click()
    expect(queue).to_contain_text("(0)", timeout=LIVE_MS)
    guest.ask("Second one?")
    expect(queue).to_contain_text("(1)", timeout=LIVE_MS)
    waiting = host.card("Second one?").bounding_box()
    listed = host.card("Waiting one?").bounding_box()
    assert waiting is not None
    assert listed is not None
    assert waiting["x"] + waiting["width"] <= listed["x"], (waiting, listed)
    assert abs(waiting["y"] - listed["y"]) < 250, (waiting, listed)
    # The form is folded away until asked for.
    expect(host.composer).to_be_hidden()
    page.get_by_role("button", name="Ask a question").click()
    expect(host.composer).to_be_focused()
    # Attendees see no count and keep the form.
    expect(guest.page.get_by_text(re.compile(r"people here$"))).to_be_hidden()
    expect(guest.composer).to_be_visible()


def test_on_a_phone_a_moderating_host_keeps_the_form_and_the_queue_above_the_list(
    people: People, room_id: str
) -> None:
    host, guest = people("Hana"), people("Gus")
    host.create_room(room_id)
    host.settings(moderation=True)
    guest.join(room_id)
    guest.ask("Waiting one?")
    page = host.page
    expect(page.get_by_text(re.compile(r"^2 people here$"))).to_be_visible(timeout=LIVE_MS * 5)
    queue = page.get_by_role("heading", name=re.compile("Waiting for approval"))
    expect(queue).to_contain_text("(1)", timeout=LIVE_MS)
    host.card("Waiting one?").get_by_role("button", name="Approve").click()
    guest.ask("Second one?")
    expect(queue).to_contain_text("(1)", timeout=LIVE_MS)
    waiting = host.card("Second one?").bounding_box()
    listed = host.card("Waiting one?").bounding_box()
    assert waiting is not None
    assert listed is not None
    assert waiting["y"] + waiting["height"] <= listed["y"], (waiting, listed)
    assert abs(waiting["x"] - listed["x"]) < 1, (waiting, listed)
    expect(host.composer).to_be_visible()
    expect(page.get_by_role("button", name="Ask a question")).to_be_hidden()
