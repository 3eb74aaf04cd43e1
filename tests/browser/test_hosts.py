"""Owner and co-hosts: only the owner sees the host key; losing host rights shows at once."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .conftest import LOOKS, People
from .people import LIVE_MS, Person

pytestmark = pytest.mark.browser


def host_link(owner: Person) -> str:
    """The host link as the owner's share panel shows it, once asked for."""
    owner.settings_button.click()
    dialog = owner.dialog("Room Settings")
    dialog.get_by_text("Share, export and host key").click()
    link = dialog.get_by_role("textbox", name="Host link")
    expect(link).to_be_hidden()
    dialog.get_by_role("button", name="Show host link").click()
    expect(link).to_have_value(re.compile(r"#host="))
    return link.input_value()


def follow(person: Person, link: str) -> None:
    """Open a host link in a fresh page load (a fragment change alone loads nothing)."""
    person.open("/")
    person.open(link.removeprefix(person.base_url))


@pytest.mark.parametrize("look", LOOKS, indirect=True)
def test_only_the_owner_sees_the_key_and_removing_a_cohost_shows_at_once(
    people: People, room_id: str
) -> None:
    owner, cohost = people("Olivia"), people("Cora")
    owner.create_room(room_id, title="Co-hosted")
    link = host_link(owner)
    dialog = owner.dialog("Room Settings")
    expect(dialog.get_by_role("region", name="Hosts")).to_contain_text("Olivia (owner, you)")
    # On 127.0.0.1 the panel says that phones cannot open these links, and what to do.
    expect(dialog).to_contain_text("Phones cannot open this link")
    owner.dialog("Room Settings").get_by_role("button", name="Cancel").click()

    cohost.join(room_id)
    cohost.ask("Who hosts?")
    follow(cohost, link)
    expect(cohost.settings_button).to_be_visible()
    expect(cohost.card("Who hosts?").get_by_role("button", name="Reply")).to_be_visible()
    cohost.settings_button.click()
    dialog = cohost.dialog("Room Settings")
    dialog.get_by_text("Share, export and host key").click()
    expect(dialog).to_contain_text("Only the room's owner (its creator) sees and changes")
    expect(dialog.get_by_role("button", name="Show host link")).to_have_count(0)
    expect(dialog.get_by_role("button", name="Rotate host key")).to_have_count(0)
    hosts = dialog.get_by_role("region", name="Hosts")
    expect(hosts).to_contain_text("Olivia (owner)")
    expect(hosts).to_contain_text("Cora (co-host, you)")
    expect(hosts.get_by_role("button", name=re.compile("^Remove"))).to_have_count(0)
    assert link.split("#host=")[1] not in cohost.page.content()

    owner.settings_button.click()
    owner_dialog = owner.dialog("Room Settings")
    owner_dialog.get_by_text("Share, export and host key").click()
    owner_dialog.get_by_role("button", name="Remove Cora as host").click()
    expect(owner_dialog).to_contain_text("Cora is no longer a host.")

    # Cora's page turns into an attendee's by itself: her open dialog closes, the tools go.
    expect(dialog).to_have_count(0, timeout=LIVE_MS * 3)
    expect(cohost.page.get_by_role("region", name="You are no longer a host")).to_be_visible()
    expect(cohost.settings_button).to_have_count(0, timeout=LIVE_MS * 3)
    expect(cohost.card("Who hosts?").get_by_role("button", name="Reply")).to_have_count(0)


@pytest.mark.parametrize("look", LOOKS, indirect=True)
def test_rotating_the_key_revokes_cohosts_unless_kept(people: People, room_id: str) -> None:
    owner, cohost = people("Olivia"), people("Cora")
    owner.create_room(room_id, title="Rotated")
    link = host_link(owner)
    dialog = owner.dialog("Room Settings")
    cohost.join(room_id)
    follow(cohost, link)
    expect(cohost.settings_button).to_be_visible()

    dialog.get_by_role("checkbox", name="Keep the current co-hosts when rotating").check()
    dialog.get_by_role("button", name="Rotate host key").click()
    expect(dialog).to_contain_text("No co-host lost host rights.")
    kept = dialog.get_by_role("textbox", name="Host link").input_value()
    assert kept != link

    dialog.get_by_role("checkbox", name="Keep the current co-hosts when rotating").uncheck()
    dialog.get_by_role("button", name="Rotate host key").click()
    expect(dialog).to_contain_text("No longer hosts: Cora.")
    expect(dialog.get_by_role("region", name="Hosts")).not_to_contain_text("Cora")
    expect(cohost.page.get_by_role("region", name="You are no longer a host")).to_be_visible(
        timeout=LIVE_MS * 3
    )
    expect(cohost.settings_button).to_have_count(0)
    # The old link makes nobody a host any more.
    follow(cohost, kept)
    expect(cohost.page.get_by_role("region", name="This host link no longer works")).to_be_visible()
    expect(cohost.settings_button).to_have_count(0)
