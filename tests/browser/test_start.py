"""The start page: joining as host of a room that does not exist yet creates it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import LOOKS, People
from .people import LOAD_MS, Person

pytestmark = pytest.mark.browser


def enter_as_host(person: Person, room_id: str, key: str = "") -> None:
    person.open("/")
    person.page.get_by_label("Enter your name:").fill(person.name)
    person.page.get_by_label("Enter the ID of the room that you want to join.").fill(room_id)
    person.page.get_by_label("Join as Host").check()
    person.page.get_by_label("Host key:").fill(key)
    person.page.get_by_role("button", name="Enter Room").click()


@pytest.mark.parametrize("look", LOOKS, indirect=True)
def test_join_as_host_with_a_new_room_id_creates_the_room(people: People, room_id: str) -> None:
    host, other = people("Hana"), people("Olga")
    enter_as_host(host, room_id)
    expect(host.page.get_by_role("heading", name="New Room")).to_be_visible(timeout=LOAD_MS)
    host.page.get_by_role("button", name="Create Room").click()
    expect(host.settings_button).to_be_visible(timeout=LOAD_MS)

    # A room that exists still needs its key.
    enter_as_host(other, room_id)
    refusal = "Enter the room's host key, or untick Join as Host."
    expect(other.page.get_by_text(refusal)).to_be_visible()
    expect(other.page.get_by_role("button", name="Enter Room")).to_be_visible()
