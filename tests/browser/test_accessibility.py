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
from playwright.sync_api import Error as PlaywrightError

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
        # Whom a room's host banned, by room id.
        self.banned: dict[str, Person] = {}
        # Pages whose clock is stopped (passing notices stay); it runs only while axe-core does.
        self.stopped: list[Person] = []

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
    screens.askers[room_id] = guest
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


def moderator_rights(screens: Screens) -> tuple[str, Person]:
    """Marked answered without text, reopened with its reply, edited by a host, a ban, blocked
    words; its asker's page kept in `askers`, the banned person's in `banned`."""
    room_id = "a11y-rights"
    host, guest, spammer = screens.person("Maya"), screens.person("Gus"), screens.person("Sam")
    host.create_room(room_id, title="Town hall")
    guest.join(room_id)
    spammer.join(room_id)
    for text in (MARKED, REOPENED, "Call me at 555 0100, where is the exit?", MINE):
        guest.ask(text)
        expect(host.card(text)).to_be_visible(timeout=LIVE_MS)
    spammer.ask("Buy my stuff")
    host.card(MARKED).get_by_role("button", name="Mark answered").click()
    expect(guest.card(MARKED)).to_contain_text("Marked answered by Maya", timeout=LIVE_MS)
    host.reply(REOPENED, "Yes, from next week.")
    host.card(REOPENED).get_by_role("button", name="Reopen").click()
    expect(host.card(REOPENED).get_by_role("button", name="Edit reply")).to_be_visible()
    host.card("Call me at 555 0100, where is the exit?").get_by_role(
        "button", name="Edit", exact=True
    ).click()
    editing = host.dialog("Edit Question")
    editing.get_by_label("The question").fill(EDITED)
    editing.get_by_role("button", name="Save").click()
    expect(guest.card(EDITED)).to_contain_text("edited by a host", timeout=LIVE_MS)
    host.card("Buy my stuff").get_by_role("button", name="Ban").click()
    host.dialog("Ban this person from the room?").get_by_role("button", name="Ban").click()
    expect(spammer.page.get_by_role("region", name="You are banned from this room")).to_be_visible(
        timeout=LIVE_MS
    )
    host.settings_button.click()
    dialog = host.dialog("Room Settings")
    dialog.get_by_text("Blocked words and bans").click()
    dialog.get_by_label("Blocked words and phrases, one per line").fill("crypto\nfree money")
    dialog.get_by_role("button", name="Save blocked words").click()
    expect(dialog).to_contain_text("2 words or phrases blocked.")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    screens.askers[room_id] = guest
    screens.banned[room_id] = spammer
    return room_id, host


MARKED, REOPENED, EDITED = "Is the bar open?", "Is there a creche?", "Where is the exit?"
# A question its asker may still edit or delete: no answer, nobody else's vote.
MINE = "Can I still change this one?"


ROOMS: dict[str, Callable[[Screens], tuple[str, Person]]] = {
    "lived-in": lived_in,
    "moderated": moderated,
    "voting": lambda screens: in_state(screens, "Voting only"),
    "closed": lambda screens: in_state(screens, "Closed"),
    "rights": moderator_rights,
}


def attendee_of(
    kind: str, then: Callable[[Person], None] = lambda guest: None
) -> Callable[[Screens], Person]:
    """A newcomer in a `kind` room, after `then(guest)`."""

    def build(screens: Screens) -> Person:
        room_id, _ = screens.room(kind)
        guest = screens.person("Gus")
        guest.open("/")
        guest.page.get_by_label("Enter your name:").fill(guest.name)
        guest.page.get_by_label("Enter the ID of the room that you want to join.").fill(room_id)
        guest.page.get_by_role("button", name="Enter Room").click()
        expect(guest.page.locator("li.card").first).to_be_visible()
        then(guest)
        return guest

    return build


def asker_of(
    kind: str, then: Callable[[Person], None] = lambda asker: None
) -> Callable[[Screens], Person]:
    """The person who asked a `kind` room's questions, on a page of their own, after `then`."""

    def build(screens: Screens) -> Person:
        room_id, _ = screens.room(kind)
        first = screens.askers[room_id]
        asker = screens.person(first.name, like=first)
        asker.open(f"/{room_id}")
        expect(asker.page.locator("li.card").first).to_be_visible()
        then(asker)
        return asker

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


def searching(query: str, shown: str) -> Callable[[Person], None]:
    """Type `query` in the search box; `shown` is the count it then reads out."""

    def then(person: Person) -> None:
        person.page.get_by_role("searchbox", name="Search questions").fill(query)
        status = person.page.get_by_role("search", name="Questions").get_by_role("status")
        expect(status).to_have_text(shown)
        if shown.startswith("0 "):
            expect(person.page.get_by_text("No questions match.")).to_be_visible()

    return then


def pressing(name: str) -> Callable[[Person], None]:
    """Press the filter button `name` ("Unanswered", "Mine"...)."""

    def then(person: Person) -> None:
        filters = person.page.get_by_role("group", name="Show")
        button = filters.get_by_role("button", name=name, exact=True)
        button.click()
        expect(button).to_have_attribute("aria-pressed", "true")

    return then


def back_to_all(host: Person) -> None:
    """Another filter pressed, then "All" again."""
    pressing("Waiting")(host)
    pressing("All")(host)


