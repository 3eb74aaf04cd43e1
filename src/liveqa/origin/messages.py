"""Socket messages: what clients send (JSON text frames) and what the origin sends them.

Room events carry `seq`, the room's event number, when they go to the room channel; events for
the hosts' or a participant's own channel carry none. Unknown fields in client messages are
ignored, so ids a client puts in a message (roomId, userId...) never change who acts where.
"""

from __future__ import annotations

from typing import Annotated, Any, TypeAlias

import msgspec
from msgspec import UNSET, UnsetType

from liveqa.origin.views import BanView, HostView, ParticipantView, QuestionView, RoomView

Ref: TypeAlias = Annotated[str, msgspec.Meta(max_length=64)] | int | None
Id = Annotated[str, msgspec.Meta(max_length=64)]
# Generous bounds only against huge payloads; limits.py enforces the real lengths after trimming.
Text = Annotated[str, msgspec.Meta(max_length=20_000)]


class ClientMessage(msgspec.Struct, tag_field="type", rename="camel", frozen=True, kw_only=True):
    """Base of client messages; `ref` is echoed in the ACK or ERROR reply."""

    ref: Ref = None


class QuestionPost(ClientMessage, tag="QUESTION_POST_TO_ROOM", frozen=True, kw_only=True):
    """Ask a question; `nonce` makes a retried post idempotent."""

    question_text: Text
    nonce: Id
    anonymous: bool = False


class QuestionUpvote(ClientMessage, tag="QUESTION_UPVOTE", frozen=True, kw_only=True):
    """Vote for a question, or take the vote back."""

    question_id: Id
    remove_upvote: bool = False


class QuestionAnswer(ClientMessage, tag="QUESTION_POST_ANSWER", frozen=True, kw_only=True):
    """Answer a question, or replace its answer (hosts)."""

    question_id: Id
    answer_text: Text


class QuestionDelete(ClientMessage, tag="QUESTION_DELETE", frozen=True, kw_only=True):
    """Delete a question (hosts; its author while it is theirs alone, see QuestionEdit)."""

    question_id: Id


class QuestionEdit(ClientMessage, tag="QUESTION_EDIT", frozen=True, kw_only=True):
    """Change a question's text (hosts; its author until it has an answer or another's vote)."""

    question_id: Id
    question_text: Text


class ParticipantBan(ClientMessage, tag="PARTICIPANT_BAN", frozen=True, kw_only=True):
    """Ban the author of a question from the room (hosts)."""

    question_id: Id


class ParticipantUnban(ClientMessage, tag="PARTICIPANT_UNBAN", frozen=True, kw_only=True):
    """Lift a ban (hosts)."""

    ban_id: Id


class BlockedWordsSet(ClientMessage, tag="BLOCKED_WORDS_SET", frozen=True, kw_only=True):
    """Replace the room's blocked words and phrases (hosts)."""

    # Bounded against huge payloads only: limits.py holds the real count and length.
    words: Annotated[
        list[Annotated[str, msgspec.Meta(max_length=1000)]], msgspec.Meta(max_length=1000)
    ]


class QuestionApprove(ClientMessage, tag="QUESTION_APPROVE", frozen=True, kw_only=True):
    """Publish a question held for moderation (hosts)."""

    question_id: Id


class QuestionsApprove(ClientMessage, tag="QUESTIONS_APPROVE", frozen=True, kw_only=True):
    """Publish several questions held for moderation at once (hosts); see Limits.batch."""

    question_ids: list[Id]


class QuestionsDismiss(ClientMessage, tag="QUESTIONS_DISMISS", frozen=True, kw_only=True):
    """Delete several questions still held for moderation at once (hosts)."""

    question_ids: list[Id]


class QuestionMarkAnswered(ClientMessage, tag="QUESTION_MARK_ANSWERED", frozen=True, kw_only=True):
    """Mark a question answered without writing an answer, or reopen it (hosts)."""

    question_id: Id
    answered: bool = True


class QuestionHighlight(ClientMessage, tag="QUESTION_HIGHLIGHT", frozen=True, kw_only=True):
    """Show a question as "now answering"; null clears it (hosts)."""

    question_id: Id | None


class QuestionsClear(ClientMessage, tag="QUESTIONS_CLEAR", frozen=True, kw_only=True):
    """Delete all the room's questions, or only the answered ones (hosts)."""

    answered_only: bool = False


class RoomInfoUpdate(ClientMessage, tag="ROOMINFO_UPDATE", frozen=True, kw_only=True):
    """Change room settings (hosts); absent fields stay as they are."""

    display_name: Text | UnsetType = UNSET
    theme_color: Id | UnsetType = UNSET
    state: Id | UnsetType = UNSET
    moderation: bool | UnsetType = UNSET
    allow_anonymous: bool | UnsetType = UNSET


class UserInfoUpdate(ClientMessage, tag="USERINFO_UPDATE", frozen=True, kw_only=True):
    """Change one's own display name."""

    display_name: Text


Incoming: TypeAlias = (
    QuestionPost
    | QuestionUpvote
    | QuestionAnswer
    | QuestionDelete
    | QuestionEdit
    | QuestionApprove
    | QuestionsApprove
    | QuestionsDismiss
    | QuestionMarkAnswered
    | QuestionHighlight
    | QuestionsClear
    | RoomInfoUpdate
    | UserInfoUpdate
    | ParticipantBan
    | ParticipantUnban
    | BlockedWordsSet
)


class ServerMessage(msgspec.Struct, tag_field="type", rename="camel", frozen=True, kw_only=True):
    """Base of what the origin sends to sockets."""


