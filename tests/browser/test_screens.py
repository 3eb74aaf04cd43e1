"""The main screens in a lived-in room, saved as screenshots (docs/screenshots with
LIVEQA_SCREENSHOTS=docs/screenshots)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from .conftest import DESKTOP, People
from .people import LIVE_MS, Person

pytestmark = pytest.mark.browser

PROJECTOR = {"width": 1280, "height": 720}
OFFICE = "Will the new office open before the summer?"
CADENCE = "How do we keep the release cadence when the two teams merge?"
SLIDES = "Can we get the slides afterwards?"
ONCALL = "Is on-call going to change next quarter?"


def save(page: Page, directory: Path, name: str) -> None:
    page.screenshot(path=directory / f"{name}.png", animations="disabled")
    assert (directory / f"{name}.png").stat().st_size > 10_000


def test_screens(people: People, screenshot_dir: Path) -> None:
    room_id = "all-hands"
    host = people("Maya", viewport=DESKTOP)
    priya, tom = people("Priya"), people("Tom")
    host.create_room(room_id, title="Quarterly all-hands", colour="#6e1786")
    host.page.get_by_role("region", name="Your room is ready").get_by_role(
        "button", name="Dismiss"
    ).click()
    priya.join(room_id)
    tom.join(room_id)
    priya.ask(OFFICE)
    tom.ask(CADENCE)
    priya.ask(SLIDES)
    tom.ask(ONCALL)
    for person in (host, priya, tom):
        expect(person.card(ONCALL)).to_be_visible(timeout=LIVE_MS)
    votes: list[tuple[Person, str]] = [
        (tom, OFFICE),
        (host, OFFICE),
        (priya, CADENCE),
        (tom, SLIDES),
    ]
    for person, text in votes:
        person.vote_button(text).click()
        expect(person.vote_button(text)).to_have_attribute("aria-pressed", "true")
    host.reply(SLIDES, "Yes: they will be on the wiki tonight, with the recording.")
    host.highlight(OFFICE)
    expect(priya.page.get_by_role("region", name="Now answering")).to_contain_text(
        OFFICE, timeout=LIVE_MS
    )
    expect(priya.vote_button(OFFICE)).to_contain_text("3", timeout=LIVE_MS)

    dark = people("Sam", color_scheme="dark")
    dark.join(room_id)
    screen = people("Projector", viewport=PROJECTOR)
    screen.open(f"/{room_id}/present")
    expect(screen.page.get_by_role("region", name="Now answering")).to_contain_text(OFFICE)
    expect(screen.page.get_by_role("region", name="Top questions")).to_contain_text(CADENCE)
    expect(dark.card(SLIDES)).to_contain_text("on the wiki")

    save(priya.page, screenshot_dir, "attendee")
    save(dark.page, screenshot_dir, "attendee-dark")
    save(host.page, screenshot_dir, "host")
    save(screen.page, screenshot_dir, "projector")
