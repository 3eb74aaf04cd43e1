"""Moderator tools: search and filters, bulk approve and dismiss, mark answered
and reopen, and the asker told on their own screen, on a phone and on a desktop."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Locator, expect

from .conftest import DESKTOP, LOOKS, People
from .people import LIVE_MS, Person

pytestmark = pytest.mark.browser

ERROR_RED = {"light": "rgb(179, 38, 30)", "dark": "rgb(255, 138, 128)"}


def search(person: Person) -> Locator:
    return person.page.get_by_role("searchbox", name="Search questions")


def show(person: Person, name: str) -> Locator:
    """Press one of the filter buttons ("All", "Answered"...) and return it."""
    button = person.page.get_by_role("group", name="Show").get_by_role(
        "button", name=name, exact=True
    )
    button.click()
    expect(button).to_have_attribute("aria-pressed", "true")
    return button


def cards(person: Person) -> Locator:
    return person.page.locator("li.card")


def count(person: Person) -> Locator:
    return person.page.get_by_role("search", name="Questions").get_by_role("status")


def toasts(person: Person) -> Locator:
    return person.page.locator(".toasts .toast")


def fits_the_screen(person: Person) -> None:
    """Nothing sticks out sideways (a phone must not scroll horizontally)."""
    viewport = person.page.viewport_size
    assert viewport is not None
    assert person.page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]


@pytest.mark.parametrize("look", LOOKS, indirect=True)
def test_search_and_filters_narrow_the_questions_as_you_type(
    people: People, room_id: str, look: dict[str, Any]
) -> None:
    host, guest = people("Hana"), people("Gus")
    host.create_room(room_id)
    host.settings(anonymous=True)
    guest.join(room_id)
    guest.ask("Where is the Café?")
    guest.ask("When is lunch?")
    guest.ask("Is parking free?", anonymous=True)
    host.ask("Any volunteers for tomorrow?")
    expect(cards(guest)).to_have_count(4, timeout=LIVE_MS)
    host.reply("When is lunch?", "At noon, in the cafe.")

    box = search(guest)
    expect(box).to_have_attribute("type", "search")
    box.press_sequentially("cafe")
    # Accents and case do not matter; the answer is searched too.
    expect(cards(guest)).to_have_count(2)
    expect(guest.card("Where is the Café?")).to_be_visible()
    expect(guest.card("When is lunch?")).to_be_visible()
    expect(count(guest)).to_have_text("2 of 4 questions")
    box.fill("hana")
    expect(cards(guest)).to_have_count(1)
    expect(guest.card("Any volunteers for tomorrow?")).to_be_visible()
    box.fill("")
    expect(cards(guest)).to_have_count(4)
    expect(count(guest)).to_have_text("")

    show(guest, "Answered")
    expect(cards(guest)).to_have_count(1)
    expect(guest.card("When is lunch?")).to_be_visible()
    show(guest, "Unanswered")
    expect(cards(guest)).to_have_count(3)
    show(guest, "Mine")
    expect(cards(guest)).to_have_count(3)
    expect(guest.card("Any volunteers for tomorrow?")).to_have_count(0)
    expect(count(guest)).to_have_text("3 of 4 questions")
    # Only one filter is pressed at a time.
    pressed = guest.page.get_by_role("group", name="Show").locator("[aria-pressed=true]")
    expect(pressed).to_have_count(1)

    # A new question that matches arrives while filtering.
    box.fill("parking")
    expect(cards(guest)).to_have_count(1)
    host.ask("Where is parking for bikes?")
    expect(cards(guest)).to_have_count(1)
    show(guest, "All")
    expect(cards(guest)).to_have_count(2, timeout=LIVE_MS)
    expect(count(guest)).to_have_text("2 of 5 questions")

    # The anonymous question is not found by its asker's name on anyone else's screen.
    search(host).fill("gus")
    expect(cards(host)).to_have_count(2)
    expect(host.card("Is parking free?")).to_have_count(0)
    search(host).fill("anonymous")
    expect(host.card("Is parking free?")).to_be_visible()

    box.fill("nothing like this")
    expect(cards(guest)).to_have_count(0)
    empty = guest.page.get_by_text("No questions match.")
    expect(empty).to_be_visible()
    expect(count(guest)).to_have_text("0 of 5 questions")
    guest.page.get_by_role("button", name="Show all questions").click()
    expect(cards(guest)).to_have_count(5)
    expect(box).to_be_focused()
    expect(box).to_have_value("")
    fits_the_screen(guest)


@pytest.mark.parametrize("look", LOOKS, indirect=True)
def test_a_host_approves_or_dismisses_several_waiting_questions_at_once(
    people: People, room_id: str, look: dict[str, Any]
) -> None:
    host, guest, other = people("Hana"), people("Gus"), people("Ola")
    host.create_room(room_id)
    host.settings(moderation=True)
    guest.join(room_id)
    other.join(room_id)
    asked = ["First held?", "Second held?", "Third held?", "Fourth held?"]
    for text in asked:
        guest.ask(text)
    queue = host.page.get_by_role("heading", name=re.compile("Waiting for approval"))
    expect(queue).to_contain_text("(4)", timeout=LIVE_MS)
    expect(cards(other)).to_have_count(0)

    approve = host.page.get_by_role("button", name=re.compile(r"^Approve selected"))
    dismiss = host.page.get_by_role("button", name=re.compile(r"^Dismiss selected"))
    expect(approve).to_have_text("Approve selected (0)")
    expect(approve).to_have_attribute("aria-disabled", "true")
    assert style(dismiss, "color") == ERROR_RED[look["color_scheme"]]

    # Keyboard: Space ticks a box.
    host.card("First held?").get_by_role("checkbox", name="Select").focus()
    host.page.keyboard.press("Space")
    host.card("Third held?").get_by_role("checkbox", name="Select").check()
    expect(approve).to_have_text("Approve selected (2)")
    approve.click()
    for text in ("First held?", "Third held?"):
        expect(other.card(text)).to_be_visible(timeout=LIVE_MS)
    expect(queue).to_contain_text("(2)")
    expect(approve).to_have_text("Approve selected (0)")

    host.card("Second held?").get_by_role("checkbox", name="Select").check()
    expect(dismiss).to_have_text("Dismiss selected (1)")
    dismiss.click()
    dialog = host.dialog("Dismiss the selected questions?")
    confirm = dialog.get_by_role("button", name="Dismiss")
    assert "danger" in (confirm.get_attribute("class") or "")
    confirm.click()
    expect(dialog).to_be_hidden()
    expect(host.card("Second held?")).to_have_count(0, timeout=LIVE_MS)
    expect(guest.card("Second held?")).to_have_count(0, timeout=LIVE_MS)
    told = toasts(guest).filter(has_text="A host dismissed your question: “Second held?”")
    expect(told).to_have_count(1, timeout=LIVE_MS)
    # Closed by hand (it would go by itself after a while).
    told.get_by_role("button", name="Close this notice").click()
    expect(told).to_have_count(0)
    expect(queue).to_contain_text("(1)")

    everything = host.page.get_by_role("button", name=re.compile(r"^Approve all"))
    expect(everything).to_have_text("Approve all (1)")
    everything.click()
    expect(other.card("Fourth held?")).to_be_visible(timeout=LIVE_MS)
    expect(cards(other)).to_have_count(3)
    expect(queue).to_contain_text("(0)")
    expect(queue).to_be_focused()
    # Approving is no news for the asker's toasts, and Ola was told nothing.
    expect(toasts(guest).filter(has_text="held")).to_have_count(0)
    expect(toasts(other)).to_have_count(0)
    snapshot = other.snapshot(room_id)
    assert sorted(q["questionText"] for q in snapshot["questions"]) == sorted(
        ["First held?", "Third held?", "Fourth held?"]
    )
    fits_the_screen(host)


@pytest.mark.parametrize("look", LOOKS, indirect=True)
def test_mark_answered_reopen_and_the_asker_alone_is_told(
    people: People, room_id: str, look: dict[str, Any]
) -> None:
    host, guest = people("Hana"), people("Gus")
    other, projector = people("Ola"), people("Projector", viewport=DESKTOP)
    host.create_room(room_id)
    host.settings(anonymous=True)
    guest.join(room_id)
    other.join(room_id)
    projector.open(f"/{room_id}/present")
    guest.ask("Is the bar open?", anonymous=True)
    expect(host.card("Is the bar open?")).to_be_visible(timeout=LIVE_MS)

    host.card("Is the bar open?").get_by_role("button", name="Mark answered").click()
    for person in (host, guest, other):
        card = person.card("Is the bar open?")
        expect(card).to_contain_text("ANSWERED", timeout=LIVE_MS)
        expect(card).to_contain_text("Marked answered by Hana")
        expect(card.get_by_role("heading", name="Response:")).to_have_count(0)
    expect(toasts(guest).last).to_have_text(
        "A host marked your question answered: “Is the bar open?”", timeout=LIVE_MS
    )
    top = projector.page.get_by_role("region", name="Top questions")
    expect(top.locator("li.answered")).to_have_count(1, timeout=LIVE_MS)
    # Keyboard: the button that replaced the one pressed keeps the focus.
    reopen = host.card("Is the bar open?").get_by_role("button", name="Reopen")
    expect(reopen).to_be_focused()
    host.page.keyboard.press("Enter")
    for person in (host, guest, other):
        expect(person.card("Is the bar open?")).to_contain_text("UNANSWERED", timeout=LIVE_MS)
    expect(top.locator("li.answered")).to_have_count(0, timeout=LIVE_MS)
    expect(
        host.card("Is the bar open?").get_by_role("button", name="Mark answered")
    ).to_be_focused()

    host.highlight("Is the bar open?")
    expect(toasts(guest).last).to_have_text(
        "A host is answering your question now: “Is the bar open?”", timeout=LIVE_MS
    )
    host.reply("Is the bar open?", "Until midnight.")
    expect(toasts(guest).last).to_have_text(
        "A host answered your question “Is the bar open?”: Until midnight.", timeout=LIVE_MS
    )
    # A reopened question keeps its written answer on show.
    host.card("Is the bar open?").get_by_role("button", name="Reopen").click()
    expect(other.page.locator("li.card.answered")).to_have_count(0, timeout=LIVE_MS)
    expect(other.card("Is the bar open?")).to_contain_text("Until midnight.")
    expect(host.card("Is the bar open?").get_by_role("button", name="Edit reply")).to_be_visible()

    # The notices are the asker's alone; the question stays anonymous to everyone else.
    answered = toasts(guest).filter(has_text="Until midnight.")
    expect(answered.locator("p")).to_have_attribute("dir", "auto")
    for person in (host, other):
        expect(toasts(person)).to_have_count(0)
    [question] = other.snapshot(room_id)["questions"]
    assert (question["author"], question["mine"]) == (None, False)
    fits_the_screen(guest)
    answered.get_by_role("button", name="Close this notice").click()
    expect(answered).to_have_count(0)


@pytest.mark.parametrize("look", LOOKS, indirect=True)
def test_a_notice_stays_while_the_asker_is_on_it(
    people: People, room_id: str, look: dict[str, Any]
) -> None:
    host, guest = people("Hana"), people("Gus")
    host.create_room(room_id)
    guest.page.clock.install()
    guest.join(room_id)
    guest.ask("Is the bar open?")
    expect(host.card("Is the bar open?")).to_be_visible(timeout=LIVE_MS)
    host.highlight("Is the bar open?")
    notice = toasts(guest)
    expect(notice).to_have_count(1, timeout=LIVE_MS)

    # Keyboard: its Close button focused, the notice waits however long it takes to read.
    notice.get_by_role("button", name="Close this notice").focus()
    guest.page.clock.run_for(40_000)
    expect(notice).to_have_count(1)
    guest.composer.focus()
    guest.page.clock.run_for(16_000)
    expect(notice).to_have_count(0)


def style(locator: Locator, prop: str) -> str:
    value: str = locator.evaluate(f"e => getComputedStyle(e).{prop}")
    return value
