"""Every screen of the app on a phone and a desktop, light and dark, with no axe-core violation.

Each screen is set up once, on a page of its own, the first time a test asks for it; the tests
then only resize it, switch its colour scheme and run axe-core (tests/browser/axe.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any, Literal

import pytest
from playwright.sync_api import Browser, Page, expect

from .axe import assert_accessible
from .conftest import DESKTOP, PHONE, Server
from .people import LIVE_MS, Person

pytestmark = pytest.mark.browser

SIZES = {"phone": PHONE, "desktop": DESKTOP}
Scheme = Literal["light", "dark"]
SCHEMES: tuple[Scheme, ...] = ("light", "dark")

# Sockets of a page that loads with this are refused until it sets `window.blocked = false`.
BLOCKED_SOCKETS = """
window.blocked = true;
const Native = window.WebSocket;
window.WebSocket = class extends Native {
  constructor(url, ...rest) {
    super(window.blocked ? `ws://${location.host}/no-socket-here` : url, ...rest);
  }
};
"""


class Screens:
    """The app's screens, each built on first use in a browser context of its own."""

    def __init__(self, browser: Browser, server: Server) -> None:
        self.browser = browser
        self.base_url = server.url
        self.made: dict[str, Person] = {}
        self.everyone: list[Person] = []
        self.rooms: dict[str, tuple[str, Person]] = {}
        self.broken: dict[str, Exception] = {}
        # Whoever asked a room's questions, by room id, where a screen shows their page.
        self.askers: dict[str, Person] = {}

    def person(self, name: str, like: Person | None = None, **context: Any) -> Person:
        """A new browser context; `like` copies another's cookies and storage (same identity)."""
        context.setdefault("viewport", PHONE)
        if like is not None:
            context["storage_state"] = like.page.context.storage_state()
        person = Person(self.browser.new_context(**context).new_page(), self.base_url, name)
        self.everyone.append(person)
        return person

    def page(self, screen: str) -> Person:
        """The screen's page; a screen that could not be built fails its other tests at once."""
        if screen in self.broken:
            raise self.broken[screen]
        if screen not in self.made:
            try:
                self.made[screen] = BUILDERS[screen](self)
            except Exception as error:
                self.broken[screen] = error
                raise
        return self.made[screen]

    def room(self, kind: str) -> tuple[str, Person]:
        """A room of `kind` ("lived-in", "moderated") with its host, made once."""
        if kind not in self.rooms:
            self.rooms[kind] = ROOMS[kind](self)
        return self.rooms[kind]

    def close(self) -> None:
        for person in self.everyone:
            person.page.context.close()


def lived_in(screens: Screens) -> tuple[str, Person]:
    """A room with answered, voted-on and highlighted questions, one asked anonymously."""
    room_id = "a11y-lived-in"
    host, guest = screens.person("Maya"), screens.person("Priya")
    host.create_room(room_id, title="Quarterly all-hands", colour="#6e1786")
    host.settings(anonymous=True)
    guest.join(room_id)
    guest.ask("Will the new office open before the summer?")
    guest.ask("Can we get the slides afterwards?", anonymous=True)
    host.ask("Is on-call going to change next quarter?")
    expect(guest.card("Is on-call going to change next quarter?")).to_be_visible(timeout=LIVE_MS)
    guest.vote_button("Is on-call going to change next quarter?").click()
    host.reply("Can we get the slides afterwards?", "Yes, on the wiki tonight.")
    host.highlight("Will the new office open before the summer?")
    return room_id, host


def moderated(screens: Screens) -> tuple[str, Person]:
    """A moderated room: one approved question, two waiting for approval."""
    room_id = "a11y-moderated"
    host, guest = screens.person("Maya"), screens.person("Aki")
    host.create_room(room_id, title="Moderated panel")
    host.settings(moderation=True)
    guest.join(room_id)
    for text in ("Approved one?", "Waiting one?", "Waiting two?"):
        guest.ask(text)
        expect(host.card(text)).to_be_visible(timeout=LIVE_MS)
    host.card("Approved one?").get_by_role("button", name="Approve").click()
    expect(guest.card("Approved one?")).to_contain_text("UNANSWERED", timeout=LIVE_MS)
    screens.askers[room_id] = guest
    return room_id, host