def tick_waiting(host: Person) -> None:
    for text in ("Waiting one?", "Waiting two?"):
        host.card(text).get_by_role("checkbox", name="Select").check()
    approve = host.page.get_by_role("button", name=re.compile(r"^Approve selected"))
    expect(approve).to_have_text("Approve selected (2)")


def confirm_dismissing(host: Person) -> None:
    tick_waiting(host)
    host.page.get_by_role("button", name=re.compile(r"^Dismiss selected")).click()
    expect(host.dialog("Dismiss the selected questions?")).to_be_visible()


def asker_notices(screens: Screens) -> Person:
    """An asker told that a host answered, highlighted and dismissed their questions.

    The page's clock stops once the notices show: they would go by themselves after 15 s.
    axe-core needs timers, so the test lets the clock run while it checks the page.
    """
    room_id = "a11y-notices"
    host, guest = screens.person("Maya"), screens.person("Gus")
    host.create_room(room_id, title="Notices")
    host.settings(moderation=True)
    guest.page.clock.install()
    guest.join(room_id)
    answered, highlighted, dismissed = "When is lunch?", "Who is speaking next?", "Buy now?"
    for text in (answered, highlighted, dismissed):
        guest.ask(text)
        expect(host.card(text)).to_be_visible(timeout=LIVE_MS)
    for text in (answered, highlighted):
        host.card(text).get_by_role("button", name="Approve").click()
        expect(guest.card(text)).to_contain_text("UNANSWERED", timeout=LIVE_MS)
    host.reply(answered, "At noon.")
    host.highlight(highlighted)
    host.card(dismissed).get_by_role("button", name="Dismiss").click()
    notices = guest.page.locator(".toasts .toast")
    expect(notices).to_have_count(3, timeout=LIVE_MS)
    expect(notices.last).to_contain_text("A host dismissed your question")
    stop_clock(guest.page)
    expect(notices).to_have_count(3)
    screens.stopped.append(guest)
    return guest


def stop_clock(page: Page) -> None:
    """Stop the page's (installed) clock about where it is: no timer fires until it resumes."""
    # The clock runs on while this asks for its time, and it cannot stop in its past: a busy
    # machine may take longer than the first margin between the two calls.
    for margin in (0.05, 0.5, 2.0):
        # Python's clock takes seconds; the page's Date.now() is in milliseconds.
        try:
            page.clock.pause_at(page.evaluate("Date.now()") / 1_000 + margin)
        except PlaywrightError as error:
            if "to the past" not in error.message:
                raise
        else:
            return
    raise AssertionError("the page's clock could not be stopped")


def open_edit(text: str) -> Callable[[Person], None]:
    def then(person: Person) -> None:
        person.card(text).get_by_role("button", name="Edit", exact=True).click()
        expect(person.dialog("Edit Question").get_by_label("The question")).to_have_value(text)

    return then


def open_ban(host: Person) -> None:
    host.card(MINE).get_by_role("button", name="Ban").click()
    expect(host.dialog("Ban this person from the room?")).to_be_visible()


def open_rules(host: Person) -> None:
    open_settings(host)
    dialog = host.dialog("Room Settings")
    dialog.get_by_text("Blocked words and bans").click()
    expect(dialog.get_by_role("region", name="Banned people")).to_contain_text("Sam")
    words = dialog.get_by_label("Blocked words and phrases, one per line")
    expect(words).to_have_value("crypto\nfree money")


def banned(screens: Screens) -> Person:
    room_id, _ = screens.room("rights")
    return screens.banned[room_id]


def ask_blocked(guest: Person) -> None:
    guest.ask("Any crypto tips?")
    expect(guest.page.get_by_role("alert")).to_contain_text("blocked", timeout=LIVE_MS)


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
    # Moderator tools.
    "search": attendee_of("lived-in", searching("slides", "1 of 3 questions")),
    "search-no-match": attendee_of("lived-in", searching("nothing like this", "0 of 3 questions")),
    "filter-unanswered": attendee_of("lived-in", pressing("Unanswered")),
    "filter-answered": attendee_of("lived-in", pressing("Answered")),
    "filter-mine": asker_of("lived-in", pressing("Mine")),
    "filter-waiting": host_of("moderated", pressing("Waiting")),
    "filter-all": host_of("moderated", back_to_all),
    "bulk-selection": host_of("moderated", tick_waiting),
    "dismiss-selected": host_of("moderated", confirm_dismissing),
    "asker-notices": asker_notices,
    "marked-reopened-edited-host": host_of("rights"),
    "marked-reopened-edited-asker": asker_of("rights"),
    "edited-projector": projector_of("rights"),
    "edit-host": host_of("rights", open_edit(EDITED)),
    "edit-author": asker_of("rights", open_edit(MINE)),
    "ban-confirmation": host_of("rights", open_ban),
    "banned": banned,
    "blocked-words-and-bans": host_of("rights", open_rules),
    "blocked-word-refused": attendee_of("rights", ask_blocked),
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
    stopped = person in screens.stopped
    if stopped:
        page.clock.resume()
    try:
        assert_accessible(page, f"{screen}, {size}, {scheme}")
    finally:
        if stopped:
            stop_clock(page)
    assert not person.page_errors, person.page_errors
