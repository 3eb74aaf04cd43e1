"""The Q&A domain in one place: who may do what, in which room state, within which limits.

Every method runs its checks and writes in one store transaction and returns what to publish;
callers publish only after the method returned, so nothing is published that was not committed.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy.exc import IntegrityError

from liveqa.origin.blocklist import clean_words, contains_blocked
from liveqa.origin.errors import Refused, conflict, forbidden, invalid, not_found, unauthenticated
from liveqa.origin.limits import (
    DEFAULT_THEME_COLOR,
    Limits,
    check_nonce,
    check_room_id,
    check_room_state,
    check_theme_color,
    clean_text,
    is_question_id,
    room_id_problem,
)
from liveqa.origin.messages import (
    Ack,
    BanChanged,
    BansUpdated,
    BlockedWordsSet,
    BlockedWordsUpdated,
    HostGranted,
    HostsUpdated,
    Incoming,
    ParticipantBan,
    ParticipantBanned,
    ParticipantUnban,
    ParticipantUnbanned,
    QuestionAnswer,
    QuestionApprove,
    QuestionDelete,
    QuestionDeleted,
    QuestionEdit,
    QuestionHighlight,
    QuestionMarkAnswered,
    QuestionPost,
    QuestionsApprove,
    QuestionsClear,
    QuestionsCleared,
    QuestionsDismiss,
    QuestionUpdated,
    QuestionUpvote,
    QuestionUpvoted,
    RoomInfoUpdate,
    RoomUpdated,
    ServerMessage,
    UserInfoUpdate,
    UserUpdated,
    VoteChanged,
)
from liveqa.origin.presence import Presence
from liveqa.origin.ratelimit import Buckets, MemoryBuckets, Rate, RateLimiter
from liveqa.origin.views import (
    HostKeyRotated,
    HostKeyView,
    HostsView,
    MeView,
    MyRoomsView,
    ParticipantView,
    RoomCreated,
    RoomSnapshot,
    ban_view,
    host_link,
    hosts_view,
    my_rooms_view,
    participant_view,
    question_view,
    room_view,
    rules_view,
)
from liveqa.store import Database, Host, Participant, Queries, Question, Room


def room_channel(room_id: str) -> str:
    """Everyone in the room."""
    return f"room-{room_id}"


def hosts_channel(room_id: str) -> str:
    """The room's hosts only (questions held for moderation)."""
    return f"hosts-{room_id}"


def participant_channel(participant_id: str) -> str:
    """Every socket of one participant (their own votes and pending questions)."""
    return f"participant-{participant_id}"


def host_sockets_channel(room_id: str, participant_id: str) -> str:
    """One host's sockets in one room: closed when that host loses the rights."""
    return f"host-{participant_id}-{room_id}"


# A socket closed because its participant no longer hosts the room: 4000 + 403, like the
# refusals of socket.py; the client reconnects as an attendee.
CLOSE_HOST_REVOKED = 4403
# Every socket of a deleted room: 4000 + 410 Gone; the client reconnects and finds no room.
CLOSE_ROOM_DELETED = 4410
# How many rooms "Your rooms" lists.
MY_ROOMS_LIMIT = 100


def _banned() -> Refused:
    """403 for a participant a host banned from the room."""
    return forbidden(
        "a host has banned you from this room: you can read it, but not ask, vote or edit",
        "banned",
    )


def _locked(question: Question) -> bool:
    """Whether only hosts may change the question now: it has an answer, another's vote, or a
    host's edit (its author must not put back what a host took out).

    `question.voted` must be its author's own vote."""
    return (
        question.answer_text is not None
        or question.upvotes > int(question.voted)
        or question.edited_by == "host"
    )


def now_ms() -> int:
    """Wall-clock time in epoch milliseconds."""
    return time.time_ns() // 1_000_000


@dataclass(frozen=True)
class Rates:
    """Per-participant allowances (SECURITY.md, abuse limits)."""

    questions: Rate = field(default_factory=lambda: Rate(5, 30))
    votes: Rate = field(default_factory=lambda: Rate(60, 60))
    rooms: Rate = field(default_factory=lambda: Rate(5, 3600))
    names: Rate = field(default_factory=lambda: Rate(10, 60))
    host_keys: Rate = field(default_factory=lambda: Rate(10, 60))


@dataclass(frozen=True)
class AddressRates:
    """Allowances per client address (an IPv6 /64 is one), since participants cost nothing.

    A venue's Wi-Fi puts hundreds of attendees behind one address: docs/deploy.md says how to
    size these for it. Loopback clients are not limited.
    """

    sessions: Rate = field(default_factory=lambda: Rate(200, 120))
    rooms: Rate = field(default_factory=lambda: Rate(10, 3600))
    # Per room: one address cannot fill a room up to its question cap.
    questions: Rate = field(default_factory=lambda: Rate(100, 600))
    # Per question: one address cannot stuff a question with the votes of made-up participants.
    votes: Rate = field(default_factory=lambda: Rate(60, 60))


@dataclass(frozen=True)
class CloseSockets:
    """Close every socket subscribed to the channel, with a WebSocket close code and reason."""

    code: int
    reason: str


@dataclass(frozen=True)
class Publication:
    """A message to publish to a channel (or its sockets to close) once the write is committed."""

    channel: str
    message: ServerMessage | CloseSockets


@dataclass(frozen=True)
class Outcome:
    """The result of a socket message: a reply to the sender and messages to publish."""

    reply: Ack
    publications: list[Publication] = field(default_factory=list)


