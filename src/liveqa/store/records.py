"""Rows as the store returns them: plain immutable values, times in epoch milliseconds."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Participant:
    """A person, known by a server-issued id."""

    id: str
    display_name: str
    created_at: int


@dataclass(frozen=True, slots=True)
class Room:
    """A Q&A room and its settings; `seq` is the number of the room's last event."""

    id: str
    display_name: str
    theme_color: str
    state: str
    moderation: bool
    allow_anonymous: bool
    highlighted_question_id: str | None
    host_key: str
    host_key_generation: int
    seq: int
    created_by: str
    created_at: int


@dataclass(frozen=True, slots=True)
class Arrival:
    """What a socket's join checks, in one read: who, which room, and their place in it."""

    participant: Participant
    # None when there is no such room.
    room: Room | None
    member: bool
    host: bool


@dataclass(frozen=True, slots=True)
class Host:
    """A host of a room: its `owner` (the creator) or a `cohost` who joined with key N."""

    participant_id: str
    display_name: str
    role: str
    key_generation: int | None
    added_at: int


@dataclass(frozen=True, slots=True)
class HostedRoom:
    """A room as its host's list shows it; `last_activity`: its newest question, answer or birth."""

    room_id: str
    display_name: str
    state: str
    role: str
    question_count: int
    last_activity: int


@dataclass(frozen=True, slots=True)
class Question:
    """A question with its author and answerer names; `voted` is the viewer's own vote."""

    id: str
    room_id: str
    author_id: str
    author_name: str
    nonce: str
    text: str
    anonymous: bool
    pending: bool
    created_at: int
    upvotes: int
    answer_text: str | None
    answer_author_id: str | None
    answer_author_name: str | None
    answered_at: int | None
    voted: bool = False
    # Whether the author hosts the question's room.
    author_is_host: bool = False


@dataclass(frozen=True, slots=True)
class PostContext:
    """What posting a question to a room checks, read in one statement under the room's lock."""

    room: Room
    is_host: bool
    question_count: int
    # How many of the room's questions (pending included) the author asked.
    author_question_count: int
    author_name: str | None
    # The author's question with the same nonce, in any room (a retried post).
    nonce_question_id: str | None


@dataclass(frozen=True, slots=True)
class VoteTarget:
    """What a vote checks, read in one statement under the room's lock."""

    room_state: str
    # None when the room holds no such question.
    question: Question | None