def waiting_attendee(screens: Screens) -> Person:
    """The asker of the moderated room, with their questions waiting for approval."""
    room_id, _ = screens.room("moderated")
    return screens.askers[room_id]


def in_state(screens: Screens, state: str) -> tuple[str, Person]:
    room_id = f"a11y-{state.lower().replace(' ', '-')}"
    host = screens.person("Maya")
    host.create_room(room_id, title=f"A room that is {state.lower()}")
    host.ask("Asked before the change?")
    host.reply("Asked before the change?", "Answered before the change.")
    host.ask("Still open?")
    host.settings(state=state)
    return room_id, host


ROOMS: dict[str, Callable[[Screens], tuple[str, Person]]] = {
    "lived-in": lived_in,
    "moderated": moderated,
    "voting": lambda screens: in_state(screens, "Voting only"),
    "closed": lambda screens: in_state(screens, "Closed"),
}


def attendee_of(kind: str) -> Callable[[Screens], Person]:
    def build(screens: Screens) -> Person:
        room_id, _ = screens.room(kind)
        guest = screens.person("Gus")
        guest.open("/")
        guest.page.get_by_label("Enter your name:").fill(guest.name)
        guest.page.get_by_label("Enter the ID of the room that you want to join.").fill(room_id)
        guest.page.get_by_role("button", name="Enter Room").click()
        expect(guest.page.locator("li.card").first).to_be_visible()
        return guest

    return build


def host_of(kind: str, then: Callable[[Person], None] = lambda host: None) -> Callable[..., Any]:
    """The host of a `kind` room on a page of their own, after `then(host)`."""

    def build(screens: Screens) -> Person:
        room_id, first = screens.room(kind)
        host = screens.person(first.name, like=first)
        host.open(f"/{room_id}")
        expect(host.settings_button).to_be_visible()
        then(host)
        return host

    return build


def start(screens: Screens) -> Person:
    person = screens.person("Newcomer")
    person.open("/")
    expect(person.page.get_by_label("Enter your name:")).to_have_attribute(
        "placeholder", re.compile("Guest")
    )
    return person


def start_refused(screens: Screens) -> Person:
    """The start form sent with a bad name and room id: the errors next to their fields."""
    person = start(screens)
    person.page.get_by_label("Enter the ID of the room that you want to join.").fill("X!")
    person.page.get_by_role("button", name="Enter Room").click()
    expect(person.page.get_by_role("alert").first).to_be_visible()
    return person


def start_with_rooms(screens: Screens) -> Person:
    _, first = screens.room("lived-in")
    host = screens.person(first.name, like=first)
    host.open("/")
    expect(host.page.get_by_role("region", name="Your rooms")).to_be_visible()
    return host


def new_room(screens: Screens) -> Person:
    """An unused room id opened by someone who has not picked a name yet."""
    person = screens.person("Newcomer")
    person.open("/a11y-new")
    expect(person.page.get_by_role("heading", name="New Room")).to_be_visible()
    return person


def invalid_room_id(screens: Screens) -> Person:
    """A link to a room id that cannot be one: the start page says why."""
    person = screens.person("Newcomer")
    person.open("/No_Such-Room!")
    room = person.page.get_by_label("Enter the ID of the room that you want to join.")
    expect(room).to_have_attribute("aria-invalid", "true")
    return person


def newcomer_by_link(screens: Screens) -> Person:
    """A room opened from its link by someone without a name: the welcome notice."""
    room_id, _ = screens.room("lived-in")
    person = screens.person("Newcomer")
    person.open(f"/{room_id}")
    expect(person.page.get_by_role("region", name=re.compile("^Welcome"))).to_be_visible()
    return person


def room_created(screens: Screens) -> Person:
    """The creator's first view: "Your room is ready", its links and the loopback warning."""
    host = screens.person("Maya")
    host.create_room("a11y-created", title="Just made")
    ready = host.page.get_by_role("region", name="Your room is ready")
    expect(ready).to_contain_text("Phones cannot open this link")
    return host


