"""A person in front of the web client: does what they would do, through labels and roles."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Dialog, Locator, Page, expect

# How soon a change made on one screen must show on the others.
LIVE_MS = 1_000
# Loading a page, creating or joining a room.
LOAD_MS = 10_000

# Sends one message on a socket of its own, as anyone could from the console, and returns the
# server's reply to it.
RAW_SEND = """
async ([roomId, message]) => {
  const ws = new WebSocket(`ws://${location.host}/api/websocket?roomId=${roomId}`);
  await new Promise((opened, failed) => {
    ws.onopen = opened;
    ws.onerror = () => failed(new Error("the socket did not open"));
  });
  const reply = new Promise((answered) => {
    ws.onmessage = (event) => {
      const data = JSON.parse(event.data);
      if (data.ref === "by-hand") answered(data);
    };
  });
  ws.send(JSON.stringify({ ...message, ref: "by-hand" }));
  const timeout = new Promise((_, failed) => setTimeout(() => failed(new Error("no reply")), 5000));
  try {
    return await Promise.race([reply, timeout]);
  } finally {
    ws.close();
  }
}
"""


class Person:
    """One browser context and its page, named `name`."""

    def __init__(self, page: Page, base_url: str, name: str) -> None:
        self.page = page
        self.base_url = base_url
        self.name = name
        self.dialogs: list[str] = []
        self.page_errors: list[str] = []
        page.set_default_timeout(LOAD_MS)
        page.on("dialog", self._dialog)
        page.on("pageerror", lambda error: self.page_errors.append(str(error)))

    def _dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def open(self, path: str) -> None:
        self.page.goto(self.base_url + path)

    @property
    def composer(self) -> Locator:
        return self.page.get_by_label("Add your question!")

    def create_room(
        self, room_id: str, title: str | None = None, colour: str | None = None
    ) -> None:
        """Open an unused room id and create it (becoming its host)."""
        self.open(f"/{room_id}")
        expect(self.page.get_by_role("heading", name="New Room")).to_be_visible()
        # Only someone who has not picked a name yet is asked for it.
        name = self.page.get_by_label("Enter your name:")
        if name.count():
            name.fill(self.name)
        if title is not None:
            self.page.get_by_label("Pick a friendly name for your room.").fill(title)
        if colour is not None:
            self.page.get_by_label(re.compile(re.escape(f"({colour})"))).check()
        self.page.get_by_role("button", name="Create Room").click()
        expect(self.composer).to_be_visible(timeout=LOAD_MS)
        expect(self.settings_button).to_be_visible()

    def join(self, room_id: str) -> None:
        """Join from the start page with a name and the room id."""
        self.open("/")
        self.page.get_by_label("Enter your name:").fill(self.name)
        self.page.get_by_label("Enter the ID of the room that you want to join.").fill(room_id)
        self.page.get_by_role("button", name="Enter Room").click()
        expect(self.composer).to_be_visible(timeout=LOAD_MS)

    @property
    def settings_button(self) -> Locator:
        return self.page.get_by_role("button", name="Room settings")

    def ask(self, text: str, *, anonymous: bool = False) -> None:
        self.composer.fill(text)
        if anonymous:
            self.page.get_by_label("Ask anonymously").check()
        self.page.get_by_role("button", name="Submit your question").click()

    def card(self, text: str) -> Locator:
        """The question card whose text is exactly `text`."""
        return self.page.get_by_role("article", name=text, exact=True)

    def vote_button(self, text: str) -> Locator:
        return self.card(text).get_by_role("button", name=re.compile("up-vote", re.IGNORECASE))

    def dialog(self, title: str) -> Locator:
        return self.page.get_by_role("dialog", name=title)

    def reply(self, text: str, answer: str) -> None:
        self.card(text).get_by_role("button", name="Reply").click()
        dialog = self.dialog("Reply to Question")
        dialog.get_by_label("Your answer").fill(answer)
        dialog.get_by_role("button", name="Submit").click()
        expect(dialog).to_be_hidden()

    def delete(self, text: str) -> None:
        self.card(text).get_by_role("button", name="Delete").click()
        dialog = self.dialog("Really delete this question?")
        dialog.get_by_role("button", name="Delete").click()
        expect(dialog).to_be_hidden()

    def highlight(self, text: str) -> None:
        """Toggle the card's highlight."""
        button = self.card(text).get_by_role("button", name="Highlight")
        pressed = button.get_attribute("aria-pressed") == "true"
        button.click()
        expect(button).to_have_attribute("aria-pressed", str(not pressed).lower())

    def rename(self, name: str) -> None:
        self.page.get_by_role("button", name=re.compile("change your name")).click()
        dialog = self.dialog("Edit User Details")
        dialog.get_by_label("Pick a friendly name for your user.").fill(name)
        dialog.get_by_role("button", name="Update").click()
        expect(dialog).to_be_hidden()
        self.name = name

    def settings(self, **changes: Any) -> None:
        """Change room settings: title, colour, moderation, state ("Open", "Voting only"...)."""
        self.settings_button.click()
        dialog = self.dialog("Room Settings")
        if "title" in changes:
            dialog.get_by_label("Pick a friendly name for your room.").fill(changes["title"])
        if "colour" in changes:
            dialog.get_by_label(re.compile(re.escape(f"({changes['colour']})"))).check()
        if "moderation" in changes:
            dialog.get_by_role("checkbox", name=re.compile("Moderation")).set_checked(
                changes["moderation"]
            )
        if "anonymous" in changes:
            dialog.get_by_role("checkbox", name="Allow anonymous questions").set_checked(
                changes["anonymous"]
            )
        if "state" in changes:
            dialog.get_by_role("radio", name=changes["state"]).check()
        dialog.get_by_role("button", name="Update").click()
        expect(dialog).to_be_hidden()

    def send_by_hand(self, room_id: str, message: dict[str, Any]) -> dict[str, Any]:
        """Send `message` on a new socket from this page; the server's reply to it."""
        reply: dict[str, Any] = self.page.evaluate(RAW_SEND, [room_id, message])
        return reply

    def snapshot(self, room_id: str) -> dict[str, Any]:
        """The room as the server shows this person, with their cookie."""
        response = self.page.request.get(f"{self.base_url}/api/rooms/{room_id}")
        assert response.ok, response.text()
        snapshot: dict[str, Any] = response.json()
        return snapshot
