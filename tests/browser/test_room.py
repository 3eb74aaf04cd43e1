"""Two or three people in one room, each in their own browser, seeing each other's changes."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .conftest import People
from .people import LIVE_MS

pytestmark = pytest.mark.browser


def test_two_people_see_each_others_changes_live(people: People, room_id: str) -> None:
    host, guest = people("Hana"), people("Gus")
    host.create_room(room_id, title="Town hall")
    guest.join(room_id)
    expect(guest.page.get_by_role("heading", level=1)).to_have_text("Town hall")

    guest.ask("Why GRIP?")
    expect(host.card("Why GRIP?")).to_be_visible(timeout=LIVE_MS)
    expect(host.card("Why GRIP?")).to_contain_text("asked by Gus")
    expect(guest.vote_button("Why GRIP?")).to_have_accessible_name("Remove your up-vote: 1 up-vote")

    host.vote_button("Why GRIP?").click()
    expect(host.vote_button("Why GRIP?")).to_have_attribute("aria-pressed", "true")
    expect(guest.vote_button("Why GRIP?")).to_have_accessible_name(
        "Remove your up-vote: 2 up-votes", timeout=LIVE_MS
    )
    host.vote_button("Why GRIP?").click()
    expect(host.vote_button("Why GRIP?")).to_have_attribute("aria-pressed", "false")
    expect(guest.vote_button("Why GRIP?")).to_have_accessible_name(
        "Remove your up-vote: 1 up-vote", timeout=LIVE_MS
    )

    host.reply("Why GRIP?", "Because fan-out is hard.")
    expect(guest.card("Why GRIP?")).to_contain_text("Because fan-out is hard.", timeout=LIVE_MS)
    expect(guest.card("Why GRIP?")).to_contain_text("ANSWERED")
    expect(guest.card("Why GRIP?")).to_contain_text("Hana")

    guest.rename("Gustav")
    expect(host.card("Why GRIP?")).to_contain_text("asked by Gustav", timeout=LIVE_MS)

    host.settings(title="Town hall, day 2", colour="#d35192")
    heading = guest.page.get_by_role("heading", level=1)
    expect(heading).to_have_text("Town hall, day 2", timeout=LIVE_MS)
    expect(guest.page.locator("html")).to_have_attribute(
        "style", re.compile("--theme: #d35192"), timeout=LIVE_MS
    )

    host.delete("Why GRIP?")
    expect(guest.card("Why GRIP?")).to_have_count(0, timeout=LIVE_MS)
    expect(guest.page.get_by_text("there are no questions in this room yet")).to_be_visible()


def test_moderation_holds_a_question_back_from_others_until_approved(
    people: People, room_id: str
) -> None:
    host, author, other = people("Hana"), people("Aki"), people("Oli")
    host.create_room(room_id)
    host.settings(moderation=True)
    author.join(room_id)
    other.join(room_id)

    author.ask("Held back?")
    expect(author.card("Held back?")).to_contain_text("WAITING FOR APPROVAL")
    expect(
        author.page.get_by_role("heading", name="Your questions waiting for approval")
    ).to_be_visible()
    expect(host.card("Held back?")).to_contain_text("PENDING", timeout=LIVE_MS)
    expect(host.page.get_by_role("heading", name="Waiting for approval (1)")).to_be_visible()
    # The host has it, so a leak to the other attendee would have been sent by now.
    expect(other.card("Held back?")).to_have_count(0)
    snapshot = other.snapshot(room_id)
    assert [q["questionText"] for q in snapshot["questions"]] == []

    host.card("Held back?").get_by_role("button", name="Approve").click()
    expect(other.card("Held back?")).to_be_visible(timeout=LIVE_MS)
    expect(other.card("Held back?")).to_contain_text("UNANSWERED")
    expect(author.card("Held back?")).to_contain_text("UNANSWERED", timeout=LIVE_MS)
    expect(
        author.page.get_by_role("heading", name="Your questions waiting for approval")
    ).to_be_hidden()


MARKUP = "<img src=x onerror=alert(1)>"


def test_a_question_with_markup_shows_as_text(people: People, room_id: str) -> None:
    host, guest = people("Hana"), people("Mallory")
    host.create_room(room_id)
    guest.join(room_id)
    guest.ask(MARKUP)
    expect(host.card(MARKUP)).to_be_visible(timeout=LIVE_MS)
    host.reply(MARKUP, "<b>not bold</b>")
    host.highlight(MARKUP)
    for person in (host, guest):
        expect(person.card(MARKUP)).to_contain_text("<b>not bold</b>", timeout=LIVE_MS)
        expect(person.page.get_by_role("region", name="Now answering")).to_contain_text(MARKUP)
        expect(person.page.locator("img[src=x], b:text('not bold')")).to_have_count(0)
    # Reloading renders it from the snapshot rather than from events.
    guest.page.reload()
    expect(guest.card(MARKUP)).to_be_visible()
    expect(guest.page.locator("img[src=x]")).to_have_count(0)
    assert host.dialogs == guest.dialogs == []


def test_a_reload_keeps_identity_and_host_role(people: People, room_id: str) -> None:
    host, guest = people("Hana"), people("Gus")
    host.create_room(room_id, title="Reloaded")
    guest.join(room_id)
    guest.ask("Still me?")
    expect(host.card("Still me?")).to_be_visible(timeout=LIVE_MS)

    for person in (host, guest):
        person.page.reload()
        expect(person.composer).to_be_visible()
        expect(
            person.page.get_by_role("button", name=f"{person.name} (change your name)")
        ).to_be_visible()
        # A person who chose their name is not asked for it again.
        expect(person.page.get_by_role("region", name=re.compile("^Welcome"))).to_have_count(0)
    expect(host.settings_button).to_be_visible()
    expect(guest.settings_button).to_have_count(0)
    expect(guest.vote_button("Still me?")).to_have_attribute("aria-pressed", "true")
    expect(guest.card("Still me?")).to_contain_text("asked by Gus")

    # The server still treats the reloaded host as host.
    host.reply("Still me?", "Yes, and still host.")
    expect(guest.card("Still me?")).to_contain_text("Yes, and still host.", timeout=LIVE_MS)


def test_a_host_question_is_badged_and_a_copy_of_the_host_name_is_not(
    people: People, room_id: str
) -> None:
    host, copycat = people("Hana"), people("Hana")
    host.create_room(room_id, title="Town hall")
    copycat.join(room_id)
    host.ask("From the stage")
    copycat.ask("Also from the stage")
    for viewer in (host, copycat):
        for text, badged in (("From the stage", True), ("Also from the stage", False)):
            expect(viewer.card(text)).to_be_visible(timeout=LIVE_MS)
            tag = viewer.card(text).locator(".meta .badge")
            if badged:
                expect(tag).to_be_visible(timeout=LIVE_MS)
            else:
                expect(tag).to_be_hidden()
    expect(host.card("From the stage").locator(".meta")).to_contain_text("Hana HOST")