class Ack(ServerMessage, tag="ACK", frozen=True, kw_only=True):
    """An accepted message; fields beyond `ref` depend on the action."""

    ref: Ref = None
    question_id: str | UnsetType = UNSET
    upvoted: bool | UnsetType = UNSET
    upvotes: int | UnsetType = UNSET
    pending: bool | UnsetType = UNSET
    cleared: int | UnsetType = UNSET
    # The questions a bulk message changed (ids already approved or gone are left out).
    question_ids: list[str] | UnsetType = UNSET
    ban_id: str | UnsetType = UNSET
    words: list[str] | UnsetType = UNSET


class Error(ServerMessage, tag="ERROR", frozen=True, kw_only=True):
    """A refused or malformed message, sent to its sender only."""

    ref: Ref = None
    code: str
    message: str


class RoomEvent(ServerMessage, frozen=True, kw_only=True):
    """Base of room events; `seq` is absent on events outside the room channel."""

    room_id: str
    seq: int | UnsetType = UNSET


class QuestionUpdated(RoomEvent, tag="QUESTION_UPDATE_INFO_PASSIVE", frozen=True, kw_only=True):
    """A question was posted, answered or approved: the whole question."""

    question: QuestionView


class QuestionUpvoted(RoomEvent, tag="QUESTION_UPVOTE_PASSIVE", frozen=True, kw_only=True):
    """A question's vote count changed (who voted is not told)."""

    question_id: str
    upvotes: int


class QuestionDeleted(RoomEvent, tag="QUESTION_DELETE_PASSIVE", frozen=True, kw_only=True):
    """A question was deleted."""

    question_id: str


class QuestionsCleared(RoomEvent, tag="QUESTIONS_CLEAR_PASSIVE", frozen=True, kw_only=True):
    """Every question, or every answered one, was deleted."""

    answered_only: bool


class RoomUpdated(RoomEvent, tag="ROOMINFO_UPDATE_PASSIVE", frozen=True, kw_only=True):
    """The room's settings or highlighted question changed."""

    room: RoomView


class UserUpdated(RoomEvent, tag="USERINFO_UPDATE_PASSIVE", frozen=True, kw_only=True):
    """A participant changed their display name."""

    participant: ParticipantView


class VoteChanged(RoomEvent, tag="QUESTION_UPVOTE_SELF", frozen=True, kw_only=True):
    """To the voter's own sockets: their vote on a question is now `upvoted`."""

    question_id: str
    upvoted: bool
    upvotes: int


class ParticipantBanned(RoomEvent, tag="PARTICIPANT_BAN_PASSIVE", frozen=True, kw_only=True):
    """A host banned someone: these questions of theirs are hidden (not who they are)."""

    question_ids: list[str]


class ParticipantUnbanned(RoomEvent, tag="PARTICIPANT_UNBAN_PASSIVE", frozen=True, kw_only=True):
    """A ban was lifted: the person's published questions are shown again."""

    questions: list[QuestionView]


class BansUpdated(RoomEvent, tag="BANS_UPDATE_PASSIVE", frozen=True, kw_only=True):
    """To the hosts' channel: the room's bans now (not numbered: it is not room state)."""

    bans: list[BanView]


class BlockedWordsUpdated(RoomEvent, tag="BLOCKED_WORDS_UPDATE_PASSIVE", frozen=True, kw_only=True):
    """To the hosts' channel: the room's blocked words now (not numbered, hosts only)."""

    words: list[str]


class BanChanged(RoomEvent, tag="BANNED_SELF", frozen=True, kw_only=True):
    """To the participant's own sockets: a host banned them from the room, or lifted it."""

    banned: bool


class HostGranted(RoomEvent, tag="HOST_GRANTED_SELF", frozen=True, kw_only=True):
    """To a new host's own sockets: reconnect, so the socket joins the hosts' channel."""


class HostsUpdated(RoomEvent, tag="HOSTS_UPDATE_PASSIVE", frozen=True, kw_only=True):
    """To the hosts' channel: who hosts the room now (not numbered: it is not room state)."""

    hosts: list[HostView]


class AttendanceChanged(RoomEvent, tag="ATTENDANCE_PASSIVE", frozen=True, kw_only=True):
    """How many people have the room open now (never numbered: it is not room state)."""

    attendees: int


Outgoing: TypeAlias = (
    Ack
    | Error
    | QuestionUpdated
    | QuestionUpvoted
    | QuestionDeleted
    | QuestionsCleared
    | RoomUpdated
    | UserUpdated
    | VoteChanged
    | HostGranted
    | HostsUpdated
    | AttendanceChanged
    | ParticipantBanned
    | ParticipantUnbanned
    | BansUpdated
    | BlockedWordsUpdated
    | BanChanged
)

_encoder = msgspec.json.Encoder()


def encode(message: ServerMessage) -> bytes:
    """JSON bytes of a server message."""
    return _encoder.encode(message)


def decode(data: bytes) -> Incoming:
    """Decode a client message; raises msgspec.DecodeError or msgspec.ValidationError."""
    message: Incoming = msgspec.json.decode(data, type=Incoming)
    return message


def peek_ref(data: bytes) -> Any:
    """The `ref` of a message that failed to decode, when there is a usable one."""
    try:
        value = msgspec.json.decode(data)
    except msgspec.DecodeError:
        return None
    ref = value.get("ref") if isinstance(value, dict) else None
    if isinstance(ref, bool) or not isinstance(ref, str | int):
        return None
    if isinstance(ref, str) and len(ref) > 64:
        return None
    return ref