def stale_host_link(screens: Screens) -> Person:
    """A host link whose key was rotated: the room as an attendee, with a notice saying so."""
    room_id, _ = screens.room("lived-in")
    person = screens.person("Gus")
    person.join(room_id)
    person.open("/")
    person.open(f"/{room_id}#host=not-the-key")
    region = person.page.get_by_role("region", name="This host link no longer works")
    expect(region).to_be_visible()
    return person


def removed_cohost(screens: Screens) -> Person:
    """A co-host whom the owner removed: their page turns into an attendee's, with a notice."""
    room_id, owner = screens.room("lived-in")
    rooms = f"{owner.base_url}/api/rooms/{room_id}"
    key = owner.page.request.get(f"{rooms}/host-key").json()["hostKey"]
    cohost = screens.person("Cora")
    cohost.join(room_id)
    cohost.open("/")
    cohost.open(f"/{room_id}#host={key}")
    expect(cohost.settings_button).to_be_visible()
    me = cohost.page.request.post(f"{owner.base_url}/api/session", headers={"X-LiveQA": "1"})
    removed = owner.page.request.delete(
        f"{rooms}/hosts/{me.json()['participantId']}", headers={"X-LiveQA": "1"}
    )
    assert removed.ok, removed.text()
    expect(cohost.page.get_by_role("region", name="You are no longer a host")).to_be_visible()
    expect(cohost.settings_button).to_have_count(0)
    return cohost


def empty_room(screens: Screens) -> Person:
    host = screens.person("Maya")
    host.create_room("a11y-empty", title="Nothing asked yet")
    expect(host.page.get_by_text("there are no questions in this room yet")).to_be_visible()
    return host


def answered_view(screens: Screens) -> Person:
    guest = attendee_of("lived-in")(screens)
    guest.page.get_by_role("button", name=re.compile(r"^Answered \(")).click()
    expect(guest.page.locator("li.card")).to_have_count(1)
    return guest


def too_long(screens: Screens) -> Person:
    guest = attendee_of("lived-in")(screens)
    guest.composer.fill("x" * 520)
    guest.page.get_by_role("button", name="Submit your question").click()
    expect(guest.page.get_by_role("alert").filter(has_text="at most 500")).to_be_visible()
    return guest


def open_settings(host: Person) -> None:
    host.settings_button.click()
    expect(host.dialog("Room Settings")).to_be_visible()


def open_share(host: Person) -> None:
    open_settings(host)
    dialog = host.dialog("Room Settings")
    dialog.get_by_text("Share, export and host key").click()
    dialog.get_by_role("button", name="Show host link").click()
    expect(dialog.get_by_role("textbox", name="Host link")).to_have_value(re.compile("#host="))
    expect(dialog.get_by_role("region", name="Hosts")).to_contain_text("(owner, you)")


def open_console(host: Person) -> None:
    open_settings(host)
    dialog = host.dialog("Room Settings")
    dialog.get_by_text("Clear questions or delete the room").click()
    dialog.get_by_role("button", name="Delete this room").click()
    expect(dialog).to_contain_text("to confirm.")


def open_reply(host: Person) -> None:
    host.card("Is on-call going to change next quarter?").get_by_role(
        "button", name="Reply"
    ).click()
    expect(host.dialog("Reply to Question")).to_be_visible()


def open_delete(host: Person) -> None:
    host.card("Can we get the slides afterwards?").get_by_role("button", name="Delete").click()
    expect(host.dialog("Really delete this question?")).to_be_visible()


def open_rename(host: Person) -> None:
    host.page.get_by_role("button", name=re.compile("change your name")).click()
    expect(host.dialog("Edit User Details")).to_be_visible()


def projector_of(kind: str) -> Callable[[Screens], Person]:
    def build(screens: Screens) -> Person:
        room_id, _ = screens.room(kind)
        screen = screens.person("Projector", viewport=DESKTOP)
        screen.open(f"/{room_id}/present")
        expect(screen.page.get_by_role("complementary", name="How to join")).to_be_visible()
        expect(screen.page.locator(".present-head .room-name")).not_to_have_text("Loading…")
        return screen

    return build


def projector_missing(screens: Screens) -> Person:
    screen = screens.person("Projector", viewport=DESKTOP)
    screen.open("/a11y-nobody-here/present")
    expect(screen.page.get_by_role("heading", level=1)).to_have_text("This room does not exist.")
    return screen