@dataclass(frozen=True)
class Actor:
    """Who acts where, taken from the connection (never from the message)."""

    participant_id: str
    room_id: str


@dataclass(frozen=True)
class Joined:
    """A socket accepted into a room."""

    participant: Participant
    room: Room
    is_host: bool


class Board:
    """The rules of liveqa on top of a Database."""

    def __init__(
        self,
        database: Database,
        limits: Limits | None = None,
        rates: Rates | None = None,
        clock: Callable[[], int] = now_ms,
        connection_ttl: float = 180.0,
        *,
        address_rates: AddressRates | None = None,
        buckets: Buckets | None = None,
    ) -> None:
        self.database = database
        self.presence = Presence(database, clock)
        # A socket the proxy has not mentioned for this long no longer counts as present.
        self.connection_ttl_ms = int(connection_ttl * 1000)
        self.limits = limits or Limits()
        rates = rates or Rates()
        self.clock = clock
        by_address = address_rates or AddressRates()
        buckets = buckets or MemoryBuckets()
        self.question_rate = RateLimiter(rates.questions, "questions", buckets)
        self.vote_rate = RateLimiter(rates.votes, "votes", buckets)
        self.room_rate = RateLimiter(rates.rooms, "new rooms", buckets)
        self.name_rate = RateLimiter(rates.names, "name changes", buckets)
        self.host_key_rate = RateLimiter(rates.host_keys, "host key attempts", buckets)
        self.address_session_rate = RateLimiter(
            by_address.sessions, "new sessions from your network", buckets, "address-sessions"
        )
        self.address_room_rate = RateLimiter(
            by_address.rooms, "new rooms from your network", buckets, "address-rooms"
        )
        self.address_question_rate = RateLimiter(
            by_address.questions,
            "questions from your network in this room",
            buckets,
            "address-questions",
        )
        self.address_vote_rate = RateLimiter(
            by_address.votes, "votes from your network on this question", buckets, "address-votes"
        )

    # Participants

    def display_name(self, value: str) -> str:
        """A valid display name from `value`, or a 400 refusal saying why not."""
        return clean_text(value, "display name", self.limits.display_name)

    async def create_participant(
        self, display_name: str | None = None, address: str | None = None
    ) -> Participant:
        """A new participant with a server-issued id; `address` is the client's address key."""
        if display_name is None:
            name = f"Guest {secrets.randbelow(9000) + 1000}"
        else:
            name = self.display_name(display_name)
        if address is not None:
            await self.address_session_rate.take(address)
        participant = Participant(secrets.token_hex(8), name, self.clock())
        async with self.database.write() as queries:
            await queries.create_participant(participant.id, name, participant.created_at)
        return participant

    async def participant(self, participant_id: str) -> Participant | None:
        """The participant, if it exists."""
        async with self.database.read() as queries:
            return await queries.participant(participant_id)

    async def rename(
        self, participant_id: str, display_name: str
    ) -> tuple[Participant, list[Publication]]:
        """Change a display name; every room the participant joined or posted in is told."""
        name = self.display_name(display_name)
        await self.name_rate.take(participant_id)
        publications: list[Publication] = []
        async with self.database.write() as queries:
            rooms = await queries.lock_rooms(await queries.participant_rooms(participant_id))
            participant = await queries.participant(participant_id)
            if participant is None:
                raise unauthenticated()
            participant = Participant(participant.id, name, participant.created_at)
            await queries.rename_participant(participant_id, name)
            view = participant_view(participant)
            for room in rooms:
                seq = await queries.next_seq(room.id)
                event = UserUpdated(room_id=room.id, seq=seq, participant=view)
                publications.append(Publication(room_channel(room.id), event))
        return participant, publications

    # Rooms

    async def create_room(
        self,
        participant_id: str,
        room_id: str,
        display_name: str | None = None,
        theme_color: str | None = None,
        address: str | None = None,
    ) -> RoomCreated:
        """Create a room; its creator becomes host and gets the host key."""
        check_room_id(room_id)
        name = (
            f"New Room: {room_id}"
            if display_name is None
            else clean_text(display_name, "room name", self.limits.room_name)
        )
        color = DEFAULT_THEME_COLOR if theme_color is None else check_theme_color(theme_color)
        await self.room_rate.take(participant_id)
        if address is not None:
            await self.address_room_rate.take(address)
        key = secrets.token_urlsafe(24)
        async with self.database.write() as queries:
            if await queries.participant(participant_id) is None:
                raise unauthenticated()
            created = await queries.create_room(
                room_id,
                display_name=name,
                theme_color=color,
                host_key=key,
                created_by=participant_id,
                now=self.clock(),
            )
            if not created:
                raise conflict(f"room {room_id!r} already exists", "room_exists")
            room = await queries.room(room_id)
        assert room is not None
        return RoomCreated(room=room_view(room), host_key=key, host_link=host_link(room_id, key))

    async def room(self, room_id: str) -> Room:
        """The room, or a 404 refusal."""
        if room_id_problem(room_id) is not None:
            raise not_found(f"no room {room_id!r}")
        async with self.database.read() as queries:
            return await self._room(queries, room_id)

    async def snapshot(self, room_id: str, participant_id: str | None) -> RoomSnapshot:
        """The room as this participant may see it, with the seq it is consistent with."""
        if room_id_problem(room_id) is not None:
            raise not_found(f"no room {room_id!r}")
        async with self.database.read() as queries:
            room = await queries.room(room_id)
            if room is None:
                raise not_found(f"no room {room_id!r}")
            me = None
            is_host = False
            rules = None
            if participant_id is not None:
                participant = await queries.participant(participant_id)
                if participant is not None:
                    role = await queries.host_role(room_id, participant_id)
                    is_host = role is not None
                    me = MeView(
                        participant_id=participant.id,
                        display_name=participant.display_name,
                        is_host=is_host,
                        is_owner=role == "owner",
                        banned=await queries.is_banned(room_id, participant_id),
                    )
                    if is_host:
                        rules = rules_view(room, await queries.bans(room_id))
            viewer = None if me is None else me.participant_id
            questions = await queries.room_questions(
                room_id, viewer, pending="all" if is_host else "own"
            )
            attendees = await queries.count_attendees(room_id, self._live_since())
        return RoomSnapshot(
            room=room_view(room),
            questions=[question_view(q, viewer, personal=True) for q in questions],
            seq=room.seq,
            me=me,
            attendees=attendees,
            rules=rules,
        )

    async def join_as_host(
        self, room_id: str, participant_id: str, host_key: str
    ) -> tuple[MeView, list[Publication]]:
        """Make the participant a co-host if `host_key` is the room's key.

        A new host's open sockets are told to reconnect: the hosts' channel is only joined
        when a socket opens."""
        await self.host_key_rate.take(participant_id)
        async with self.database.write() as queries:
            participant = await queries.participant(participant_id)
            if participant is None:
                raise unauthenticated()
            # Locked, so a rotation either sees this co-host (and may revoke it) or this
            # check sees the new key.
            room = await self._room(queries, room_id, lock=True)
            if not hmac.compare_digest(room.host_key.encode(), host_key.encode()):
                raise forbidden("wrong host key", "wrong_host_key")
            # A ban must not be undone by a host link; the hosts lift it first.
            if await queries.is_banned(room_id, participant_id):
                raise _banned()
            added = await queries.add_host(
                room_id, participant_id, self.clock(), key_generation=room.host_key_generation
            )
            role = await queries.host_role(room_id, participant_id)
            hosts = await queries.hosts(room_id) if added else []
        me = MeView(
            participant_id=participant.id,
            display_name=participant.display_name,
            is_host=True,
            is_owner=role == "owner",
        )
        if not added:
            return me, []
        granted = HostGranted(room_id=room_id)
        return me, [
            Publication(participant_channel(participant_id), granted),
            _hosts_event(room_id, hosts),
        ]

    async def host_key(self, room_id: str, participant_id: str) -> HostKeyView:
        """The room's host key and host link (the owner only)."""
        async with self.database.read() as queries:
            room = await self._room(queries, room_id)
            await self._require_owner(queries, room_id, participant_id)
        return HostKeyView(host_key=room.host_key, host_link=host_link(room_id, room.host_key))

    async def rotate_host_key(
        self, room_id: str, participant_id: str, *, keep_cohosts: bool = False
    ) -> tuple[HostKeyRotated, list[Publication]]:
        """Give the room a new host key (the owner only); co-hosts who joined with an older
        key lose their rights unless `keep_cohosts`, and their open sockets are closed."""
        key = secrets.token_urlsafe(24)
        async with self.database.write() as queries:
            await self._room(queries, room_id, lock=True)
            await self._require_owner(queries, room_id, participant_id)
            before = await queries.hosts(room_id)
            revoked = await queries.rotate_host_key(room_id, key, keep_cohosts=keep_cohosts)
            hosts = await queries.hosts(room_id) if revoked else []
        gone = [h for h in before if h.participant_id in revoked]
        rotated = HostKeyRotated(
            host_key=key,
            host_link=host_link(room_id, key),
            revoked=[
                ParticipantView(participant_id=h.participant_id, display_name=h.display_name)
                for h in gone
            ],
        )
        if not revoked:
            return rotated, []
        return rotated, [_hosts_event(room_id, hosts), *_revocations(room_id, revoked)]

    async def hosts(self, room_id: str, participant_id: str) -> HostsView:
        """Who hosts the room (hosts only)."""
        async with self.database.read() as queries:
            await self._room(queries, room_id)
            await self._require_host(queries, room_id, participant_id)
            return hosts_view(await queries.hosts(room_id))

    async def remove_host(
        self, room_id: str, participant_id: str, cohost_id: str
    ) -> tuple[HostsView, list[Publication]]:
        """Take a co-host's rights away (the owner only); their open sockets are closed."""
        async with self.database.write() as queries:
            await self._room(queries, room_id, lock=True)
            await self._require_owner(queries, room_id, participant_id)
            role = await queries.host_role(room_id, cohost_id)
            if role == "owner":
                raise conflict("the owner of a room cannot be removed", "owner")
            if role is None or not await queries.remove_cohost(room_id, cohost_id):
                raise not_found(f"{cohost_id!r} is not a host of this room", "unknown_host")
            hosts = await queries.hosts(room_id)
        return hosts_view(hosts), [
            _hosts_event(room_id, hosts),
            *_revocations(room_id, [cohost_id]),
        ]

    async def my_rooms(self, participant_id: str) -> MyRoomsView:
        """The rooms the participant hosts, most recently active first."""
        async with self.database.read() as queries:
            if await queries.participant(participant_id) is None:
                raise unauthenticated()
            return my_rooms_view(await queries.hosted_rooms(participant_id, MY_ROOMS_LIMIT))

    async def delete_room(
        self, room_id: str, participant_id: str, confirm_room_id: str
    ) -> list[Publication]:
        """Delete the room and everything in it (the owner only, who types its id to confirm);
        every open socket in it is closed."""
        async with self.database.write() as queries:
            await self._room(queries, room_id, lock=True)
            await self._require_owner(queries, room_id, participant_id)
            if not hmac.compare_digest(confirm_room_id.encode(), room_id.encode()):
                raise invalid(
                    f"to delete the room, confirm with its id {room_id!r}", "confirmation_mismatch"
                )
            await queries.delete_room(room_id, self.clock())
        close = CloseSockets(CLOSE_ROOM_DELETED, "room_deleted")
        return [Publication(room_channel(room_id), close)]

    async def export(self, room_id: str, participant_id: str) -> tuple[Room, list[Question]]:
        """Everything in the room, pending questions included (hosts only)."""
        async with self.database.read() as queries:
            room = await self._room(queries, room_id)
            await self._require_host(queries, room_id, participant_id)
            return room, await queries.room_questions(room_id, None, pending="all")

    async def join(
        self, room_id: str, participant_id: str | None, connection_id: str | None = None
    ) -> Joined:
        """Accept a socket of `participant_id` into `room_id` (and count it), or refuse it.

        Reads only, unless the participant is new to the room: joining again after a reconnect
        costs no write, and the socket is recorded with the next presence flush.
        """
        if participant_id is None:
            raise unauthenticated()
        if room_id_problem(room_id) is not None:
            raise not_found(f"no room {room_id!r}")
        async with self.database.read() as queries:
            arrival = await queries.arrival(room_id, participant_id)
        if arrival is None:
            raise unauthenticated()
        if arrival.room is None:
            raise not_found(f"no room {room_id!r}")
        if not arrival.member:
            async with self.database.write() as queries:
                await queries.add_member(room_id, participant_id, self.clock())
        if connection_id is not None:
            self.presence.opened(connection_id, room_id, participant_id)
        return Joined(arrival.participant, arrival.room, arrival.host)

    async def leave(self, connection_id: str) -> None:
        """Forget a closed socket (with the next presence flush)."""
        self.presence.closed(connection_id)

    async def seen(self, connection_id: str, actor: Actor) -> None:
        """Keep counting a socket the proxy just mentioned."""
        self.presence.seen(connection_id, actor.room_id, actor.participant_id)

    async def attendees(self, room_id: str) -> int:
        """How many people have a live socket in the room."""
        await self.presence.flush()
        async with self.database.read() as queries:
            return await queries.count_attendees(room_id, self._live_since())

    async def prune_connections(self) -> int:
        """Forget sockets that stopped counting long ago; how many went."""
        async with self.database.write() as queries:
            return await queries.prune_connections(self.clock() - 10 * self.connection_ttl_ms)

    def _live_since(self) -> int:
        return self.clock() - self.connection_ttl_ms

    # Socket messages

    async def handle(self, actor: Actor, message: Incoming, address: str | None = None) -> Outcome:
        """Apply one client message as `actor` from `address` (its key; None: not limited);
        raises Refused when it is not allowed."""
        match message:
            case QuestionPost():
                return await self._post(actor, message, address)
            case QuestionUpvote():
                return await self._upvote(actor, message, address)
            case QuestionAnswer():
                return await self._answer(actor, message)
            case QuestionDelete():
                return await self._delete(actor, message)
            case QuestionEdit():
                return await self._edit(actor, message)
            case ParticipantBan():
                return await self._ban(actor, message)
            case ParticipantUnban():
                return await self._unban(actor, message)
            case BlockedWordsSet():
                return await self._set_blocked_words(actor, message)
            case QuestionApprove():
                return await self._approve(actor, message)
            case QuestionsApprove():
                return await self._approve_many(actor, message)
            case QuestionsDismiss():
                return await self._dismiss_many(actor, message)
            case QuestionMarkAnswered():
                return await self._mark_answered(actor, message)
            case QuestionHighlight():
                return await self._highlight(actor, message)
            case QuestionsClear():
                return await self._clear(actor, message)
            case RoomInfoUpdate():
                return await self._update_room(actor, message)
            case UserInfoUpdate():
                _, publications = await self.rename(actor.participant_id, message.display_name)
                return Outcome(Ack(ref=message.ref), publications)
        raise invalid(f"unsupported message {type(message).__name__}")

    async def _post(self, actor: Actor, message: QuestionPost, address: str | None) -> Outcome:
        text = clean_text(message.question_text, "question", self.limits.question, multiline=True)
        nonce = check_nonce(message.nonce)
        await self.question_rate.take(actor.participant_id)
        if address is not None:
            await self.address_question_rate.take(f"{actor.room_id}:{address}")
        try:
            return await self._insert_question(actor, message, text, nonce)
        except IntegrityError:
            # The same nonce raced in from another room or process: the retry sees the winner.
            return await self._insert_question(actor, message, text, nonce)

    async def _insert_question(
        self, actor: Actor, message: QuestionPost, text: str, nonce: str
    ) -> Outcome:
        room_id, author = actor.room_id, actor.participant_id
        async with self.database.write() as queries:
            context = await queries.post_context(room_id, author, nonce)
            if context is None:
                raise not_found(f"no room {room_id!r}")
            # Before a retry is answered: a banned author's questions are hidden, even to them.
            if context.is_banned:
                raise _banned()
            if context.nonce_question_id is not None:
                existing = await queries.question_by_nonce(author, nonce)
                assert existing is not None  # read under the same lock
                if existing.room_id != room_id:
                    raise conflict("this nonce was already used in another room", "nonce_reused")
                # A retry means the reply was lost, maybe with the origin that died before it
                # published: announce it again, a harmless repeat when the room had heard.
                return Outcome(
                    Ack(ref=message.ref, question_id=existing.id, pending=existing.pending),
                    await _announce(queries, existing),
                )
            if context.author_name is None:
                raise unauthenticated()
            room = context.room
            if room.state == "closed":
                raise forbidden("the room is closed", "room_closed")
            if room.state == "voting":
                raise forbidden("the room takes no new questions, only votes", "room_voting_only")
            if message.anonymous and not room.allow_anonymous:
                raise forbidden("this room does not allow anonymous questions", "no_anonymous")
            if context.question_count >= self.limits.questions_per_room:
                raise forbidden("the room holds as many questions as it can", "room_full")
            if context.author_question_count >= self.limits.questions_per_participant:
                raise forbidden(
                    f"you have asked {self.limits.questions_per_participant} questions in this "
                    "room, as many as one person may",
                    "too_many_questions",
                )
            pending = room.moderation and not context.is_host
            # Held like every attendee's question when the room is moderated, refused otherwise.
            if not pending and not context.is_host and contains_blocked(text, room.blocked_words):
                raise _blocked_word()
            # The published view is built from what is written, not read back.
            question = Question(
                id=secrets.token_hex(8),
                room_id=room_id,
                author_id=author,
                author_name=context.author_name,
                nonce=nonce,
                text=text,
                anonymous=message.anonymous,
                pending=pending,
                created_at=self.clock(),
                upvotes=1,
                answer_text=None,
                answer_author_id=None,
                answer_author_name=None,
                answered_at=None,
                author_is_host=context.is_host,
            )
            await queries.insert_question(
                question_id=question.id,
                room_id=room_id,
                author_id=author,
                nonce=nonce,
                text=text,
                anonymous=question.anonymous,
                pending=pending,
                now=question.created_at,
            )
            publications = await _announce(queries, question)
        return Outcome(Ack(ref=message.ref, question_id=question.id, pending=pending), publications)

    async def _upvote(self, actor: Actor, message: QuestionUpvote, address: str | None) -> Outcome:
        await self.vote_rate.take(actor.participant_id)
        if address is not None and not message.remove_upvote:
            await self.address_vote_rate.take(f"{actor.room_id}:{message.question_id}:{address}")
        want = not message.remove_upvote
        async with self.database.write() as queries:
            target = await queries.vote_target(
                actor.room_id, message.question_id, actor.participant_id
            )
            if target is None:
                raise not_found(f"no room {actor.room_id!r}")
            if target.voter_banned:
                raise _banned()
            if target.room_state == "closed":
                raise forbidden("the room is closed", "room_closed")
            question = target.question
            if question is None:
                raise not_found(
                    f"no question {message.question_id!r} in this room", "unknown_question"
                )
            if question.pending:
                await self._hide_pending(queries, actor, question)
                raise forbidden("the question awaits approval", "question_pending")
            # Whether this vote changed anything comes from the write itself: under READ COMMITTED
            # the voter's vote read above may predate a racing transaction of the same voter.
            changed, upvotes = await queries.set_vote(
                question.id, actor.participant_id, want, self.clock()
            )
            reply = Ack(ref=message.ref, question_id=question.id, upvoted=want, upvotes=upvotes)
            if not changed:
                return Outcome(reply)
            seq = await queries.next_seq(actor.room_id)
        return Outcome(
            reply,
            [
                Publication(
                    room_channel(actor.room_id),
                    QuestionUpvoted(
                        room_id=actor.room_id, seq=seq, question_id=question.id, upvotes=upvotes
                    ),
                ),
                Publication(
                    participant_channel(actor.participant_id),
                    VoteChanged(
                        room_id=actor.room_id,
                        question_id=question.id,
                        upvoted=want,
                        upvotes=upvotes,
                    ),
                ),
            ],
        )

    async def _answer(self, actor: Actor, message: QuestionAnswer) -> Outcome:
        text = clean_text(message.answer_text, "answer", self.limits.answer, multiline=True)
        async with self.database.write() as queries:
            await self._host_action(queries, actor)
            question = await self._question(queries, actor.room_id, message.question_id)
            if question.pending:
                raise forbidden("approve the question before answering it", "question_pending")
            await queries.set_answer(
                question.id, text=text, author_id=actor.participant_id, now=self.clock()
            )
            answered = await self._question(queries, actor.room_id, question.id)
            event = QuestionUpdated(
                room_id=actor.room_id,
                seq=await queries.next_seq(actor.room_id),
                question=question_view(answered),
            )
        return Outcome(
            Ack(ref=message.ref, question_id=question.id),
            [Publication(room_channel(actor.room_id), event)],
        )

    async def _delete(self, actor: Actor, message: QuestionDelete) -> Outcome:
        async with self.database.write() as queries:
            room = await self._room(queries, actor.room_id, lock=True)
            is_host = await queries.is_host(actor.room_id, actor.participant_id)
            question = await self._changed_question(queries, actor, message.question_id, is_host)
            if not is_host:
                await self._author_change(queries, actor, room, question)
            await queries.delete_question(question.id)
            channel = room_channel(actor.room_id)
            publications = [
                Publication(
                    channel,
                    QuestionDeleted(
                        room_id=actor.room_id,
                        seq=await queries.next_seq(actor.room_id),
                        question_id=question.id,
                    ),
                )
            ]
            if room.highlighted_question_id == question.id:
                await queries.set_highlight(actor.room_id, None)
                publications.append(await self._room_event(queries, actor.room_id))
        return Outcome(Ack(ref=message.ref, question_id=question.id), publications)

    async def _changed_question(
        self, queries: Queries, actor: Actor, question_id: str, is_host: bool
    ) -> Question:
        """The question to edit or delete, read with the actor's own vote; to a non-host, one
        that does not exist is refused as another's would be, so ids cannot be probed."""
        try:
            return await self._question(queries, actor.room_id, question_id, actor.participant_id)
        except Refused:
            if is_host:
                raise
            raise forbidden("only hosts of this room may do this", "not_host") from None

    async def _author_change(
        self, queries: Queries, actor: Actor, room: Room, question: Question
    ) -> None:
        """Refuse a non-host's edit or deletion unless they asked the question and it is
        still theirs alone (`question` read with the actor's own vote)."""
        if question.author_id != actor.participant_id:
            raise forbidden("only hosts of this room may do this", "not_host")
        if await queries.is_banned(actor.room_id, actor.participant_id):
            raise _banned()
        if room.state == "closed":
            raise forbidden("the room is closed", "room_closed")
        if _locked(question):
            raise forbidden(
                "this question already has an answer, another person's vote or a host's edit: "
                "only a host can change or delete it now",
                "question_locked",
            )

    async def _edit(self, actor: Actor, message: QuestionEdit) -> Outcome:
        text = clean_text(message.question_text, "question", self.limits.question, multiline=True)
        async with self.database.write() as queries:
            room = await self._room(queries, actor.room_id, lock=True)
            is_host = await queries.is_host(actor.room_id, actor.participant_id)
            question = await self._changed_question(queries, actor, message.question_id, is_host)
            if not is_host:
                await self._author_change(queries, actor, room, question)
                # A held question waits for a host anyway; a published one must stay clean.
                if not question.pending and contains_blocked(text, room.blocked_words):
                    raise _blocked_word()
            reply = Ack(ref=message.ref, question_id=question.id)
            if text == question.text:
                return Outcome(reply)
            # Once a host changed the words, the card keeps saying so.
            edited_by = "host" if is_host else (question.edited_by or "author")
            await queries.edit_question(
                question.id, text=text, edited_by=edited_by, now=self.clock()
            )
            publications = await _announce(
                queries, replace(question, text=text, edited_by=edited_by)
            )
        return Outcome(reply, publications)

    async def _ban(self, actor: Actor, message: ParticipantBan) -> Outcome:
        async with self.database.write() as queries:
            room = await self._host_action(queries, actor)
            question = await self._question(queries, actor.room_id, message.question_id)
            target = question.author_id
            if target == actor.participant_id:
                raise conflict("you cannot ban yourself", "cannot_ban_self")
            role = await queries.host_role(actor.room_id, target)
            if role == "owner":
                raise conflict("the room's owner cannot be banned", "cannot_ban_owner")
            if role is not None:
                raise conflict(
                    "a co-host cannot be banned: the owner removes them as host first",
                    "cannot_ban_host",
                )
            ban_id = secrets.token_hex(8)
            await queries.add_ban(
                ban_id,
                actor.room_id,
                target,
                anonymous=question.anonymous,
                question_text=question.text,
                now=self.clock(),
            )
            hidden = await queries.author_question_ids(actor.room_id, target)
            publications = [
                Publication(
                    room_channel(actor.room_id),
                    ParticipantBanned(
                        room_id=actor.room_id,
                        seq=await queries.next_seq(actor.room_id),
                        question_ids=hidden,
                    ),
                )
            ]
            if room.highlighted_question_id in hidden:
                await queries.set_highlight(actor.room_id, None)
                publications.append(await self._room_event(queries, actor.room_id))
            publications += [
                await _bans_event(queries, actor.room_id),
                Publication(
                    participant_channel(target), BanChanged(room_id=actor.room_id, banned=True)
                ),
            ]
        return Outcome(Ack(ref=message.ref, ban_id=ban_id), publications)

    async def _unban(self, actor: Actor, message: ParticipantUnban) -> Outcome:
        async with self.database.write() as queries:
            await self._host_action(queries, actor)
            target = await queries.remove_ban(actor.room_id, message.ban_id)
            if target is None:
                raise not_found(f"no ban {message.ban_id!r} in this room", "unknown_ban")
            shown = await queries.room_questions(
                actor.room_id, None, pending="all", author_id=target
            )
            published = [question_view(q) for q in shown if not q.pending]
            publications = [
                Publication(
                    room_channel(actor.room_id),
                    ParticipantUnbanned(
                        room_id=actor.room_id,
                        seq=await queries.next_seq(actor.room_id),
                        questions=published,
                    ),
                )
            ]
            for held in (q for q in shown if q.pending):
                publications += await _announce(queries, held)
            publications += [
                await _bans_event(queries, actor.room_id),
                Publication(
                    participant_channel(target), BanChanged(room_id=actor.room_id, banned=False)
                ),
            ]
        return Outcome(Ack(ref=message.ref, ban_id=message.ban_id), publications)

    async def _set_blocked_words(self, actor: Actor, message: BlockedWordsSet) -> Outcome:
        async with self.database.write() as queries:
            room = await self._host_action(queries, actor)
            words = clean_words(message.words, self.limits)
            reply = Ack(ref=message.ref, words=words)
            if tuple(words) == room.blocked_words:
                return Outcome(reply)
            await queries.set_blocked_words(actor.room_id, words)
            event = BlockedWordsUpdated(room_id=actor.room_id, words=words)
        return Outcome(reply, [Publication(hosts_channel(actor.room_id), event)])

    async def _approve(self, actor: Actor, message: QuestionApprove) -> Outcome:
        async with self.database.write() as queries:
            await self._host_action(queries, actor)
            question = await self._question(queries, actor.room_id, message.question_id)
            reply = Ack(ref=message.ref, question_id=question.id, pending=False)
            if not question.pending:
                return Outcome(reply)
            await queries.approve_question(question.id)
            approved = await self._question(queries, actor.room_id, question.id)
            event = QuestionUpdated(
                room_id=actor.room_id,
                seq=await queries.next_seq(actor.room_id),
                question=question_view(approved),
            )
        return Outcome(reply, [Publication(room_channel(actor.room_id), event)])

    async def _approve_many(self, actor: Actor, message: QuestionsApprove) -> Outcome:
        ids = self._batch(message.question_ids)
        async with self.database.write() as queries:
            await self._host_action(queries, actor)
            held = [q for q in await queries.questions_in(actor.room_id, ids) if q.pending]
            reply = Ack(ref=message.ref, question_ids=[q.id for q in held])
            if not held:
                return Outcome(reply)
            await queries.approve_questions(q.id for q in held)
            seqs = await queries.next_seqs(actor.room_id, len(held))
        channel = room_channel(actor.room_id)
        return Outcome(
            reply,
            [
                Publication(
                    channel,
                    QuestionUpdated(
                        room_id=actor.room_id,
                        seq=seq,
                        question=question_view(replace(question, pending=False)),
                    ),
                )
                for question, seq in zip(held, seqs, strict=True)
            ],
        )

    async def _dismiss_many(self, actor: Actor, message: QuestionsDismiss) -> Outcome:
        ids = self._batch(message.question_ids)
        async with self.database.write() as queries:
            await self._host_action(queries, actor)
            # Only what still waits: a question another host approved meanwhile stays.
            held = [q.id for q in await queries.questions_in(actor.room_id, ids) if q.pending]
            reply = Ack(ref=message.ref, question_ids=held)
            if not held:
                return Outcome(reply)
            await queries.delete_questions(held)
            seqs = await queries.next_seqs(actor.room_id, len(held))
        channel = room_channel(actor.room_id)
        return Outcome(
            reply,
            [
                Publication(
                    channel, QuestionDeleted(room_id=actor.room_id, seq=seq, question_id=qid)
                )
                for qid, seq in zip(held, seqs, strict=True)
            ],
        )

    def _batch(self, question_ids: list[str]) -> list[str]:
        """The ids of a bulk message, once each, or a refusal when there are none or too many."""
        ids = list(dict.fromkeys(question_ids))
        if not ids:
            raise invalid("name at least one question in questionIds", "no_questions")
        if len(ids) > self.limits.batch:
            raise invalid(
                f"at most {self.limits.batch} questions at once, not {len(ids)}: "
                "send the others in another message",
                "too_many_questions_at_once",
            )
        return ids

    async def _mark_answered(self, actor: Actor, message: QuestionMarkAnswered) -> Outcome:
        async with self.database.write() as queries:
            await self._host_action(queries, actor)
            question = await self._question(queries, actor.room_id, message.question_id)
            if question.pending:
                raise forbidden("approve the question before marking it", "question_pending")
            reply = Ack(ref=message.ref, question_id=question.id)
            if (question.answered_at is not None) == message.answered:
                return Outcome(reply)
            # A written answer keeps its author; a bare mark is signed by whoever marked it.
            author = question.answer_author_id
            if question.answer_text is None:
                author = actor.participant_id if message.answered else None
            await queries.set_answered(
                question.id,
                answered_at=self.clock() if message.answered else None,
                author_id=author,
            )
            marked = await self._question(queries, actor.room_id, question.id)
            event = QuestionUpdated(
                room_id=actor.room_id,
                seq=await queries.next_seq(actor.room_id),
                question=question_view(marked),
            )
        return Outcome(reply, [Publication(room_channel(actor.room_id), event)])

    async def _highlight(self, actor: Actor, message: QuestionHighlight) -> Outcome:
        async with self.database.write() as queries:
            room = await self._host_action(queries, actor)
            question_id = message.question_id
            if question_id is not None:
                question = await self._question(queries, actor.room_id, question_id)
                if question.pending:
                    raise forbidden(
                        "approve the question before highlighting it", "question_pending"
                    )
            reply = Ack(ref=message.ref)
            if room.highlighted_question_id == question_id:
                return Outcome(reply)
            await queries.set_highlight(actor.room_id, question_id)
            publication = await self._room_event(queries, actor.room_id)
        return Outcome(reply, [publication])

    async def _clear(self, actor: Actor, message: QuestionsClear) -> Outcome:
        async with self.database.write() as queries:
            room = await self._host_action(queries, actor)
            cleared = await queries.clear_questions(
                actor.room_id, answered_only=message.answered_only
            )
            reply = Ack(ref=message.ref, cleared=len(cleared))
            if not cleared:
                return Outcome(reply)
            event = QuestionsCleared(
                room_id=actor.room_id,
                seq=await queries.next_seq(actor.room_id),
                answered_only=message.answered_only,
            )
            publications = [Publication(room_channel(actor.room_id), event)]
            if room.highlighted_question_id in cleared:
                await queries.set_highlight(actor.room_id, None)
                publications.append(await self._room_event(queries, actor.room_id))
        return Outcome(reply, publications)

    async def _update_room(self, actor: Actor, message: RoomInfoUpdate) -> Outcome:
        values: dict[str, Any] = {}
        if isinstance(message.display_name, str):
            values["display_name"] = clean_text(
                message.display_name, "room name", self.limits.room_name
            )
        if isinstance(message.theme_color, str):
            values["theme_color"] = check_theme_color(message.theme_color)
        if isinstance(message.state, str):
            values["state"] = check_room_state(message.state)
        if isinstance(message.moderation, bool):
            values["moderation"] = message.moderation
        if isinstance(message.allow_anonymous, bool):
            values["allow_anonymous"] = message.allow_anonymous
        async with self.database.write() as queries:
            room = await self._room(queries, actor.room_id, lock=True)
            await self._require_host(queries, actor.room_id, actor.participant_id)
            changed = {k: v for k, v in values.items() if getattr(room, k) != v}
            if not changed:
                return Outcome(Ack(ref=message.ref))
            await queries.update_room(actor.room_id, changed)
            publication = await self._room_event(queries, actor.room_id)
        return Outcome(Ack(ref=message.ref), [publication])

    # Helpers (all inside the caller's transaction)

    async def _room(self, queries: Queries, room_id: str, *, lock: bool = False) -> Room:
        room = await queries.room(room_id, lock=lock)
        if room is None:
            raise not_found(f"no room {room_id!r}")
        return room

    async def _question(
        self, queries: Queries, room_id: str, question_id: str, viewer_id: str | None = None
    ) -> Question:
        question = None
        if is_question_id(question_id):
            question = await queries.question(room_id, question_id, viewer_id)
        if question is None:
            raise not_found(f"no question {question_id!r} in this room", "unknown_question")
        return question

    async def _hide_pending(self, queries: Queries, actor: Actor, question: Question) -> None:
        """Pending questions do not exist for anyone but their author and the hosts."""
        if question.author_id != actor.participant_id and not await queries.is_host(
            actor.room_id, actor.participant_id
        ):
            raise not_found(f"no question {question.id!r} in this room", "unknown_question")

    async def _require_host(self, queries: Queries, room_id: str, participant_id: str) -> None:
        if not await queries.is_host(room_id, participant_id):
            raise forbidden("only hosts of this room may do this", "not_host")

    async def _require_owner(self, queries: Queries, room_id: str, participant_id: str) -> None:
        role = await queries.host_role(room_id, participant_id)
        if role is None:
            raise forbidden("only hosts of this room may do this", "not_host")
        if role != "owner":
            raise forbidden("only the owner of this room (its creator) may do this", "not_owner")

    async def _host_action(self, queries: Queries, actor: Actor) -> Room:
        """Lock the room and check the actor hosts it (a closed room stops attendees only)."""
        room = await self._room(queries, actor.room_id, lock=True)
        await self._require_host(queries, actor.room_id, actor.participant_id)
        return room

    async def _room_event(self, queries: Queries, room_id: str) -> Publication:
        seq = await queries.next_seq(room_id)
        room = await self._room(queries, room_id)
        return Publication(
            room_channel(room_id), RoomUpdated(room_id=room_id, seq=seq, room=room_view(room))
        )


