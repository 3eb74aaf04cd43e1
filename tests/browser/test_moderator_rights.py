"""Moderator rights: edits, authors' own changes, bans and blocked words, on a
phone in light mode and a desktop in dark mode."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from .conftest import DESKTOP, LOOKS, People
from .people import LIVE_MS, Person

pytestmark = pytest.mark.browser


def edit(person: Person, text: str, new_text: str) -> None:
    person.card(text).get_by_role("button", name="Edit", exact=True).click()
    dialog = person.dialog("Edit Question")
    dialog.get_by_label("The question").fill(new_text)
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_be_hidden()


def settings_section(person: Person, summary: str) -> Any:
    person.settings_button.click()
    dialog = person.dialog("Room Settings")
    dialog.get_by_text(summary).click()
    return dialog


@pytest.mark.parametrize("look", LOOKS, indirect=True)
def test_a_host_edit_shows_on_every_screen_the_projector_included(
    people: People, room_id: str, look: dict[str, Any]
) -> None:
    host, guest = people("Hana"), people("Gus")
    projector = people("Projector", viewport=DESKTOP)
    host.create_room(room_id)
    guest.join(room_id)
    guest.ask("Call me at 555 0100, whre is the exit?")
    projector.open(f"/{room_id}/present")
    top = projector.page.get_by_role("region", name="Top questions")
    expect(top).to_contain_text("555 0100")

    edit(host, "Call me at 555 0100, whre is the exit?", "Where is the exit?")
    for person in (host, guest):
        card = person.card("Where is the exit?")
        expect(card).to_contain_text("edited by a host", timeout=LIVE_MS)
    expect(top).to_contain_text("Where is the exit?", timeout=LIVE_MS)
    expect(top).to_contain_text("edited by a host")
    expect(top).not_to_contain_text("555 0100")
    # Its author may not put back what a host took out: no button offers it any more.
    expect(guest.card("Where is the exit?").get_by_role("button", name="Edit")).to_have_count(0)


@pytest.mark.parametrize("look", LOOKS, indirect=True)
def test_authors_edit_and_delete_their_question_until_someone_else_votes(
    people: People, room_id: str, look: dict[str, Any]
) -> None:
    host, guest = people("Hana"), people("Gus")
    host.create_room(room_id)
    guest.join(room_id)
    guest.ask("Waht about lunch?")
    guest.ask("Never mind this one")
    edit(guest, "Waht about lunch?", "What about lunch?")
    expect(host.card("What about lunch?")).to_contain_text("edited", timeout=LIVE_MS)
    expect(host.card("What about lunch?")).not_to_contain_text("edited by a host")

    guest.delete("Never mind this one")
    expect(host.card("Never mind this one")).to_have_count(0, timeout=LIVE_MS)

    host.vote_button("What about lunch?").click()
    mine = guest.card("What about lunch?")
    expect(mine.get_by_role("button", name="Edit")).to_have_count(0, timeout=LIVE_MS)
    expect(mine.get_by_role("button", name="Delete")).to_have_count(0)
    question_id = guest.snapshot(room_id)["questions"][0]["questionId"]
    refused = guest.send_by_hand(
        room_id, {"type": "QUESTION_EDIT", "questionId": question_id, "questionText": "Sneaky"}
    )
    assert (refused["type"], refused["code"]) == ("ERROR", "question_locked")


@pytest.mark.parametrize("look", LOOKS, indirect=True)
def test_a_ban_hides_the_questions_and_holds_in_a_new_tab_until_lifted(
    people: People, room_id: str, look: dict[str, Any]
) -> None:
    host, guest = people("Hana"), people("Gus")
    host.create_room(room_id)
    guest.join(room_id)
    guest.ask("Buy my stuff")
    host.card("Buy my stuff").get_by_role("button", name="Ban").click()
    confirm = host.dialog("Ban this person from the room?")
    expect(confirm.get_by_role("button", name="Ban")).to_have_class(re.compile("danger"))
    confirm.get_by_role("button", name="Ban").click()
    expect(confirm).to_be_hidden()

    expect(host.card("Buy my stuff")).to_have_count(0, timeout=LIVE_MS)
    expect(guest.card("Buy my stuff")).to_have_count(0, timeout=LIVE_MS)
    notice = guest.page.get_by_role("region", name="You are banned from this room")
    expect(notice).to_be_visible(timeout=LIVE_MS)
    expect(guest.composer).to_be_disabled()
    expect(guest.page.get_by_text("Use the form below")).to_have_count(0)

    # Another tab of the same browser: the ban follows the participant, not the socket.
    tab = Person(guest.page.context.new_page(), guest.base_url, "Gus")
    tab.open(f"/{room_id}")
    expect(tab.page.get_by_role("region", name="You are banned from this room")).to_be_visible()
    expect(tab.composer).to_be_disabled()
    refused = tab.send_by_hand(
        room_id, {"type": "QUESTION_POST_TO_ROOM", "questionText": "Again", "nonce": "again1"}
    )
    assert (refused["type"], refused["code"]) == ("ERROR", "banned")

    dialog = settings_section(host, "Blocked words and bans")
    bans = dialog.get_by_role("region", name="Banned people")
    expect(bans).to_contain_text("Gus")
    bans.get_by_role("button", name="Lift the ban of Gus").click()
    expect(bans).to_contain_text("Gus is no longer banned.")
    dialog.get_by_role("button", name="Cancel").click()
    expect(host.card("Buy my stuff")).to_be_visible(timeout=LIVE_MS)
    expect(notice).to_be_hidden(timeout=LIVE_MS)
    expect(guest.card("Buy my stuff")).to_be_visible()
    expect(guest.composer).to_be_enabled()


@pytest.mark.parametrize("look", LOOKS, indirect=True)
def test_blocked_words_refuse_a_question_without_naming_the_word(
    people: People, room_id: str, look: dict[str, Any]
) -> None:
    host, guest = people("Hana"), people("Gus")
    host.create_room(room_id)
    guest.join(room_id)
    dialog = settings_section(host, "Blocked words and bans")
    dialog.get_by_label("Blocked words and phrases, one per line").fill("Crypto\nfree money")
    dialog.get_by_role("button", name="Save blocked words").click()
    expect(dialog).to_contain_text("2 words or phrases blocked.")
    dialog.get_by_role("button", name="Cancel").click()

    guest.ask("Any CRYPTO tips?")
    error = guest.page.get_by_role("alert")
    expect(error).to_contain_text("blocked", timeout=LIVE_MS)
    expect(error).not_to_contain_text("crypto", ignore_case=True)
    guest.composer.fill("Is cryptography on the agenda?")
    guest.page.get_by_role("button", name="Submit your question").click()
    expect(host.card("Is cryptography on the agenda?")).to_be_visible(timeout=LIVE_MS)