def deleted(screens: Screens) -> Person:
    owner, guest = screens.person("Olivia"), screens.person("Gus")
    room_id = "a11y-deleted"
    owner.create_room(room_id)
    guest.join(room_id)
    response = owner.page.request.delete(
        f"{owner.base_url}/api/rooms/{room_id}",
        headers={"X-LiveQA": "1"},
        data={"confirmRoomId": room_id},
    )
    assert response.ok, response.text()
    expect(guest.page.get_by_text("This room was deleted.")).to_be_visible(timeout=LIVE_MS * 3)
    return guest


def offline_first_load(screens: Screens) -> Person:
    """The socket cannot open at first load: the room from its snapshot, the banner, a retry."""
    room_id, _ = screens.room("lived-in")
    guest = screens.person("Gus")
    guest.join(room_id)
    guest.page.add_init_script(BLOCKED_SOCKETS)
    guest.page.reload()
    expect(guest.page.get_by_text(re.compile("Connection lost. Reconnecting in"))).to_be_visible()
    expect(guest.page.get_by_role("heading", level=1)).to_have_text("Quarterly all-hands")
    return guest


# The room colours besides the default blue and the lived-in room's purple (web/contrast.js).
THEMES = {"pink": "#d35192", "green": "#188c2d", "olive": "#765f09", "red": "#af2c37"}


def themed(colour: str) -> Callable[[Screens], Person]:
    """A host's room in `colour`: a voted, answered, highlighted question and the pressed tab."""

    def build(screens: Screens) -> Person:
        host = screens.person("Maya")
        host.create_room(f"a11y-{colour[1:]}", title="In colour", colour=colour)
        host.ask("Does the colour keep text readable?")
        host.reply("Does the colour keep text readable?", "It does.")
        host.highlight("Does the colour keep text readable?")
        expect(host.vote_button("Does the colour keep text readable?")).to_have_attribute(
            "aria-pressed", "true"
        )
        return host

    return build


BUILDERS: dict[str, Callable[[Screens], Person]] = {
    "start": start,
    "start-refused": start_refused,
    "start-your-rooms": start_with_rooms,
    "new-room": new_room,
    "invalid-room-id": invalid_room_id,
    "newcomer-by-link": newcomer_by_link,
    "room-created": room_created,
    "stale-host-link": stale_host_link,
    "removed-cohost": removed_cohost,
    "empty-room": empty_room,
    "attendee": attendee_of("lived-in"),
    "answered-view": answered_view,
    "question-too-long": too_long,
    "host": host_of("lived-in"),
    "host-settings": host_of("lived-in", open_settings),
    "host-share": host_of("lived-in", open_share),
    "host-console": host_of("lived-in", open_console),
    "host-reply": host_of("lived-in", open_reply),
    "host-delete": host_of("lived-in", open_delete),
    "rename": host_of("lived-in", open_rename),
    "moderation-queue": host_of("moderated"),
    "waiting-attendee": waiting_attendee,
    "voting-only-attendee": attendee_of("voting"),
    "closed-attendee": attendee_of("closed"),
    "closed-host": host_of("closed"),
    "projector": projector_of("lived-in"),
    "projector-voting-only": projector_of("voting"),
    "projector-closed": projector_of("closed"),
    "projector-missing-room": projector_missing,
    **{f"host-{name}-theme": themed(colour) for name, colour in THEMES.items()},
    "deleted-room": deleted,
    "offline-first-load": offline_first_load,
}


@pytest.fixture(scope="module")
def screens(browser: Browser, server: Server) -> Iterator[Screens]:
    made = Screens(browser, server)
    try:
        yield made
    finally:
        made.close()


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("screen", BUILDERS)
def test_no_axe_violations(screens: Screens, screen: str, size: str, scheme: Scheme) -> None:
    person = screens.page(screen)
    page: Page = person.page
    page.set_viewport_size(SIZES[size])
    page.emulate_media(color_scheme=scheme)
    assert page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches") == (scheme == "dark")
    assert_accessible(page, f"{screen}, {size}, {scheme}")
    assert not person.page_errors, person.page_errors
