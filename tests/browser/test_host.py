"""Host rights live on the server: an attendee has no host controls and cannot forge them."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from .conftest import People
from .people import LIVE_MS

pytestmark = pytest.mark.browser

HOST_TOOLS = ("Reply", "Highlight", "Delete", "Approve", "Dismiss", "Room settings")


def test_an_attendee_sees_no_host_controls_and_cannot_act_as_host(
    people: People, room_id: str
) -> None:
    host, guest = people("Hana"), people("Eve")
    host.create_room(room_id, title="Guarded")
    guest.join(room_id)
    # The host's question: an attendee may edit and delete only their own (test_moderator_rights).
    host.ask("Can I delete this?")
    expect(guest.card("Can I delete this?")).to_be_visible(timeout=LIVE_MS)
    for tool in (*HOST_TOOLS, "Edit", "Ban"):
        expect(guest.page.get_by_role("button", name=tool)).to_have_count(0)
        expect(guest.page.get_by_role("link", name=tool)).to_have_count(0)

    question_id = guest.page.locator("li.card").first.get_attribute("data-id")
    assert question_id
    forged: list[dict[str, Any]] = [
        {"type": "QUESTION_DELETE", "questionId": question_id},
        {"type": "QUESTION_POST_ANSWER", "questionId": question_id, "answerText": "Forged"},
        {"type": "QUESTION_HIGHLIGHT", "questionId": question_id},
        {"type": "ROOMINFO_UPDATE", "displayName": "Taken over", "themeColor": "#af2c37"},
    ]
    for message in forged:
        reply = guest.send_by_hand(room_id, message)
        assert (reply["type"], reply["code"]) == ("ERROR", "not_host"), (message, reply)
        assert reply["message"]

    snapshot = host.snapshot(room_id)
    assert snapshot["room"]["displayName"] == "Guarded"
    assert snapshot["room"]["themeColor"] == "#038cfc"
    assert snapshot["room"]["highlightedQuestionId"] is None
    [question] = snapshot["questions"]
    assert (question["questionText"], question["answerText"]) == ("Can I delete this?", None)
    # A real change after the forged ones arrives; nothing forged arrived before it.
    guest.vote_button("Can I delete this?").click()
    for person in (host, guest):
        expect(person.vote_button("Can I delete this?")).to_contain_text("2", timeout=LIVE_MS)
        expect(person.card("Can I delete this?")).not_to_contain_text("Forged")
        expect(person.page.get_by_role("heading", level=1)).to_have_text("Guarded")
        expect(person.page.get_by_role("region", name="Now answering")).to_have_count(0)
