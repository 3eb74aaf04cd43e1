"""What clients see of rooms, questions and participants: JSON camelCase msgspec Structs."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec
from msgspec import UNSET, UnsetType

from liveqa.store import Ban, Host, HostedRoom, Participant, Question, Room


class View(msgspec.Struct, rename="camel", frozen=True, kw_only=True):
    """Base of every JSON view: camelCase names, fields given by keyword."""


class ParticipantView(View, frozen=True, kw_only=True):
    """A participant as others see them."""

    participant_id: str
    display_name: str


class RoomView(View, frozen=True, kw_only=True):
    """A room's public settings; `highlightedQuestionId` is the "now answering" question."""

    room_id: str
    display_name: str
    theme_color: str
    state: str
    moderation: bool
    allow_anonymous: bool
    highlighted_question_id: str | None
    created_at: str


class QuestionView(View, frozen=True, kw_only=True):
    """A question; `author` is null for anonymous ones; `upvoted`/`mine` only in snapshots.

    `authorIsHost` marks a host's question, so an attendee named like a host cannot pass for
    one (never true for an anonymous question). Answers always come from hosts."""

    question_id: str
    room_id: str
    question_text: str
    question_timestamp: str
    author: ParticipantView | None
    author_is_host: bool
    anonymous: bool
    pending: bool
    upvotes: int
    answer_text: str | None
    answer_timestamp: str | None
    answer_author: ParticipantView | None
    # "host" once a host changed the text (cards say "edited by a host"), "author" when only
    # its author did, null when never edited.
    edited_by: str | None = None
    upvoted: bool | UnsetType = UNSET
    mine: bool | UnsetType = UNSET


class MeView(View, frozen=True, kw_only=True):
    """The caller in a room; the owner (its creator) fetches the host key on its own."""

    participant_id: str
    display_name: str
    is_host: bool
    is_owner: bool = False
    # A host banned them here: they read the room but may not ask, vote or edit.
    banned: bool = False


class BanView(View, frozen=True, kw_only=True):
    """A ban as hosts list it; `displayName` is null when it was made from an anonymous question,
    so the list never unmasks its author."""

    ban_id: str
    display_name: str | None
    question_text: str
    banned_at: str


class RulesView(View, frozen=True, kw_only=True):
    """What only hosts see of a room's moderation: blocked words and bans."""

    blocked_words: list[str]
    bans: list[BanView]


class RoomSnapshot(View, frozen=True, kw_only=True):
    """Everything a client needs to render a room, consistent with event number `seq`."""

    room: RoomView
    questions: list[QuestionView]
    seq: int
    me: MeView | None
    attendees: int
    # Hosts only: the room's blocked words and bans.
    rules: RulesView | None = None
    # The absolute link attendees open (the QR code's), None when the request named no host.
    join_url: str | None = None


class RoomCreated(View, frozen=True, kw_only=True):
    """A new room with the secret that makes anyone holding it a host."""

    room: RoomView
    host_key: str
    host_link: str
    join_url: str | None = None


class HostKeyView(View, frozen=True, kw_only=True):
    """A room's current host key and the link that carries it (for the owner only)."""

    host_key: str
    host_link: str


class HostKeyRotated(HostKeyView, frozen=True, kw_only=True):
    """A new host key, and the co-hosts who lost their rights with the old one."""

    revoked: list[ParticipantView]


class HostView(View, frozen=True, kw_only=True):
    """A host of a room: `owner` (the creator, who holds the key) or `cohost`."""

    participant_id: str
    display_name: str
    role: str


class HostsView(View, frozen=True, kw_only=True):
    """A room's hosts, the owner first."""

    hosts: list[HostView]


class HostedRoomView(View, frozen=True, kw_only=True):
    """A room in its host's list: `role` is `owner` or `cohost`; `questions` counts pending ones."""

    room_id: str
    display_name: str
    state: str
    role: str
    questions: int
    last_activity: str


class MyRoomsView(View, frozen=True, kw_only=True):
    """The rooms the caller hosts, most recently active first."""

    rooms: list[HostedRoomView]


def iso_time(ms: int) -> str:
    """Epoch milliseconds as ISO-8601 UTC with milliseconds, like `2022-06-13T01:02:03.456Z`."""
    moment = datetime.fromtimestamp(ms / 1000, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def host_link(room_id: str, host_key: str) -> str:
    """Path of the host link; the key sits in the fragment so it never reaches a server log."""
    return f"/{room_id}#host={host_key}"


def participant_view(participant: Participant) -> ParticipantView:
    """View of a participant."""
    return ParticipantView(participant_id=participant.id, display_name=participant.display_name)


def hosts_view(hosts: list[Host]) -> HostsView:
    """View of a room's hosts (never the key generation they joined with)."""
    return HostsView(
        hosts=[
            HostView(participant_id=h.participant_id, display_name=h.display_name, role=h.role)
            for h in hosts
        ]
    )


def ban_view(ban: Ban) -> BanView:
    """View of a ban for the room's hosts."""
    return BanView(
        ban_id=ban.id,
        display_name=None if ban.anonymous else ban.display_name,
        question_text=ban.question_text,
        banned_at=iso_time(ban.banned_at),
    )


def rules_view(room: Room, bans: list[Ban]) -> RulesView:
    """View of a room's blocked words and bans (hosts only)."""
    return RulesView(blocked_words=list(room.blocked_words), bans=[ban_view(b) for b in bans])


def my_rooms_view(rooms: list[HostedRoom]) -> MyRoomsView:
    """View of the rooms a participant hosts."""
    return MyRoomsView(
        rooms=[
            HostedRoomView(
                room_id=r.room_id,
                display_name=r.display_name,
                state=r.state,
                role=r.role,
                questions=r.question_count,
                last_activity=iso_time(r.last_activity),
            )
            for r in rooms
        ]
    )


def room_view(room: Room) -> RoomView:
    """View of a room (never its host key)."""
    return RoomView(
        room_id=room.id,
        display_name=room.display_name,
        theme_color=room.theme_color,
        state=room.state,
        moderation=room.moderation,
        allow_anonymous=room.allow_anonymous,
        highlighted_question_id=room.highlighted_question_id,
        created_at=iso_time(room.created_at),
    )


def question_view(
    question: Question, viewer_id: str | None = None, *, personal: bool = False
) -> QuestionView:
    """View of a question; `personal` adds the viewer's own vote and authorship."""
    author = None
    if not question.anonymous:
        author = ParticipantView(
            participant_id=question.author_id, display_name=question.author_name
        )
    answerer = None
    if question.answer_author_id is not None and question.answer_author_name is not None:
        answerer = ParticipantView(
            participant_id=question.answer_author_id, display_name=question.answer_author_name
        )
    return QuestionView(
        question_id=question.id,
        room_id=question.room_id,
        question_text=question.text,
        question_timestamp=iso_time(question.created_at),
        author=author,
        author_is_host=author is not None and question.author_is_host,
        anonymous=question.anonymous,
        pending=question.pending,
        upvotes=question.upvotes,
        answer_text=question.answer_text,
        answer_timestamp=None if question.answered_at is None else iso_time(question.answered_at),
        answer_author=answerer,
        edited_by=question.edited_by,
        upvoted=question.voted if personal else UNSET,
        mine=question.author_id == viewer_id if personal else UNSET,
    )
