"""The one query set, written once for SQLite and PostgreSQL, run inside a caller's transaction."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Insert,
    and_,
    bindparam,
    delete,
    func,
    insert,
    literal,
    not_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import aliased

from liveqa.store.records import (
    Arrival,
    Host,
    HostedRoom,
    Participant,
    PostContext,
    Question,
    Room,
    VoteTarget,
)
from liveqa.store.tables import (
    connections,
    deleted_rooms,
    participants,
    questions,
    room_hosts,
    room_members,
    rooms,
    settings,
    votes,
)

ROOM_FIELDS = frozenset({"display_name", "theme_color", "state", "moderation", "allow_anonymous"})

_authors = aliased(participants, name="authors")
_answerers = aliased(participants, name="answerers")
_own_vote = votes.alias("own_vote")


def _question_select(viewer: bool) -> Any:
    """Questions with author and answerer names, and whether `:viewer_id` voted when `viewer`."""
    voted: ColumnElement[Any]
    if viewer:
        voted = _own_vote.c.participant_id.is_not(None)
        statement = select(questions).outerjoin(
            _own_vote,
            and_(
                _own_vote.c.question_id == questions.c.id,
                _own_vote.c.participant_id == bindparam("viewer_id"),
            ),
        )
    else:
        voted = literal(False)
        statement = select(questions)
    return (
        statement.add_columns(
            _authors.c.display_name.label("author_name"),
            _answerers.c.display_name.label("answer_author_name"),
            voted.label("voted"),
            select(literal(1))
            .where(
                room_hosts.c.room_id == questions.c.room_id,
                room_hosts.c.participant_id == questions.c.author_id,
            )
            .exists()
            .label("author_is_host"),
        )
        .join(_authors, _authors.c.id == questions.c.author_id)
        .outerjoin(_answerers, _answerers.c.id == questions.c.answer_author_id)
    )


# Statements of the hot paths are built once: building a statement costs more than running it
# from SQLAlchemy's compiled cache, and a built statement also keeps its cache key.
_QUESTIONS = _question_select(viewer=False)
_VIEWER_QUESTIONS = _question_select(viewer=True)
_QUESTION = _QUESTIONS.where(
    questions.c.id == bindparam("question_id"), questions.c.room_id == bindparam("room_id")
)
_VIEWER_QUESTION = _VIEWER_QUESTIONS.where(
    questions.c.id == bindparam("question_id"), questions.c.room_id == bindparam("room_id")
)
_QUESTION_BY_NONCE = _VIEWER_QUESTIONS.where(
    questions.c.author_id == bindparam("viewer_id"), questions.c.nonce == bindparam("nonce")
)
_PARTICIPANT = select(participants).where(participants.c.id == bindparam("participant_id"))
_ROOM = select(rooms).where(rooms.c.id == bindparam("room_id"))
_LOCKED_ROOM = _ROOM.with_for_update()
_NEXT_SEQ = (
    update(rooms)
    .where(rooms.c.id == bindparam("room_id"))
    .values(seq=rooms.c.seq + 1)
    .returning(rooms.c.seq)
)
_IS_HOST = select(literal(1)).where(
    room_hosts.c.room_id == bindparam("room_id"),
    room_hosts.c.participant_id == bindparam("participant_id"),
)
# One statement instead of four: every socket's open runs it, and each statement is a hand-off
# to the database driver and back.
_ARRIVAL = (
    select(
        participants.c.display_name.label("participant_name"),
        participants.c.created_at.label("participant_created_at"),
        rooms,
        select(literal(1))
        .where(
            room_members.c.room_id == bindparam("room_id"),
            room_members.c.participant_id == participants.c.id,
        )
        .exists()
        .label("is_member"),
        select(literal(1))
        .where(
            room_hosts.c.room_id == bindparam("room_id"),
            room_hosts.c.participant_id == participants.c.id,
        )
        .exists()
        .label("is_host"),
    )
    .select_from(participants.outerjoin(rooms, rooms.c.id == bindparam("room_id")))
    .where(participants.c.id == bindparam("participant_id"))
)
_COUNT_QUESTIONS = (
    select(func.count()).select_from(questions).where(questions.c.room_id == bindparam("room_id"))
)
_INSERT_QUESTION = insert(questions)
_INSERT_VOTE = insert(votes)
# The primary key keeps a vote single; ON CONFLICT makes a repeated one a no-op without the
# savepoint a failed INSERT would need.
_ADD_VOTE: dict[str, Insert] = {
    "sqlite": sqlite.insert(votes).on_conflict_do_nothing(),
    "postgresql": postgresql.insert(votes).on_conflict_do_nothing(),
}
_TARGET = _VIEWER_QUESTION.subquery("target")
_VOTE_TARGET = (
    select(rooms.c.state.label("room_state"), _TARGET)
    .select_from(rooms.outerjoin(_TARGET, _TARGET.c.room_id == rooms.c.id))
    .where(rooms.c.id == bindparam("room_id"))
    .with_for_update(of=rooms)
)
_POST_CONTEXT = (
    select(
        rooms,
        select(literal(1))
        .where(
            room_hosts.c.room_id == rooms.c.id,
            room_hosts.c.participant_id == bindparam("author_id"),
        )
        .exists()
        .label("is_host"),
        select(func.count())
        .select_from(questions)
        .where(questions.c.room_id == rooms.c.id)
        .scalar_subquery()
        .label("question_count"),
        select(func.count())
        .select_from(questions)
        .where(questions.c.room_id == rooms.c.id, questions.c.author_id == bindparam("author_id"))
        .scalar_subquery()
        .label("author_question_count"),
        select(participants.c.display_name)
        .where(participants.c.id == bindparam("author_id"))
        .scalar_subquery()
        .label("author_name"),
        select(questions.c.id)
        .where(
            questions.c.author_id == bindparam("author_id"), questions.c.nonce == bindparam("nonce")
        )
        .scalar_subquery()
        .label("nonce_question_id"),
    )
    .where(rooms.c.id == bindparam("room_id"))
    .with_for_update(of=rooms)
)
_DELETE_VOTE = delete(votes).where(
    votes.c.question_id == bindparam("question_id"),
    votes.c.participant_id == bindparam("participant_id"),
)
_COUNT_VOTES = (
    select(func.count())
    .select_from(votes)
    .where(votes.c.question_id == bindparam("question_id"))
    .scalar_subquery()
)
_RECOUNT_VOTES = (
    update(questions)
    .where(questions.c.id == bindparam("question_id"))
    .values(upvotes=_COUNT_VOTES)
    .returning(questions.c.upvotes)
)


def _room(row: Any) -> Room:
    return Room(
        id=row.id,
        display_name=row.display_name,
        theme_color=row.theme_color,
        state=row.state,
        moderation=bool(row.moderation),
        allow_anonymous=bool(row.allow_anonymous),
        highlighted_question_id=row.highlighted_question_id,
        host_key=row.host_key,
        host_key_generation=int(row.host_key_generation),
        seq=int(row.seq),
        created_by=row.created_by,
        created_at=int(row.created_at),
    )


def _question(row: Any) -> Question:
    return Question(
        id=row.id,
        room_id=row.room_id,
        author_id=row.author_id,
        author_name=row.author_name,
        nonce=row.nonce,
        text=row.text,
        anonymous=bool(row.anonymous),
        pending=bool(row.pending),
        created_at=int(row.created_at),
        upvotes=int(row.upvotes),
        answer_text=row.answer_text,
        answer_author_id=row.answer_author_id,
        answer_author_name=row.answer_author_name,
        answered_at=None if row.answered_at is None else int(row.answered_at),
        voted=bool(row.voted),
        author_is_host=bool(row.author_is_host),
    )


class Queries:
    """Every read and write of the app; the caller owns the transaction (see Store)."""

    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def _insert_new(self, statement: Any, params: Mapping[str, Any] | None = None) -> bool:
        """Run an INSERT in a savepoint; False when a unique constraint says the row exists."""
        try:
            async with self.connection.begin_nested():
                await self.connection.execute(statement, params)
        except IntegrityError:
            return False
        return True

    # Participants

    async def create_participant(self, participant_id: str, display_name: str, now: int) -> None:
        """Insert a participant."""
        await self.connection.execute(
            insert(participants).values(
                id=participant_id, display_name=display_name, created_at=now
            )
        )

    async def participant(self, participant_id: str) -> Participant | None:
        """The participant with this id, if any."""
        params = {"participant_id": participant_id}
        row = (await self.connection.execute(_PARTICIPANT, params)).first()
        if row is None:
            return None
        return Participant(row.id, row.display_name, int(row.created_at))

    async def arrival(self, room_id: str, participant_id: str) -> Arrival | None:
        """The participant, the room and whether they are its member and host; None: no such
        participant."""
        params = {"room_id": room_id, "participant_id": participant_id}
        row = (await self.connection.execute(_ARRIVAL, params)).first()
        if row is None:
            return None
        participant = Participant(
            participant_id, row.participant_name, int(row.participant_created_at)
        )
        room = None if row.id is None else _room(row)
        return Arrival(participant, room, bool(row.is_member), bool(row.is_host))

    async def rename_participant(self, participant_id: str, display_name: str) -> None:
        """Change a participant's display name."""
        await self.connection.execute(
            update(participants)
            .where(participants.c.id == participant_id)
            .values(display_name=display_name)
        )

    async def participant_rooms(self, participant_id: str) -> list[str]:
        """Ids of the rooms the participant joined or posted in, sorted."""
        joined = select(room_members.c.room_id).where(
            room_members.c.participant_id == participant_id
        )
        posted = select(questions.c.room_id).where(questions.c.author_id == participant_id)
        rows = await self.connection.execute(joined.union(posted))
        return sorted(row[0] for row in rows)

    # Rooms

    async def create_room(
        self,
        room_id: str,
        *,
        display_name: str,
        theme_color: str,
        host_key: str,
        created_by: str,
        now: int,
        moderation: bool = False,
        allow_anonymous: bool = False,
    ) -> bool:
        """Insert a room with its creator as owner; False when the id is taken.

        A room made again under a deleted room's id numbers its events on from the old ones."""
        previous = await self.connection.execute(
            select(deleted_rooms.c.seq).where(deleted_rooms.c.room_id == room_id)
        )
        seq = int(previous.scalar_one_or_none() or 0)
        created = await self._insert_new(
            insert(rooms).values(
                id=room_id,
                display_name=display_name,
                theme_color=theme_color,
                state="open",
                moderation=moderation,
                allow_anonymous=allow_anonymous,
                highlighted_question_id=None,
                host_key=host_key,
                seq=seq,
                created_by=created_by,
                created_at=now,
            )
        )
        if created:
            await self.connection.execute(
                insert(room_hosts).values(
                    room_id=room_id, participant_id=created_by, added_at=now, role="owner"
                )
            )
            await self.connection.execute(
                delete(deleted_rooms).where(deleted_rooms.c.room_id == room_id)
            )
        return created

    async def delete_room(self, room_id: str, now: int) -> bool:
        """Delete a room with everything in it, remembering its last event number."""
        result = await self.connection.execute(
            delete(rooms).where(rooms.c.id == room_id).returning(rooms.c.seq)
        )
        seq = result.scalar_one_or_none()
        if seq is None:
            return False
        await self.connection.execute(
            delete(deleted_rooms).where(deleted_rooms.c.room_id == room_id)
        )
        await self.connection.execute(
            insert(deleted_rooms).values(room_id=room_id, seq=int(seq), deleted_at=now)
        )
        return True

    async def hosted_rooms(self, participant_id: str, limit: int) -> list[HostedRoom]:
        """The rooms the participant hosts (the `limit` newest), most recently active first."""
        in_room = questions.c.room_id == rooms.c.id
        statement = (
            select(
                rooms.c.id,
                rooms.c.display_name,
                rooms.c.state,
                rooms.c.created_at,
                room_hosts.c.role,
                select(func.count()).where(in_room).scalar_subquery().label("question_count"),
                select(func.max(questions.c.created_at))
                .where(in_room)
                .scalar_subquery()
                .label("asked_at"),
                select(func.max(questions.c.answered_at))
                .where(in_room)
                .scalar_subquery()
                .label("answered_at"),
            )
            .join(room_hosts, room_hosts.c.room_id == rooms.c.id)
            .where(room_hosts.c.participant_id == participant_id)
            .order_by(rooms.c.created_at.desc(), rooms.c.id)
            .limit(limit)
        )
        hosted = [
            HostedRoom(
                room_id=row.id,
                display_name=row.display_name,
                state=row.state,
                role=row.role,
                question_count=int(row.question_count),
                last_activity=max(
                    int(moment)
                    for moment in (row.created_at, row.asked_at, row.answered_at)
                    if moment is not None
                ),
            )
            for row in await self.connection.execute(statement)
        ]
        return sorted(hosted, key=lambda room: (-room.last_activity, room.room_id))

    async def room(self, room_id: str, *, lock: bool = False) -> Room | None:
        """The room, if any; `lock` holds its row until commit, serialising writers per room."""
        statement = _LOCKED_ROOM if lock else _ROOM
        row = (await self.connection.execute(statement, {"room_id": room_id})).first()
        return None if row is None else _room(row)

    async def lock_rooms(self, room_ids: Iterable[str]) -> list[Room]:
        """Lock several rooms in id order (one order everywhere, so writers never deadlock)."""
        ids = sorted(set(room_ids))
        if not ids:
            return []
        statement = select(rooms).where(rooms.c.id.in_(ids)).order_by(rooms.c.id).with_for_update()
        return [_room(row) for row in await self.connection.execute(statement)]

    async def update_room(self, room_id: str, values: Mapping[str, Any]) -> None:
        """Change room settings (keys of ROOM_FIELDS)."""
        unknown = set(values) - ROOM_FIELDS
        if unknown:
            raise ValueError(f"not a room setting: {sorted(unknown)}")
        if values:
            await self.connection.execute(
                update(rooms).where(rooms.c.id == room_id).values(**values)
            )

    async def set_highlight(self, room_id: str, question_id: str | None) -> None:
        """Set or clear the room's highlighted question."""
        await self.connection.execute(
            update(rooms).where(rooms.c.id == room_id).values(highlighted_question_id=question_id)
        )

    async def next_seq(self, room_id: str) -> int:
        """Allocate the room's next event number inside the caller's transaction.

        The increment is part of the write it numbers: a rollback gives the number back, and the
        row lock it takes orders concurrent writers, so numbers never skip or repeat.
        """
        result = await self.connection.execute(_NEXT_SEQ, {"room_id": room_id})
        return int(result.scalar_one())

    async def is_host(self, room_id: str, participant_id: str) -> bool:
        """Whether the participant is a host of the room."""
        params = {"room_id": room_id, "participant_id": participant_id}
        return (await self.connection.execute(_IS_HOST, params)).first() is not None

    async def host_role(self, room_id: str, participant_id: str) -> str | None:
        """`owner`, `cohost`, or None when the participant does not host the room."""
        result = await self.connection.execute(
            select(room_hosts.c.role).where(
                room_hosts.c.room_id == room_id, room_hosts.c.participant_id == participant_id
            )
        )
        role = result.scalar_one_or_none()
        return None if role is None else str(role)

    async def add_host(
        self, room_id: str, participant_id: str, now: int, *, key_generation: int
    ) -> bool:
        """Make the participant a co-host by key `key_generation`; False when already a host.

        A co-host joining again records the newer key; the owner stays owner.
        """
        added = await self._insert_new(
            insert(room_hosts).values(
                room_id=room_id,
                participant_id=participant_id,
                added_at=now,
                role="cohost",
                key_generation=key_generation,
            )
        )
        if not added:
            await self.connection.execute(
                update(room_hosts)
                .where(
                    room_hosts.c.room_id == room_id,
                    room_hosts.c.participant_id == participant_id,
                    room_hosts.c.role == "cohost",
                )
                .values(key_generation=key_generation)
            )
        return added

    async def hosts(self, room_id: str) -> list[Host]:
        """The room's hosts, the owner first, then co-hosts in the order they joined."""
        statement = (
            select(room_hosts, participants.c.display_name)
            .join(participants, participants.c.id == room_hosts.c.participant_id)
            .where(room_hosts.c.room_id == room_id)
            .order_by(
                (room_hosts.c.role != "owner"), room_hosts.c.added_at, room_hosts.c.participant_id
            )
        )
        return [
            Host(
                participant_id=row.participant_id,
                display_name=row.display_name,
                role=row.role,
                key_generation=None if row.key_generation is None else int(row.key_generation),
                added_at=int(row.added_at),
            )
            for row in await self.connection.execute(statement)
        ]

    async def remove_cohost(self, room_id: str, participant_id: str) -> bool:
        """Take a co-host's rights away; False when they are not a co-host (the owner stays)."""
        result = await self.connection.execute(
            delete(room_hosts).where(
                room_hosts.c.room_id == room_id,
                room_hosts.c.participant_id == participant_id,
                room_hosts.c.role == "cohost",
            )
        )
        return bool(result.rowcount)

    async def rotate_host_key(
        self, room_id: str, host_key: str, *, keep_cohosts: bool
    ) -> list[str]:
        """Set a new host key (the next generation); unless `keep_cohosts`, revoke every co-host
        who joined with an older key. Returns the revoked participants' ids, sorted."""
        result = await self.connection.execute(
            update(rooms)
            .where(rooms.c.id == room_id)
            .values(host_key=host_key, host_key_generation=rooms.c.host_key_generation + 1)
            .returning(rooms.c.host_key_generation)
        )
        generation = int(result.scalar_one())
        if keep_cohosts:
            return []
        revoked = await self.connection.execute(
            delete(room_hosts)
            .where(
                room_hosts.c.room_id == room_id,
                room_hosts.c.role == "cohost",
                room_hosts.c.key_generation < generation,
            )
            .returning(room_hosts.c.participant_id)
        )
        return sorted(str(row[0]) for row in revoked)

    async def is_member(self, room_id: str, participant_id: str) -> bool:
        """Whether the participant has joined the room before."""
        found = await self.connection.execute(
            select(literal(1)).where(
                room_members.c.room_id == room_id, room_members.c.participant_id == participant_id
            )
        )
        return found.first() is not None

    async def add_member(self, room_id: str, participant_id: str, now: int) -> bool:
        """Record that the participant joined the room; False when already recorded."""
        return await self._insert_new(
            insert(room_members).values(
                room_id=room_id, participant_id=participant_id, joined_at=now
            )
        )

    # Questions

    async def question(
        self, room_id: str, question_id: str, viewer_id: str | None = None
    ) -> Question | None:
        """The question if it belongs to this room (ids from other rooms are not found)."""
        params = {"question_id": question_id, "room_id": room_id, "viewer_id": viewer_id}
        statement = _QUESTION if viewer_id is None else _VIEWER_QUESTION
        row = (await self.connection.execute(statement, params)).first()
        return None if row is None else _question(row)

    async def question_by_nonce(self, author_id: str, nonce: str) -> Question | None:
        """The question this author already posted with this nonce, in any room."""
        params = {"viewer_id": author_id, "nonce": nonce}
        row = (await self.connection.execute(_QUESTION_BY_NONCE, params)).first()
        return None if row is None else _question(row)

    async def room_questions(
        self, room_id: str, viewer_id: str | None, *, pending: str = "own"
    ) -> list[Question]:
        """The room's questions, oldest first; `pending`: "all", "own" (the viewer's) or "none"."""
        base = _QUESTIONS if viewer_id is None else _VIEWER_QUESTIONS
        statement = base.where(questions.c.room_id == room_id)
        if pending == "none" or (pending == "own" and viewer_id is None):
            statement = statement.where(not_(questions.c.pending))
        elif pending == "own":
            statement = statement.where(
                (not_(questions.c.pending)) | (questions.c.author_id == viewer_id)
            )
        elif pending != "all":
            raise ValueError(f"pending must be all, own or none, not {pending!r}")
        statement = statement.order_by(questions.c.created_at, questions.c.id)
        rows = await self.connection.execute(statement, {"viewer_id": viewer_id})
        return [_question(row) for row in rows]

    async def post_context(self, room_id: str, author_id: str, nonce: str) -> PostContext | None:
        """Lock the room and read what a post by `author_id` with `nonce` checks; None: no room."""
        params = {"room_id": room_id, "author_id": author_id, "nonce": nonce}
        row = (await self.connection.execute(_POST_CONTEXT, params)).first()
        if row is None:
            return None
        return PostContext(
            room=_room(row),
            is_host=bool(row.is_host),
            question_count=int(row.question_count),
            author_question_count=int(row.author_question_count),
            author_name=row.author_name,
            nonce_question_id=row.nonce_question_id,
        )

    async def vote_target(self, room_id: str, question_id: str, voter_id: str) -> VoteTarget | None:
        """Lock the room, read its state and the question with the voter's vote; None: no room."""
        params = {"room_id": room_id, "question_id": question_id, "viewer_id": voter_id}
        row = (await self.connection.execute(_VOTE_TARGET, params)).first()
        if row is None:
            return None
        return VoteTarget(row.room_state, None if row.id is None else _question(row))

    async def count_questions(self, room_id: str) -> int:
        """How many questions (pending included) the room holds."""
        result = await self.connection.execute(_COUNT_QUESTIONS, {"room_id": room_id})
        return int(result.scalar_one())

    async def insert_question(
        self,
        *,
        question_id: str,
        room_id: str,
        author_id: str,
        nonce: str,
        text: str,
        anonymous: bool,
        pending: bool,
        now: int,
    ) -> None:
        """Insert a question carrying its author's vote."""
        await self.connection.execute(
            _INSERT_QUESTION,
            {
                "id": question_id,
                "room_id": room_id,
                "author_id": author_id,
                "nonce": nonce,
                "text": text,
                "anonymous": anonymous,
                "pending": pending,
                "created_at": now,
                "upvotes": 1,
            },
        )
        vote = {"question_id": question_id, "participant_id": author_id, "created_at": now}
        await self.connection.execute(_INSERT_VOTE, vote)

    async def set_answer(self, question_id: str, *, text: str, author_id: str, now: int) -> None:
        """Set (or replace) the answer of a question."""
        await self.connection.execute(
            update(questions)
            .where(questions.c.id == question_id)
            .values(answer_text=text, answer_author_id=author_id, answered_at=now)
        )

    async def approve_question(self, question_id: str) -> None:
        """Publish a question held for moderation."""
        await self.connection.execute(
            update(questions).where(questions.c.id == question_id).values(pending=False)
        )

    async def clear_questions(self, room_id: str, *, answered_only: bool) -> list[str]:
        """Delete the room's questions (only the answered ones if `answered_only`); their ids."""
        chosen = questions.c.room_id == room_id
        if answered_only:
            chosen = chosen & questions.c.answer_text.is_not(None)
        ids = select(questions.c.id).where(chosen)
        await self.connection.execute(delete(votes).where(votes.c.question_id.in_(ids)))
        result = await self.connection.execute(
            delete(questions).where(chosen).returning(questions.c.id)
        )
        return sorted(str(row[0]) for row in result)

    async def delete_question(self, question_id: str) -> None:
        """Delete a question and its votes."""
        await self.connection.execute(delete(votes).where(votes.c.question_id == question_id))
        await self.connection.execute(delete(questions).where(questions.c.id == question_id))

    async def set_vote(
        self, question_id: str, participant_id: str, voted: bool, now: int
    ) -> tuple[bool, int]:
        """Add or remove one participant's vote (idempotent): whether that changed the votes,
        and the question's votes after it, as this transaction committed them.

        The primary key (question, participant) makes a second vote impossible, whatever the
        caller checks; the count is recomputed from the votes, never incremented blindly.
        """
        params = {"question_id": question_id, "participant_id": participant_id}
        if voted:
            add = _ADD_VOTE[self.connection.dialect.name]
            changed = await self.connection.execute(add, {**params, "created_at": now})
        else:
            changed = await self.connection.execute(_DELETE_VOTE, params)
        result = await self.connection.execute(_RECOUNT_VOTES, {"question_id": question_id})
        return changed.rowcount == 1, int(result.scalar_one())

    # Connections

    async def open_connection(
        self, connection_id: str, room_id: str, participant_id: str, now: int
    ) -> None:
        """Record an open socket (a reused id takes the new room and participant)."""
        await self.connection.execute(delete(connections).where(connections.c.id == connection_id))
        await self.connection.execute(
            insert(connections).values(
                id=connection_id,
                room_id=room_id,
                participant_id=participant_id,
                opened_at=now,
                seen_at=now,
            )
        )

    async def touch_connection(self, connection_id: str, now: int) -> bool:
        """Mark a socket as alive; False when it is not recorded."""
        result = await self.connection.execute(
            update(connections).where(connections.c.id == connection_id).values(seen_at=now)
        )
        return bool(result.rowcount)

    async def close_connection(self, connection_id: str) -> str | None:
        """Forget a socket; the room it was in, if it was recorded."""
        result = await self.connection.execute(
            delete(connections)
            .where(connections.c.id == connection_id)
            .returning(connections.c.room_id)
        )
        row = result.first()
        return None if row is None else str(row[0])

    async def count_attendees(self, room_id: str, seen_since: int) -> int:
        """Distinct participants with a socket in the room seen since `seen_since`."""
        result = await self.connection.execute(
            select(func.count(connections.c.participant_id.distinct())).where(
                connections.c.room_id == room_id, connections.c.seen_at >= seen_since
            )
        )
        return int(result.scalar_one())

    async def prune_connections(self, seen_before: int) -> int:
        """Delete sockets not seen since `seen_before`; how many went."""
        result = await self.connection.execute(
            delete(connections).where(connections.c.seen_at < seen_before)
        )
        return int(result.rowcount)

    # Settings

    async def setting(self, name: str, default: str) -> str:
        """The stored value of a setting, storing `default` first if there is none."""
        await self._insert_new(insert(settings).values(name=name, value=default))
        result = await self.connection.execute(
            select(settings.c.value).where(settings.c.name == name)
        )
        return str(result.scalar_one())