def _revocations(room_id: str, participant_ids: list[str]) -> list[Publication]:
    """Close each former host's sockets in the room: a socket stays subscribed to the hosts'
    channel until it closes, whatever its client does; the client reconnects as an attendee.
    Published last, so that no frame of this change follows the close frame."""
    close = CloseSockets(CLOSE_HOST_REVOKED, "host_revoked")
    return [Publication(host_sockets_channel(room_id, pid), close) for pid in participant_ids]


def _blocked_word() -> Refused:
    return forbidden(
        "your question contains a word or phrase this room's hosts have blocked; rephrase it",
        "blocked_word",
    )


async def _bans_event(queries: Queries, room_id: str) -> Publication:
    bans = [ban_view(ban) for ban in await queries.bans(room_id)]
    return Publication(hosts_channel(room_id), BansUpdated(room_id=room_id, bans=bans))


def _hosts_event(room_id: str, hosts: list[Host]) -> Publication:
    return Publication(
        hosts_channel(room_id),
        HostsUpdated(room_id=room_id, hosts=hosts_view(hosts).hosts),
    )


async def _announce(queries: Queries, question: Question) -> list[Publication]:
    """A posted question's event: to the room, or to its hosts and author while it is pending."""
    room_id = question.room_id
    if question.pending:
        held = QuestionUpdated(room_id=room_id, question=question_view(question))
        return [
            Publication(hosts_channel(room_id), held),
            Publication(participant_channel(question.author_id), held),
        ]
    seq = await queries.next_seq(room_id)
    event = QuestionUpdated(room_id=room_id, seq=seq, question=question_view(question))
    return [Publication(room_channel(room_id), event)]


__all__ = [
    "Actor",
    "AddressRates",
    "Board",
    "CloseSockets",
    "Joined",
    "Outcome",
    "Publication",
    "Rates",
    "Refused",
]
